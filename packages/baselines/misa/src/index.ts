import { choiceKey, defineModel, numberKey } from '@midg/trainer';
import { MisaModel } from './model';

export { MisaModel, type MisaForward, type MisaOptions } from './model';
export { CMD_SQRT_EPSILON, cmd, diffLoss, meanPairwiseCmd, meanReconstructionLoss, summedDiffLoss } from './losses';
export { PostLnTransformerLayer } from './post-ln-layer';
export { UtteranceEncoder, maskedMean } from './encoder';

export const MISA_SCHEMA = {
  hiddenSize: numberKey({ min: 1, integer: true }),
  encoder: choiceKey(['unimodal', 'mean']),
  dropout: numberKey({ min: 0, max: 0.95 }),
  heads: numberKey({ min: 1, integer: true }),
  ffnDim: numberKey({ min: 1, integer: true }),
  transformerDropout: numberKey({ min: 0, max: 0.95 }),
  diffWeight: numberKey({ min: 0 }),
  simWeight: numberKey({ min: 0 }),
  reconWeight: numberKey({ min: 0 }),
  cmdMoments: numberKey({ min: 1, integer: true }),
} as const;

export const misaDefinition = defineModel({
  name: 'misa',
  description: 'baseline: MISA (Hazarika et al. 2020), private/shared subspaces + 1 transformer layer; MSE + diff + CMD + reconstruction',
  schema: MISA_SCHEMA,
  configFile: new URL('../configs/misa.yaml', import.meta.url),
  testOverrides: { hiddenSize: 8, ffnDim: 16 },
  check: (config) => {
    if (config.hiddenSize % config.heads !== 0) return `hiddenSize (${config.hiddenSize}) must be divisible by heads (${config.heads})`;
    if (new Set(config.modalities).size < 2) return `modalities "${config.modalities}": misa needs at least two (CMD compares shared codes across modalities)`;
    return undefined;
  },
  create: (config, info, seed) => new MisaModel(config, info, seed),
});
