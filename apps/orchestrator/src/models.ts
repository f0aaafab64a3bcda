// Every model the CLI knows, in one explicit list. Adding a baseline: a package under packages/baselines/<name>
// exporting its definition (defineModel), one line here, and a dependency in apps/orchestrator/package.json.
import { registerModels, type ModelDefinition } from '@midg/trainer';
import { midgDefinition } from '@midg/midg';
import { almtDefinition } from '@midg/almt';
import { lateFusionDefinition } from '@midg/late-fusion';
import { misaDefinition } from '@midg/misa';
import { multDefinition } from '@midg/mult';
import { selfMmDefinition } from '@midg/self-mm';

export const MODELS: readonly ModelDefinition[] = [midgDefinition, lateFusionDefinition, multDefinition, misaDefinition, selfMmDefinition, almtDefinition];

registerModels(MODELS);
