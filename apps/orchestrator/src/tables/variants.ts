import type { ConfigRecord } from '@midg/trainer';

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

/** Whether the config is the full model: every variant key at its baseline (unablated, all modalities). */
export function isBaselineConfig(config: ConfigRecord): boolean {
  return VARIANT_KEYS.every((variant) => variantOf(variant, config) === variant.baseline);
}

/** Letters in t, a, v order, so `at` and `ta` are one setting; models without the key use all three. */
export function modalitiesOf(config: ConfigRecord): string {
  return variantOf(MODALITIES, config);
}

/** Baselines have no `ablation` key: they are the unablated model. */
export function ablationOf(config: ConfigRecord): string {
  return variantOf(ABLATION, config);
}
