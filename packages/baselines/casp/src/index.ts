import { booleanKey, choiceKey, defineModel, numberKey } from '@midg/trainer';
import { CaspModel } from './model';

export { CaspModel, type CaspConfig } from './model';
export { CaspBackbone, firstRealStep, type BackboneOutput, type CaspBackboneConfig } from './backbone';
export { adaptCasp, predictAll, type AdaptationConfig } from './adaptation';
export { ntXent, quantile, selectSamples, stabilityOf, type Selection, type Stability } from './objectives';

const rate = () => numberKey({ min: 0, max: 0.95 });
const positive = () => numberKey({ min: 1, integer: true });

/**
 * zrguo/CASP's main.py arguments, camel-cased, plus the adaptation keys (the issue's `casp.*`; the README maps
 * each one to the reference).
 */
export const CASP_SCHEMA = {
  projDim: positive(),
  heads: positive(),
  nlevels: positive(),
  attnDropout: rate(),
  reluDropout: rate(),
  resDropout: rate(),
  embedDropout: rate(),
  outDropout: rate(),
  adapt: booleanKey(),
  adaptOn: choiceKey(['test', 'train'] as const),
  contrastiveEpochs: numberKey({ min: 0, integer: true }),
  storeEvery: positive(),
  temperature: numberKey({ min: 0.01 }),
  pseudoEpochs: numberKey({ min: 0, integer: true }),
  keepFraction: numberKey({ min: 0, max: 1, minExclusive: true }),
  selection: choiceKey(['stable', 'literal'] as const),
  adaptLearningRate: numberKey({ min: 0, minExclusive: true }),
  adaptBatchSize: positive(),
  adaptClipNorm: numberKey({ min: 0 }),
} as const;

export const caspDefinition = defineModel({
  name: 'casp',
  description:
    'baseline: CASP (Guo et al. 2025), late-fusion transformer trained on the source (L1), then test-time adaptation of its layer norms on unlabeled target inputs (contrastive, then stable pseudo-labels)',
  schema: CASP_SCHEMA,
  configFile: new URL('../configs/casp.yaml', import.meta.url),
  usesTargetInputs: true,
  testOverrides: { projDim: 8, heads: 2, nlevels: 1, contrastiveEpochs: 2, storeEvery: 1, pseudoEpochs: 1, keepFraction: 0.25, adaptBatchSize: 32 },
  check: (config) => {
    if (config.projDim % config.heads !== 0) return `projDim (${config.projDim}) must be divisible by heads (${config.heads})`;
    if (config.adapt && config.modalities.length < 2) return `modalities "${config.modalities}": CASP's adaptation zeroes one modality for its augmented view, so it needs at least two (or adapt=false)`;
    if (config.adapt && config.pseudoEpochs > 0 && config.contrastiveEpochs < config.storeEvery) {
      return `contrastiveEpochs (${config.contrastiveEpochs}) < storeEvery (${config.storeEvery}): the pseudo-label stage needs at least two stored predictions (or pseudoEpochs=0)`;
    }
    return undefined;
  },
  create: (config, info, seed) => new CaspModel(config, info, seed),
});
