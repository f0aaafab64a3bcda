export { midgDefinition, midgDgDefinition } from './definition';
export { MidgModel } from './model';
export { MIDG_ABLATIONS, MIDG_SCHEMA, checkMidgConfig, type MidgAblation, type MidgConfig, type MidgRunConfig } from './schema';
