import { booleanKey, choiceKey, defineModel, numberKey } from '@midg/trainer';
import { S2lifModel } from './model';

export { S2lifModel, type S2lifConfig, type S2lifForward, type S2lifPhase, type S2lifSchedule } from './model';
export { detached, straightThrough } from './masks';

/** S2LIF's keys. No reference code exists; the values in configs/s2lif.yaml are ours (see the README). */
export const S2LIF_SCHEMA = {
  hiddenDim: numberKey({ min: 1, integer: true }),
  dropout: numberKey({ min: 0, max: 0.95 }),
  maskInit: numberKey(),
  sparsityWeight: numberKey({ min: 0 }),
  schedule: choiceKey(['sequential', 'joint'] as const, { variant: true }),
  textEpochs: numberKey({ min: 1, integer: true }),
  residualHead: booleanKey(),
} as const;

export const s2lifDefinition = defineModel({
  name: 's2lif',
  description:
    'baseline: S2LIF (Zhao et al. 2024), sparse straight-through masks learned in order: text first, then video conditioned on the masked text; reconstructed from the paper',
  schema: S2LIF_SCHEMA,
  configFile: new URL('../configs/s2lif.yaml', import.meta.url),
  testOverrides: { hiddenDim: 8, textEpochs: 1 },
  check: (config) => {
    const m = config.modalities;
    if (!m.includes('t') || m.replace('t', '').length === 0) {
      return `modalities "${m}": S2LIF needs text (t) and at least one of v, a (text is learned first and conditions the others)`;
    }
    if (config.schedule === 'sequential') {
      if (config.epochs <= config.textEpochs) return `epochs (${config.epochs}) must exceed textEpochs (${config.textEpochs}) with schedule sequential, or the video branch never trains`;
      if (config.patience < config.textEpochs) {
        return `patience (${config.patience}) must be ≥ textEpochs (${config.textEpochs}) with schedule sequential, so early stopping cannot end the run before the video phase`;
      }
      if (config.weightDecay > 0) return `weightDecay (${config.weightDecay}) must be 0 with schedule sequential: decoupled decay would move the frozen branch`;
    }
    return undefined;
  },
  create: (config, info, seed) => new S2lifModel(config, info, seed),
});
