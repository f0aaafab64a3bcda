import { loadConfigFile } from '../config';
import type { ModelDefinition } from '../model';
import { createMidg } from './model';

export const midgDefinition: ModelDefinition = {
  name: 'midg',
  description: 'MIDG: entropy decoupling + Mixture of Invariant Experts + Cross-Modal Adapter (the paper)',
  config: loadConfigFile(new URL('../../configs/midg.yaml', import.meta.url)),
  create: createMidg,
};
