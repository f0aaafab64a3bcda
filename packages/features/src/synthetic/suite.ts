/**
 * The probe experiments that characterize the synthetic benchmark: one definition shared by the property tests and
 * bench/synthetic-probes.ts, so the documented numbers and the tested claims come from the same code.
 */
import type { Dataset, Modality, SplitName } from '../dataset';
import { environmentsFromIds, fitEnvironmentFilter, poolSplits, type EnvironmentSplit, type LabeledSplit } from './filter';
import { generateSyntheticDomainWithLatents, syntheticChannelLayout, type SplitLatents } from './generator';
import { GROUP_SEPARATOR } from './groups';
import { SYNTHETIC_DOMAINS, type SyntheticDomain, type SyntheticPreset } from './presets';
import { fitProbe, normalizedLabels, regressionScores, scoreProbe, type Probe, type ProbeSpec, type RegressionScores } from './probes';

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

/** Cell-wise mean of several runs' scores. */
export function meanScores(scores: readonly RegressionScores[]): RegressionScores {
  const mean = (pick: (s: RegressionScores) => number): number => scores.reduce((sum, s) => sum + pick(s), 0) / scores.length;
  return { r2: mean((s) => s.r2), mae: mean((s) => s.mae), has0Acc2: mean((s) => s.has0Acc2), non0Acc2: mean((s) => s.non0Acc2) };
}

/** A cross-domain pair: one or more pooled source domains and a target. */
export interface DomainPair {
  sources: readonly SyntheticDomain[];
  target: SyntheticDomain;
}

/** The paper's Table 1 pairs, and the three ways to pool two sources against the third domain. */
export const TABLE1_PAIRS: readonly DomainPair[] = [
  { sources: ['mosi'], target: 'mosei' },
  { sources: ['mosi'], target: 'sims' },
  { sources: ['mosei'], target: 'sims' },
  { sources: ['sims'], target: 'mosi' },
  { sources: ['sims'], target: 'mosei' },
];
export const TWO_SOURCE_PAIRS: readonly DomainPair[] = [
  { sources: ['mosi', 'sims'], target: 'mosei' },
  { sources: ['mosi', 'mosei'], target: 'sims' },
  { sources: ['mosei', 'sims'], target: 'mosi' },
];

export const PAIR_PROBES = [
  'all channels',
  'per-group filter, ridge weights',
  'per-group filter, correlations',
  'per-source filter, ridge weights',
  'per-source filter, correlations',
  'invariant channels (oracle)',
] as const;
export type PairProbe = (typeof PAIR_PROBES)[number];

/** The sources' split, pooled, with labels / half-range as the target and the source index as the environment. */
export function pooledSourceSplit(sources: readonly GeneratedDomain[], split: SplitName): EnvironmentSplit {
  return poolSplits(sources.map(({ dataset }): LabeledSplit => ({ split: dataset.splits[split], target: normalizedLabels(dataset, dataset.splits[split]) })));
}

/** The training split with its speaker-like groups as environments, or undefined when its ids carry no groups. */
export function groupEnvironments(train: EnvironmentSplit): EnvironmentSplit | undefined {
  if (!train.split.ids.every((id) => id.includes(GROUP_SEPARATOR))) return undefined;
  return { ...train, environment: environmentsFromIds(train.split.ids) };
}

/**
 * Linear t+a+v ridges trained on the pooled sources (labels / half-range, λ chosen on the pooled valid split) and
 * scored on the target's test split: all channels; the non-oracle filters (filter.ts) that drop the channels whose
 * ridge weight or correlation with the label varies across speaker-like groups (when the ids carry groups) or across
 * sources (two or more sources); and the oracle that keeps only the content channels. A probe that does not apply to
 * the pair is absent.
 */
export function pairProbeScores(
  sources: readonly GeneratedDomain[],
  target: GeneratedDomain,
  preset: SyntheticPreset,
): Partial<Record<PairProbe, RegressionScores>> {
  const train = pooledSourceSplit(sources, 'train');
  const valid = pooledSourceSplit(sources, 'valid');
  const test = target.dataset.splits.test;
  const score = (probe: Probe): RegressionScores => regressionScores(probe.predict(test), normalizedLabels(target.dataset, test));
  const scores: Partial<Record<PairProbe, RegressionScores>> = {
    'all channels': score(fitProbe(linear(ALL), train, valid)),
  };
  const byGroup = groupEnvironments(train);
  if (byGroup) {
    scores['per-group filter, ridge weights'] = score(fitEnvironmentFilter(byGroup, valid, { statistic: 'ridge weight' }).probe);
    scores['per-group filter, correlations'] = score(fitEnvironmentFilter(byGroup, valid, { statistic: 'correlation' }).probe);
  }
  if (sources.length >= 2) {
    scores['per-source filter, ridge weights'] = score(fitEnvironmentFilter(train, valid, { statistic: 'ridge weight' }).probe);
    scores['per-source filter, correlations'] = score(fitEnvironmentFilter(train, valid, { statistic: 'correlation' }).probe);
  }
  scores['invariant channels (oracle)'] = score(fitProbe({ ...linear(ALL), channels: syntheticChannelLayout(preset).content }, train, valid));
  return scores;
}
