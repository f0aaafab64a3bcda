/**
 * Prints the probe tables of docs/synthetic-benchmark.md: what closed-form probes recover from the synthetic domains.
 * Run from packages/features: `node --import tsx bench/synthetic-probes.ts [--preset tiny] [--seeds 0,1,2]`.
 * With several seeds every cell is the mean over them.
 */
import { parseArgs } from 'node:util';
import { SYNTHETIC_PRESETS, type SyntheticPreset } from '../src/synthetic/presets';
import type { RegressionScores } from '../src/synthetic/probes';
import {
  CHANNEL_SETS,
  INTERACTION_PROBES,
  LABEL_PROBES,
  generateAllDomains,
  interactionProbeR2,
  labelProbeScores,
  transferScores,
  type InteractionProbe,
  type LabelProbe,
} from '../src/synthetic/suite';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'tiny' }, seeds: { type: 'string', default: '0' } } });
if (!(values.preset! in SYNTHETIC_PRESETS)) throw new Error(`unknown preset ${values.preset}`);
const preset = values.preset as SyntheticPreset;
const seeds = values.seeds!.split(',').map(Number);
const runs = seeds.map((seed) => generateAllDomains(preset, seed));
const domains = runs[0]!.map((g) => g.dataset.domain);

const mean = (numbers: number[]): number => numbers.reduce((sum, x) => sum + x, 0) / numbers.length;
const meanScores = (scores: RegressionScores[]): RegressionScores => ({
  r2: mean(scores.map((s) => s.r2)),
  mae: mean(scores.map((s) => s.mae)),
  acc2: mean(scores.map((s) => s.acc2)),
});
const cell = (s: RegressionScores): string => `${s.r2.toFixed(3)} / ${s.mae.toFixed(3)} / ${(100 * s.acc2).toFixed(1)}`;
const row = (cells: string[]): void => console.log(`| ${cells.join(' | ')} |`);

console.log(`synthetic benchmark probes: preset ${preset}, seed(s) ${seeds.join(',')}; test split; labels / half-range`);
console.log('cells: R² / MAE / Acc2 (non-0, %)\n');

console.log('In-domain label probes (ridge on time-mean-pooled features, λ chosen on valid)\n');
row(['probe', ...domains]);
row(['---', ...domains.map(() => '---')]);
const labelNames = Object.keys(LABEL_PROBES) as LabelProbe[];
const labelScores = runs.map((run) => run.map((domain) => labelProbeScores(domain, labelNames)));
for (const name of labelNames) {
  row([name, ...domains.map((_, d) => cell(meanScores(labelScores.map((run) => run[d]![name]))))]);
}

console.log('\nInteraction component c = κ·b_a·b_v as the target (test R²)\n');
row(['probe', ...domains]);
row(['---', ...domains.map(() => '---')]);
const interaction = runs.map((run) => run.map(interactionProbeR2));
for (const name of Object.keys(INTERACTION_PROBES) as InteractionProbe[]) {
  row([name, ...domains.map((_, d) => mean(interaction.map((run) => run[d]![name])).toFixed(3))]);
}

console.log('\nCross-domain transfer: linear t+a+v ridge trained on the source (normalized labels), tested on each target\n');
row(['source', 'channels', ...domains.map((d) => `→ ${d}`)]);
row(['---', '---', ...domains.map(() => '---')]);
const transfers = runs.map((run) => run.map((source) => transferScores(source.dataset, run.map((g) => g.dataset), preset)));
domains.forEach((source, s) => {
  for (const channels of CHANNEL_SETS) {
    row([source, channels, ...domains.map((_, t) => cell(meanScores(transfers.map((run) => run[s]![channels][t]!))))]);
  }
});
