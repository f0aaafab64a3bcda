import { defineModel } from '@midg/trainer';
import { MidgModel } from './model';
import { MIDG_SCHEMA, checkMidgConfig } from './schema';

const TEST_OVERRIDES = { hiddenDim: 16, heads: 2, routerHidden: 16, expertHidden: 32 };

export const midgDefinition = defineModel({
  name: 'midg',
  description: 'MIDG: entropy decoupling + Mixture of Invariant Experts + Cross-Modal Adapter (the paper)',
  schema: MIDG_SCHEMA,
  configFile: new URL('../configs/midg.yaml', import.meta.url),
  check: checkMidgConfig,
  testOverrides: TEST_OVERRIDES,
  create: (config, info, seed) => new MidgModel(config, info, seed),
});

/**
 * The same assembly and keys with the domain-generalization options on by default (configs/midg-dg.yaml), chosen by
 * source validation only (experiments/midg-dg-select.yaml; docs/method.md, "The midg-dg model").
 */
export const midgDgDefinition = defineModel({
  name: 'midg-dg',
  description: 'MIDG with domain-generalization options on, chosen on source validation (configs/midg-dg.yaml, experiments/midg-dg-select.yaml)',
  schema: MIDG_SCHEMA,
  configFile: new URL('../configs/midg-dg.yaml', import.meta.url),
  check: checkMidgConfig,
  testOverrides: TEST_OVERRIDES,
  create: (config, info, seed) => new MidgModel(config, info, seed, 'midg-dg'),
});
