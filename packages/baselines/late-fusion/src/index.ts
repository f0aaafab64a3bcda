import { defineModel, numberKey } from '@midg/trainer';
import { LateFusionModel } from './model';

export { LateFusionModel } from './model';

export const LATE_FUSION_SCHEMA = {
  hiddenDim: numberKey({ min: 1, integer: true }),
  dropout: numberKey({ min: 0, max: 0.95 }),
} as const;

export const lateFusionDefinition = defineModel({
  name: 'late-fusion',
  description: 'baseline: per-modality encoder + head, predictions fused by learned softmax weights (plain MSE, no DG parts)',
  schema: LATE_FUSION_SCHEMA,
  configFile: new URL('../configs/late-fusion.yaml', import.meta.url),
  testOverrides: { hiddenDim: 16 },
  create: (config, info, seed) => new LateFusionModel(config, info, seed),
});
