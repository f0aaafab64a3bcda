import { createHash } from 'node:crypto';
import type { ConfigRecord, ConfigValue, MetricRecord, SplitPredictions } from '@midg/trainer';
import { ResultsStore } from '../../db';
import { HOST, makeEpoch, makeResult, makeSpec } from '../../db/testing/fixtures';

// A made-up sweep shaped like the paper's experiments, with metric values chosen here, for the table and query tests.

export const MOSI = 'synth:mosi:tiny';
export const MOSEI = 'synth:mosei:tiny';
export const SIMS = 'synth:sims:tiny';
export const SWEEP = 'paper';

export interface Headline {
  acc: number;
  f1: number;
  mae: number;
  corr: number;
}

export interface PlannedRun {
  key: string;
  model: string;
  source: string;
  target: string;
  seed: number;
  config: ConfigRecord;
  study: string;
  grid: Record<string, ConfigValue>;
  outcome: 'done' | 'failed' | 'pending';
  headline?: Headline;
  /** The target's metric family when its name does not say (a user's dataset); default: sims for SIMS, else mosi. */
  family?: 'mosi' | 'sims';
  /** The majority-class ACC the run records; default MAJORITY[target]; null: none (a run recorded before it was). */
  majority?: number | null;
  validMae?: number;
  failure?: { exitCode: number | null; signal: string | null; stderrTail: string };
  /** The target test predictions the run keeps (for McNemar), when the plan gives them. */
  testPredictions?: SplitPredictions;
  /** The worker's peak RSS the run records, when the plan gives one. */
  peakRssBytes?: number;
}

export const MIDG_DEFAULTS: ConfigRecord = { alpha: 1, beta: 1, experts: 4, ablation: 'none', modalities: 'tav' };
const MULT_DEFAULTS: ConfigRecord = { modalities: 'tav' };
const SEEDS = [1, 2, 3];
/** Per-seed offsets so that every group has a non-zero spread. */
const JITTER: Record<number, number> = { 1: -0.011, 2: 0.017, 3: 0.003 };

/** The majority-class ACC each target's test split records (MOSI→MOSEI mult and MOSI→SIMS mult sit at or below it). */
export const MAJORITY: Record<string, number> = { [MOSI]: 0.55, [MOSEI]: 0.72, [SIMS]: 0.51 };

/**
 * The test metrics a run reports: its target family's full MMSA set, the headline ones as planned, the majority-class
 * ACC, and decoys: values of the other family's headline names that are not that family's markers (a MOSI record
 * with a Mult_acc_2, a SIMS record with a Has0_F1_score), which a table must not read.
 */
export function mmsaMetrics(target: string, h: Headline, family = target === SIMS ? 'sims' : 'mosi', majority: number | null = MAJORITY[target] ?? 0.5): MetricRecord {
  const metrics = mmsaFamilyMetrics(family, h, majority ?? Number.NaN);
  if (majority === null) delete metrics.Majority_acc_2;
  return metrics;
}

function mmsaFamilyMetrics(family: string, h: Headline, majority: number): MetricRecord {
  return family === 'sims'
    ? { Mult_acc_2: h.acc, Majority_acc_2: majority, Mult_acc_3: 0.015, Mult_acc_5: 0.016, F1_score: h.f1, MAE: h.mae, Corr: h.corr, Has0_F1_score: 0.012 }
    : {
        Has0_acc_2: h.acc,
        Majority_acc_2: majority,
        Has0_F1_score: h.f1,
        Non0_acc_2: 0.013,
        Non0_F1_score: 0.017,
        Mult_acc_5: 0.018,
        Mult_acc_7: 0.019,
        MAE: h.mae,
        Corr: h.corr,
        Mult_acc_2: 0.014,
      };
}

export interface GroupPlan {
  model: string;
  source: string;
  target: string;
  config: ConfigRecord;
  study: string;
  grid?: Record<string, ConfigValue>;
  base: Headline;
  validMae: number;
  /** Seeds that do not finish, and how. */
  absent?: Record<number, Pick<PlannedRun, 'outcome' | 'failure'>>;
  family?: PlannedRun['family'];
  majority?: number | null;
  /** Default [1, 2, 3]. */
  seeds?: number[];
  /** Per-seed offset of the headline values (ACC + j, F1 − j/2, MAE + j/3, Corr − j); default JITTER. */
  jitter?: Record<number, number>;
  /** The test predictions each finished seed keeps. */
  testPredictions?: (seed: number) => SplitPredictions;
  /** The peak RSS each finished seed records. */
  peakRssBytes?: (seed: number) => number;
}

export function planGroup(plan: GroupPlan): PlannedRun[] {
  return (plan.seeds ?? SEEDS).map((seed) => {
    const config = plan.config;
    const key = createHash('sha256').update(JSON.stringify([plan.model, plan.source, plan.target, seed, config])).digest('hex').slice(0, 16);
    const common = {
      key,
      model: plan.model,
      source: plan.source,
      target: plan.target,
      seed,
      config,
      study: plan.study,
      grid: plan.grid ?? {},
      ...(plan.family ? { family: plan.family } : {}),
      ...(plan.majority !== undefined ? { majority: plan.majority } : {}),
    };
    const absent = plan.absent?.[seed];
    if (absent) return { ...common, ...absent };
    const j = (plan.jitter ?? JITTER)[seed];
    if (j === undefined) throw new Error(`planGroup: no jitter for seed ${seed}`);
    return {
      ...common,
      ...(plan.testPredictions ? { testPredictions: plan.testPredictions(seed) } : {}),
      ...(plan.peakRssBytes ? { peakRssBytes: plan.peakRssBytes(seed) } : {}),
      outcome: 'done' as const,
      headline: { acc: plan.base.acc + j, f1: plan.base.f1 - j / 2, mae: plan.base.mae + j / 3, corr: plan.base.corr - j },
      validMae: plan.validMae + j / 4,
    };
  });
}

const OOM = { outcome: 'failed' as const, failure: { exitCode: 1, signal: null, stderrTail: 'loading...\nmidg: error: out of memory' } };
const KILLED = { outcome: 'failed' as const, failure: { exitCode: null, signal: 'SIGKILL', stderrTail: '' } };

const midg = (overrides: ConfigRecord): ConfigRecord => ({ ...MIDG_DEFAULTS, ...overrides });

export function plannedRuns(): PlannedRun[] {
  const h = (acc: number, f1: number, mae: number, corr: number): Headline => ({ acc, f1, mae, corr });
  return [
    // Table 1 (the default MIDG runs also keep test predictions and a peak RSS, as runs recorded since they exist do)
    ...planGroup({
      model: 'midg',
      source: MOSI,
      target: MOSEI,
      config: MIDG_DEFAULTS,
      study: 'table1',
      base: h(0.81, 0.8, 0.7, 0.51),
      validMae: 0.75,
      testPredictions: (seed) => ({ predictions: [0.5 * seed, -1.25, 2.0000002, -0.1], labels: [1.4, -0.6, 2.2, 0] }),
      peakRssBytes: (seed) => 5 * 2 ** 30 + seed,
    }),
    ...planGroup({ model: 'midg', source: MOSI, target: SIMS, config: MIDG_DEFAULTS, study: 'table1', base: h(0.52, 0.5, 0.61, 0.3), validMae: 0.75, absent: { 3: OOM } }),
    ...planGroup({ model: 'mult', source: MOSI, target: MOSEI, config: MULT_DEFAULTS, study: 'table1', base: h(0.71, 0.7, 0.61, 0.4), validMae: 0.8, absent: { 2: { outcome: 'pending' } } }),
    ...planGroup({ model: 'mult', source: MOSI, target: SIMS, config: MULT_DEFAULTS, study: 'table1', base: h(0.48, 0.47, 0.66, 0.2), validMae: 0.8 }),
    ...planGroup({ model: 'misa', source: MOSI, target: MOSEI, config: MULT_DEFAULTS, study: 'table1', base: h(0, 0, 0, 0), validMae: 0, absent: { 1: KILLED, 2: KILLED, 3: KILLED } }),
    // alpha × beta grid; alpha=1, beta=1 is the Table 1 setting (same runs, linked again).
    ...[
      { alpha: 0.5, beta: 1, base: h(0.78, 0.77, 0.69, 0.45), validMae: 0.7 },
      { alpha: 0.5, beta: 2, base: h(0.85, 0.84, 0.66, 0.55), validMae: 0.8 },
      { alpha: 1, beta: 1, base: h(0.81, 0.8, 0.7, 0.51), validMae: 0.75 },
      { alpha: 1, beta: 2, base: h(0.83, 0.82, 0.64, 0.53), validMae: 0.78, absent: { 3: OOM } },
    ].flatMap(({ alpha, beta, base, validMae, absent }) =>
      planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ alpha, beta }), study: 'alpha-beta', grid: { alpha, beta }, base, validMae, ...(absent ? { absent } : {}) }),
    ),
    // experts grid; experts=4 is the default setting again.
    ...[
      { experts: 2, base: h(0.79, 0.78, 0.71, 0.48), validMae: 0.77 },
      { experts: 4, base: h(0.81, 0.8, 0.7, 0.51), validMae: 0.75 },
      { experts: 8, base: h(0.8, 0.79, 0.72, 0.5), validMae: 0.73 },
    ].flatMap(({ experts, base, validMae }) =>
      planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ experts }), study: 'experts', grid: { experts }, base, validMae }),
    ),
    // Module ablation: the full model is the Table 1 setting.
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ ablation: 'no-moie' }), study: 'ablation', base: h(0.76, 0.75, 0.73, 0.37), validMae: 0.79 }),
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ ablation: 'no-adapter' }), study: 'ablation', base: h(0.79, 0.8, 0.71, 0.44), validMae: 0.78 }),
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ ablation: 'no-moie-no-adapter' }), study: 'ablation', base: h(0.71, 0.79, 0.74, 0.16), validMae: 0.82 }),
    // Modality ablation.
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ modalities: 't' }), study: 'modalities', base: h(0.75, 0.76, 0.8, 0.47), validMae: 0.8 }),
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ modalities: 'a' }), study: 'modalities', base: h(0.6, 0.62, 1.2, 0.1), validMae: 1.1 }),
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: midg({ modalities: 'ta' }), study: 'modalities', base: h(0.8, 0.79, 0.72, 0.49), validMae: 0.76 }),
    // In-domain.
    ...planGroup({ model: 'midg', source: MOSI, target: MOSI, config: MIDG_DEFAULTS, study: 'in-domain', base: h(0.86, 0.85, 0.68, 0.8), validMae: 0.7 }),
    ...planGroup({ model: 'mult', source: MOSI, target: MOSI, config: MULT_DEFAULTS, study: 'in-domain', base: h(0.8, 0.81, 0.86, 0.7), validMae: 0.85 }),
  ];
}

/** Writes the planned sweep through ResultsStore, as a sweep would; returns the plan. */
export async function writePaperSweep(file: string): Promise<PlannedRun[]> {
  return writePlannedSweep(file, SWEEP, plannedRuns());
}

/** Writes any planned runs as the sweep `name`, as a sweep would; returns the plan. */
export async function writePlannedSweep(file: string, name: string, planned: PlannedRun[]): Promise<PlannedRun[]> {
  const store = await ResultsStore.open(file);
  try {
    const sweep = await store.startSweep({ name, specPath: `experiments/${name}.yaml`, spec: { name } });
    const ids = new Map<string, number>();
    for (const run of planned) {
      const spec = makeSpec({ model: run.model, source: run.source, target: run.target, seed: run.seed, overrides: {} });
      const ensured = await store.ensureRun(sweep.id, { key: run.key, spec, config: run.config, study: run.study, grid: run.grid });
      if (ensured.status !== 'pending' || ids.has(run.key)) continue;
      ids.set(run.key, ensured.id);
      if (run.outcome === 'pending') continue;
      await store.markRunning(ensured.id, 1, HOST);
      if (run.outcome === 'failed') {
        await store.failRun(ensured.id, { ...run.failure!, durationMs: 100, attempt: 1, final: true });
        continue;
      }
      await store.recordEpoch(ensured.id, makeEpoch(1, { MAE: run.validMae! }));
      const evidence = { ...(run.testPredictions ? { testPredictions: run.testPredictions } : {}), ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}) };
      await store.completeRun(ensured.id, makeResult(spec, run.config, mmsaMetrics(run.target, run.headline!, run.family, run.majority), { MAE: run.validMae! }, evidence));
    }
    await store.finishSweep(sweep.id, 'done');
  } finally {
    await store.close();
  }
  return planned;
}
