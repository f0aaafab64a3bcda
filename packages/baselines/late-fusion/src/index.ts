import { loadConfigFile, registerModel, type ModelDefinition } from '@midg/trainer';
import { LateFusionModel } from './model';

export { LateFusionModel } from './model';

export const lateFusionDefinition: ModelDefinition = {
  name: 'late-fusion',
  description: 'baseline: per-modality encoder + head, predictions fused by learned softmax weights (plain MSE, no DG parts)',
  config: loadConfigFile(new URL('../configs/late-fusion.yaml', import.meta.url)),
  create: (config, info, seed) => new LateFusionModel(config, info, seed),
};

// Importing the package registers the model under its name (the orchestrator imports every baseline once).
registerModel(lateFusionDefinition);
