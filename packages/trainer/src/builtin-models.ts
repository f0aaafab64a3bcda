import { midgDefinition } from './midg/definition';
import { registerModel } from './registry';

// Built-in models register here once; baseline packages call registerModel from their own index.
registerModel(midgDefinition);
