/**
 * The probe experiments that characterize the synthetic benchmark: one definition shared by the property tests and
 * bench/synthetic-probes.ts, so the documented numbers and the tested claims come from the same code.
 */
import type { Dataset, Modality, SplitName } from '../dataset';
import { generateSyntheticDomainWithLatents, syntheticChannelLayout, type SplitLatents } from './generator';
import { SYNTHETIC_DOMAINS, type SyntheticPreset } from './presets';
import { scoreProbe, type ProbeSpec, type RegressionScores } from './probes';

export interface GeneratedDomain {
  dataset: Dataset;
  latents: Record<SplitName, SplitLatents>;
}

export function generateAllDomains(preset: SyntheticPreset, seed: number): GeneratedDomain[] {
  return SYNTHETIC_DOMAINS.map((domain) => generateSyntheticDomainWithLatents(domain, { preset, seed }));
}

const ALL: readonly Modality[] = ['t', 'a', 'v'];
const linear = (modalities: readonly Modality[]): ProbeSpec => ({ modalities, features: { kind: 'linear' } });
const withProducts = (first: Modality, second: Modality): ProbeSpec => ({
  modalities: ALL,
  features: { kind: 'products', pairs: [[first, second]] },
});

/** Label probes per modality set (ridge on time-mean-pooled features) and two nonlinear probes on all three. */
export const LABEL_PROBES = {
  text: linear(['t']),
  audio: linear(['a']),
  vision: linear(['v']),
  'text+audio+vision': linear(ALL),
  't+a+v + audio×vision products': withProducts('a', 'v'),
  't+a+v + 512 random ReLU': { modalities: ALL, features: { kind: 'random-relu', width: 512, seed: 1 } },
} as const satisfies Record<string, ProbeSpec>;
export type LabelProbe = keyof typeof LABEL_PROBES;

/** Probes of the interaction component c: linear, cross-modal products, and within-modality products. */
export const INTERACTION_PROBES = {
  'linear t+a+v': linear(ALL),
  't+a+v + audio×vision': withProducts('a', 'v'),
  't+a+v + audio×audio': withProducts('a', 'a'),
  't+a+v + vision×vision': withProducts('v', 'v'),
} as const satisfies Record<string, ProbeSpec>;
export type InteractionProbe = keyof typeof INTERACTION_PROBES;

/** In-domain test scores of the label probes (labels / half-range). */
export function labelProbeScores(domain: GeneratedDomain, probes: readonly LabelProbe[]): Record<LabelProbe, RegressionScores> {
  return Object.fromEntries(probes.map((name) => [name, scoreProbe(LABEL_PROBES[name], domain.dataset)[0]!])) as Record<
    LabelProbe,
    RegressionScores
  >;
}

/** In-domain test R² of each probe regressing the latent interaction component c. */
export function interactionProbeR2(domain: GeneratedDomain): Record<InteractionProbe, number> {
  const target = (_: Dataset, split: SplitName): Float32Array => domain.latents[split].interaction;
  const names = Object.keys(INTERACTION_PROBES) as InteractionProbe[];
  return Object.fromEntries(
    names.map((name) => [name, scoreProbe(INTERACTION_PROBES[name], domain.dataset, [domain.dataset], target)[0]!.r2]),
  ) as Record<InteractionProbe, number>;
}

export const CHANNEL_SETS = ['all channels', 'invariant channels'] as const;
export type ChannelSet = (typeof CHANNEL_SETS)[number];

/**
 * A linear t+a+v ridge trained on `source` and scored on the test split of every dataset in `targets`, once with
 * all channels and once with only the invariant (content) channels, which the generator knows.
 */
export function transferScores(
  source: Dataset,
  targets: readonly Dataset[],
  preset: SyntheticPreset,
): Record<ChannelSet, RegressionScores[]> {
  const layout = syntheticChannelLayout(preset);
  return {
    'all channels': scoreProbe(linear(ALL), source, targets),
    'invariant channels': scoreProbe({ ...linear(ALL), channels: layout.content }, source, targets),
  };
}
