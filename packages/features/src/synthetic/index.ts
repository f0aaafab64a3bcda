export { generateSyntheticDomain, type SyntheticOptions } from './generator';
export {
  DEFAULT_SYNTHETIC_SEED,
  SYNTHETIC_DOMAINS,
  SYNTHETIC_PRESETS,
  type SyntheticDomain,
  type SyntheticPreset,
  type SpeakerGroups,
  type SyntheticPresetSpec,
} from './presets';
