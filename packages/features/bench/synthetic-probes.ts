/**
 * Prints the probe tables of docs/synthetic-benchmark.md: what closed-form probes recover from the synthetic domains.
 * Run from packages/features: `node --import tsx bench/synthetic-probes.ts [--preset tiny|paper|v2] [--seeds 0,1,2]`.
 * With several seeds every cell is the mean over them.
 */
import { parseArgs } from 'node:util';
import { FILTER_STATISTICS, environmentCorrelationSpreads, environmentWeightSpreads, fitEnvironmentFilter, type ChannelSpread } from '../src/synthetic/filter';
import { syntheticChannelLayout } from '../src/synthetic/generator';
import { SYNTHETIC_PRESETS, type SyntheticPreset, type SyntheticPresetSpec } from '../src/synthetic/presets';
import type { RegressionScores } from '../src/synthetic/probes';
import {
  CHANNEL_SETS,
  INTERACTION_PROBES,
  LABEL_PROBES,
  PAIR_PROBES,
  TABLE1_PAIRS,
  TWO_SOURCE_PAIRS,
  generateAllDomains,
  groupEnvironments,
  interactionProbeR2,
  labelProbeScores,
  meanScores,
  pairProbeScores,
  pooledSourceSplit,
  transferScores,
  type GeneratedDomain,
  type InteractionProbe,
  type LabelProbe,
} from '../src/synthetic/suite';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'tiny' }, seeds: { type: 'string', default: '0' } } });
if (!Object.hasOwn(SYNTHETIC_PRESETS, values.preset!)) {
  throw new Error(`unknown preset "${values.preset}"; choose one of: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
}
const preset = values.preset as SyntheticPreset;
const seeds = values.seeds!.split(',').map(Number);
if (seeds.some((seed) => !Number.isSafeInteger(seed))) throw new Error(`--seeds must be integers separated by commas, got "${values.seeds}"`);
const runs = seeds.map((seed) => generateAllDomains(preset, seed));
const domains = runs[0]!.map((g) => g.dataset.domain);
const spec: SyntheticPresetSpec = SYNTHETIC_PRESETS[preset];

const mean = (numbers: number[]): number => numbers.reduce((sum, x) => sum + x, 0) / numbers.length;
const percent = (x: number): string => (100 * x).toFixed(1);
const cell = (s: RegressionScores): string => `${s.r2.toFixed(3)} / ${s.mae.toFixed(3)} / ${percent(s.has0Acc2)} / ${percent(s.non0Acc2)}`;
const row = (cells: string[]): void => console.log(`| ${cells.join(' | ')} |`);
const header = (cells: string[]): void => {
  row(cells);
  row(cells.map(() => '---'));
};

console.log(`synthetic benchmark probes: preset ${preset}, seed(s) ${seeds.join(',')}; test split; labels / half-range`);
console.log('cells: R² / MAE / Has0 Acc2 (%) / Non0 Acc2 (%)\n');

console.log('In-domain label probes (ridge on time-mean-pooled features, λ chosen on valid)\n');
header(['probe', ...domains]);
const labelNames = Object.keys(LABEL_PROBES) as LabelProbe[];
const labelScores = runs.map((run) => run.map((domain) => labelProbeScores(domain, labelNames)));
for (const name of labelNames) {
  row([name, ...domains.map((_, d) => cell(meanScores(labelScores.map((run) => run[d]![name]))))]);
}

console.log('\nInteraction component c = κ·b_a·b_v as the target (test R²)\n');
header(['probe', ...domains]);
const interaction = runs.map((run) => run.map(interactionProbeR2));
for (const name of Object.keys(INTERACTION_PROBES) as InteractionProbe[]) {
  row([name, ...domains.map((_, d) => mean(interaction.map((run) => run[d]![name])).toFixed(3))]);
}

console.log('\nCross-domain transfer: linear t+a+v ridge trained on the source (normalized labels), tested on each target\n');
header(['source', 'channels', ...domains.map((d) => `→ ${d}`)]);
const transfers = runs.map((run) => run.map((source) => transferScores(source.dataset, run.map((g) => g.dataset), preset)));
domains.forEach((source, s) => {
  for (const channels of CHANNEL_SETS) {
    row([source, channels, ...domains.map((_, t) => cell(meanScores(transfers.map((run) => run[s]![channels][t]!))))]);
  }
});

console.log('\nCross-domain pairs: linear t+a+v ridges on the pooled source(s), tested on the target; non-oracle filters');
console.log('(per speaker group, per source) against the oracle that keeps only the content channels\n');
header(['pair', 'probe', 'R²', 'MAE', 'Has0 Acc2', 'Non0 Acc2']);
const byDomain = (run: GeneratedDomain[], domain: string): GeneratedDomain => run[domains.indexOf(domain)]!;
for (const { sources, target } of [...TABLE1_PAIRS, ...TWO_SOURCE_PAIRS]) {
  const scores = runs.map((run) => pairProbeScores(sources.map((d) => byDomain(run, d)), byDomain(run, target), preset));
  for (const probe of PAIR_PROBES) {
    if (!scores[0]![probe]) continue;
    const s = meanScores(scores.map((run) => run[probe]!));
    row([`${sources.join('+')} → ${target}`, probe, s.r2.toFixed(3), s.mae.toFixed(3), percent(s.has0Acc2), percent(s.non0Acc2)]);
  }
}

if (spec.groups) {
  const layout = syntheticChannelLayout(preset);
  const isCue = (s: ChannelSpread): boolean => layout.cue[s.modality].includes(s.channel);
  console.log(`\nSpeaker-group structure of each training split: heterogeneity (Cochran Q / df over the ${spec.groups.perSplit} groups; about 1 when`);
  console.log('only sampling noise moves a channel) of cue and content channels, and the channels each per-group filter drops\n');
  const count = (channels: Record<string, number[]>): number => Object.values(channels).reduce((sum, c) => sum + c.length, 0);
  header(['domain', 'statistic', 'Q/df cue', 'Q/df content', 'control: Q/df cue, groups mixed', `dropped cue (of ${count(layout.cue)})`, `dropped content (of ${count(layout.content)})`]);
  domains.forEach((domain, d) => {
    for (const statistic of FILTER_STATISTICS) {
      const perRun = runs.map((run) => {
        const source = [run[d]!];
        const train = groupEnvironments(pooledSourceSplit(source, 'train'))!;
        const valid = pooledSourceSplit(source, 'valid');
        const spreads = (split: typeof train): ChannelSpread[] =>
          statistic === 'ridge weight' ? environmentWeightSpreads(split, valid) : environmentCorrelationSpreads(split);
        const groups = spreads(train);
        // Environments that cut across the groups (every group in each): what the statistic shows without structure.
        const mixed = spreads({ ...train, environment: Int32Array.from(train.environment, (_, i) => i % spec.groups!.perSplit) });
        const dropped = fitEnvironmentFilter(train, valid, { statistic }).dropped;
        return {
          cue: mean(groups.filter(isCue).map((s) => s.heterogeneity)),
          content: mean(groups.filter((s) => !isCue(s)).map((s) => s.heterogeneity)),
          mixedCue: mean(mixed.filter(isCue).map((s) => s.heterogeneity)),
          droppedCue: dropped.filter(isCue).length,
          droppedContent: dropped.filter((s) => !isCue(s)).length,
        };
      });
      const average = (pick: (r: (typeof perRun)[number]) => number, digits: number): string => mean(perRun.map(pick)).toFixed(digits);
      row([
        domain,
        statistic,
        average((r) => r.cue, 2),
        average((r) => r.content, 2),
        average((r) => r.mixedCue, 2),
        average((r) => r.droppedCue, 1),
        average((r) => r.droppedContent, 1),
      ]);
    }
  });

  console.log('\nChannels the filters drop on the two-source pairs (per group: the 16 pooled groups; per source: the 2 sources)\n');
  header(['pair', 'filter', `dropped cue (of ${count(layout.cue)})`, `dropped content (of ${count(layout.content)})`]);
  for (const { sources, target } of TWO_SOURCE_PAIRS) {
    for (const environments of ['per group', 'per source'] as const) {
      for (const statistic of FILTER_STATISTICS) {
        const dropped = runs.map((run) => {
          const pooled = sources.map((d) => byDomain(run, d));
          const train = pooledSourceSplit(pooled, 'train');
          const split = environments === 'per group' ? groupEnvironments(train)! : train;
          return fitEnvironmentFilter(split, pooledSourceSplit(pooled, 'valid'), { statistic }).dropped;
        });
        row([
          `${sources.join('+')} → ${target}`,
          `${environments}, ${statistic}`,
          mean(dropped.map((d) => d.filter(isCue).length)).toFixed(1),
          mean(dropped.map((d) => d.filter((s) => !isCue(s)).length)).toFixed(1),
        ]);
      }
    }
  }
}
