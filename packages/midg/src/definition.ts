import { defineModel } from '@midg/trainer';
import { MidgModel } from './model';
import { MIDG_SCHEMA, checkMidgConfig } from './schema';

export const midgDefinition = defineModel({
  name: 'midg',
  description: 'MIDG: entropy decoupling + Mixture of Invariant Experts + Cross-Modal Adapter (the paper)',
  schema: MIDG_SCHEMA,
  configFile: new URL('../configs/midg.yaml', import.meta.url),
  check: checkMidgConfig,
  testOverrides: { hiddenDim: 16, heads: 2, routerHidden: 16, expertHidden: 32 },
  create: (config, info, seed) => new MidgModel(config, info, seed),
});
