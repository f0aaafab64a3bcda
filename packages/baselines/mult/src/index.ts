import { booleanKey, defineModel, numberKey } from '@midg/trainer';
import { MultModel } from './model';

export { MultModel, type MultConfig } from './model';
export { MultTransformer, type MultTransformerConfig } from './mult-transformer';
export { TemporalConv, type TemporalConvConfig } from './temporal-conv';

const rate = () => numberKey({ min: 0, max: 0.95 });
const kernel = () => numberKey({ min: 1, integer: true });

/** MMSA's MulT keys (config_regression.json "mult"), camel-cased; dst_feature_dim_nheads is split in two. */
export const MULT_SCHEMA = {
  hiddenDim: numberKey({ min: 1, integer: true }),
  heads: numberKey({ min: 1, integer: true }),
  nlevels: numberKey({ min: 1, integer: true }),
  kernelT: kernel(),
  kernelA: kernel(),
  kernelV: kernel(),
  attnDropout: rate(),
  attnDropoutA: rate(),
  attnDropoutV: rate(),
  reluDropout: rate(),
  resDropout: rate(),
  embedDropout: rate(),
  textDropout: rate(),
  outputDropout: rate(),
  attnMask: booleanKey(),
  positionalEmbedding: booleanKey(),
} as const;

export const multDefinition = defineModel({
  name: 'mult',
  description: 'baseline: MulT (Tsai et al. 2019), crossmodal transformers for every ordered modality pair, memory transformers, L1 loss (MMSA)',
  schema: MULT_SCHEMA,
  configFile: new URL('../configs/mult.yaml', import.meta.url),
  testOverrides: { hiddenDim: 8, heads: 2, nlevels: 1 },
  check: (config) => {
    if (config.hiddenDim % config.heads !== 0) return `hiddenDim (${config.hiddenDim}) must be divisible by heads (${config.heads})`;
    if (config.modalities.length < 2) return `modalities "${config.modalities}": MulT needs at least two (its crossmodal attention pairs them)`;
    return undefined;
  },
  create: (config, info, seed) => new MultModel(config, info, seed),
});
