import { listModels, type ConfigRecord } from '@midg/trainer';

// The config keys a model varies to ablate itself (Table 2), in one place: every other tables file goes through
// this list, so it can later be derived from the models' config schemas.

export interface VariantKey {
  /** The config key, e.g. `ablation`. */
  key: string;
  /** Its value in the full model; a config without the key means this value (baselines have no such keys). */
  baseline: string;
  /** The title of Table 2's blocks that vary this key. */
  title: string;
  /** The value is a set of the baseline's letters: `at` and `ta` are one setting, written in the baseline's order. */
  letterSet?: boolean;
}

export const ABLATION: VariantKey = { key: 'ablation', baseline: 'none', title: 'Module ablation' };
export const MODALITIES: VariantKey = { key: 'modalities', baseline: 'tav', title: 'Modality ablation', letterSet: true };

/** Every variant key, in Table 2's block order. */
export const VARIANT_KEYS: readonly VariantKey[] = [ABLATION, MODALITIES];

/** The config's setting of a variant key; the baseline where the key is not set. */
export function variantOf(variant: VariantKey, config: ConfigRecord): string {
  const value = config[variant.key];
  if (typeof value !== 'string') return variant.baseline;
  return variant.letterSet ? [...variant.baseline].filter((letter) => value.includes(letter)).join('') : value;
}

/**
 * The full model's setting of a variant key: the model's own default where its config file sets the key (S2LIF is
 * text and video by design, `modalities: tv`), otherwise the key's baseline. Unknown models use the baseline.
 */
export function fullModelSetting(variant: VariantKey, model: string): string {
  const definition = listModels().find((candidate) => candidate.name === model);
  const defaults: ConfigRecord = definition?.config.defaults ?? {};
  return variant.key in defaults ? variantOf(variant, defaults) : variant.baseline;
}

/** Whether the config is the model as published: every variant key at the model's full setting (unablated, its modalities). */
export function isBaselineConfig(config: ConfigRecord, model: string): boolean {
  return VARIANT_KEYS.every((variant) => variantOf(variant, config) === fullModelSetting(variant, model));
}

/** Letters in t, a, v order, so `at` and `ta` are one setting; models without the key use all three. */
export function modalitiesOf(config: ConfigRecord): string {
  return variantOf(MODALITIES, config);
}

/** Baselines have no `ablation` key: they are the unablated model. */
export function ablationOf(config: ConfigRecord): string {
  return variantOf(ABLATION, config);
}
