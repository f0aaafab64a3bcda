import { parseModalities } from '@midg/features';
import { defineModel, numberKey } from '@midg/trainer';
import { AlmtModel, almtSources } from './model';

export { AlmtModel, almtSources, type AlmtConfig, type AlmtForward } from './model';
export { HyperModalityEncoder, HyperModalityLayer, type GuidedModality, type HyperModalityResult } from './ahl';
export { CrossModalFusion } from './fusion';
export { LanguageEncoder, ModalityTokenizer } from './tokens';

const width = () => numberKey({ min: 1, integer: true });

export const ALMT_SCHEMA = {
  hiddenDim: width(),
  tokenCount: width(),
  projDepth: width(),
  projHeads: width(),
  projFfnDim: width(),
  languageHeads: width(),
  languageFfnDim: width(),
  ahlDepth: width(),
  ahlHeads: width(),
  ahlHeadDim: width(),
  fusionDepth: width(),
  fusionHeads: width(),
  fusionFfnDim: width(),
  dropout: numberKey({ min: 0, max: 0.95 }),
} as const;

export const almtDefinition = defineModel({
  name: 'almt',
  description: 'baseline: ALMT (Zhang et al. 2023), language-guided adaptive hyper-modality learning + cross-modal fusion transformer (MSE)',
  schema: ALMT_SCHEMA,
  configFile: new URL('../configs/almt.yaml', import.meta.url),
  testOverrides: {
    hiddenDim: 16,
    tokenCount: 4,
    projHeads: 2,
    projFfnDim: 16,
    languageHeads: 2,
    languageFfnDim: 16,
    ahlHeads: 2,
    ahlHeadDim: 8,
    fusionDepth: 1,
    fusionHeads: 2,
    fusionFfnDim: 16,
  },
  check: (config) => {
    const heads = (['projHeads', 'languageHeads', 'fusionHeads'] as const).filter((key) => config.hiddenDim % config[key] !== 0);
    if (heads.length > 0) return `hiddenDim ${config.hiddenDim} must be divisible by ${heads.map((key) => `${key} ${config[key]}`).join(', ')}`;
    try {
      almtSources(parseModalities(config.modalities));
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  },
  create: (config, info, seed) => new AlmtModel(config, info, seed),
});
