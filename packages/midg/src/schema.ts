import { choiceKey, numberKey, type ConfigOf, type ModelConfig } from '@midg/trainer';

export const MIDG_ABLATIONS = ['none', 'no-moie', 'no-adapter', 'no-moie-no-adapter'] as const;
export type MidgAblation = (typeof MIDG_ABLATIONS)[number];

/** Every key MIDG reads (defaults and their meaning in configs/midg.yaml; reasoning in docs/method.md). */
export const MIDG_SCHEMA = {
  hiddenDim: numberKey({ min: 1, integer: true }),
  heads: numberKey({ min: 1, integer: true }),
  experts: numberKey({ min: 1, integer: true }),
  routerHidden: numberKey({ min: 1, integer: true }),
  expertHidden: numberKey({ min: 1, integer: true }),
  dropout: numberKey({ min: 0, max: 0.95 }),
  alpha: numberKey({ min: 0 }),
  beta: numberKey({ min: 0 }),
  gamma: numberKey({ min: 0 }),
  delta: numberKey({ min: 0 }),
  grlLambda: numberKey({ min: 0 }),
  mixWeight: numberKey({ min: 0, max: 1 }),
  estimator: choiceKey(['club', 'kl']),
  klPrior: choiceKey(['standard-normal', 'other-branch']),
  clubLearningRate: numberKey({ min: 0, minExclusive: true }),
  domainLabels: choiceKey(['stream', 'source', 'video', 'cluster']),
  clusterCount: numberKey({ min: 2, integer: true }),
  invariantOn: choiceKey(['moie', 'shared']),
  grlSchedule: choiceKey(['constant', 'dann']),
  discriminatorOptimizer: choiceKey(['shared', 'separate']),
  discriminatorLearningRate: numberKey({ min: 0, minExclusive: true }),
  envPenalty: choiceKey(['none', 'vrex', 'irm', 'groupdro']),
  envPenaltyWeight: numberKey({ min: 0 }),
  envWarmupEpochs: numberKey({ min: 0, integer: true }),
  groupDroStep: numberKey({ min: 0, minExclusive: true }),
  ablation: choiceKey(MIDG_ABLATIONS, { variant: true }),
} as const;

export type MidgConfig = ConfigOf<typeof MIDG_SCHEMA>;
export type MidgRunConfig = ModelConfig<typeof MIDG_SCHEMA>;

/** Rules across keys, checked when a run is planned. */
export function checkMidgConfig(config: MidgConfig): string | undefined {
  if (config.hiddenDim % config.heads !== 0) return `hiddenDim ${config.hiddenDim} must be divisible by heads ${config.heads}`;
  // Stream labels are two views of every sample, not a partition of the samples into environments, and pulling A_om
  // towards A_im on the test path would work against L_DIS (docs/method.md, "Domain-generalization options").
  if (config.envPenalty !== 'none' && config.domainLabels === 'stream') {
    return `envPenalty=${config.envPenalty} needs per-sample environments: domainLabels source | video | cluster (stream labels are two views of each sample)`;
  }
  if (config.invariantOn === 'shared' && config.domainLabels === 'stream') {
    return 'invariantOn=shared needs per-sample domain labels: domainLabels source | video | cluster (stream would pull A_om onto A_im, against L_DIS)';
  }
  return undefined;
}
