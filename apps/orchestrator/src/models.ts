// Every model the CLI knows, in one explicit list. Adding a baseline: a package under packages/baselines/<name>
// exporting its definition (defineModel), its import and definition here, and a dependency in
// apps/orchestrator/package.json. `npx nx g ./tools/nx-plugin:baseline <name>` does all three: it inserts above the
// two marker comments below (keep them, one each).
import { registerModels, type ModelDefinition } from '@midg/trainer';
import { midgDefinition, midgDgDefinition } from '@midg/midg';
import { almtDefinition } from '@midg/almt';
import { caspDefinition } from '@midg/casp';
import { lateFusionDefinition } from '@midg/late-fusion';
import { misaDefinition } from '@midg/misa';
import { multDefinition } from '@midg/mult';
import { s2lifDefinition } from '@midg/s2lif';
import { selfMmDefinition } from '@midg/self-mm';
// <baseline-imports> the baseline generator inserts new imports above this line

export const MODELS: readonly ModelDefinition[] = [
  midgDefinition,
  midgDgDefinition,
  lateFusionDefinition,
  multDefinition,
  misaDefinition,
  selfMmDefinition,
  almtDefinition,
  s2lifDefinition,
  caspDefinition,
  // <baseline-definitions> the baseline generator inserts new definitions above this line
];

registerModels(MODELS);
