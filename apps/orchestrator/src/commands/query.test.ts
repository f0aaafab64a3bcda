import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import type { EpochEvent } from '@midg/trainer';
import { HOST, makeEpoch, makeResult, makeSpec, tempDir } from '../db/testing/fixtures';
import { MOSEI, MOSI, SIMS, SWEEP, writePaperSweep, type PlannedRun } from '../tables/testing/paper-sweep';
import { ResultsStore, runReadOnlySql } from '../db';
import { describeRun, parsePair, parseWhere } from './query';
import { MIDG_BIN } from '../bin-path';

const tmp = tempDir('midg-query-');
const file = join(tmp.dir, 'results.sqlite');
const epochsFile = join(tmp.dir, 'epochs.sqlite');
let planned: PlannedRun[];

/** A MIDG run with an environment penalty: discriminator accuracy and penalties in its losses, a diagnostic per epoch. */
const INVARIANT_EPOCHS: EpochEvent[] = [1, 2].map((epoch) => ({
  ...makeEpoch(epoch),
  losses: { total: 3 / epoch, in: 0.7, discAcc: 0.5 + epoch / 10, env: 0.25 / epoch, envApplied: epoch > 1 ? 0.125 : 0 },
  diagnostics: { latentDomains: 4, reassigned: 10 * epoch },
}));

before(async () => {
  planned = [...new Map((await writePaperSweep(file)).map((run) => [run.key, run])).values()];
  const store = await ResultsStore.open(epochsFile);
  const sweep = await store.startSweep({ name: 'invariance', specPath: 'i.yaml', spec: {} });
  const spec = makeSpec({ seed: 77, overrides: { envPenalty: 'vrex' } });
  const { id } = await store.ensureRun(sweep.id, { key: 'k-invariance', spec, config: { envPenalty: 'vrex' }, study: 'dg', grid: {} });
  await store.markRunning(id, 1, HOST);
  for (const event of INVARIANT_EPOCHS) await store.recordEpoch(id, event);
  await store.completeRun(id, makeResult(spec, { envPenalty: 'vrex' }, { MAE: 0.9 }, { MAE: 0.8 }, { peakRssBytes: 300 * 2 ** 20 }));
  await store.finishSweep(sweep.id, 'done');
  await store.close();
});
after(() => tmp.remove());

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, ...args], { reject: false, cwd: tmp.dir });

/** Keys printed by `midg query ... --format json`, sorted. */
async function queriedKeys(...filters: string[]): Promise<string[]> {
  const result = await midg('query', '--db', file, '--format', 'json', ...filters);
  assert.equal(result.exitCode, 0, result.stderr);
  return (JSON.parse(result.stdout) as { key: string }[]).map((run) => run.key).sort();
}

const keysWhere = (match: (run: PlannedRun) => boolean): string[] => planned.filter(match).map((run) => run.key).sort();

describe('midg query (through the CLI)', () => {
  it('filters by sweep, model, status, pair, seed, study, target and resolved config values', async () => {
    const [mult, pairSeed, experts8] = await Promise.all([
      queriedKeys('--sweep', SWEEP, '--model', 'mult', '--status', 'done'),
      queriedKeys('--pair', `${MOSI}->${SIMS}`, '--seed', '1'),
      queriedKeys('--study', 'experts', '--target', MOSEI, '--where', 'experts=8', '--where', 'modalities=tav'),
    ]);
    assert.deepEqual(mult, keysWhere((run) => run.model === 'mult' && run.outcome === 'done'));
    assert.deepEqual(pairSeed, keysWhere((run) => run.source === MOSI && run.target === SIMS && run.seed === 1));
    assert.equal(pairSeed.length, 2, 'midg and mult');
    assert.deepEqual(experts8, keysWhere((run) => run.config.experts === 8));
    assert.equal(experts8.length, 3);
  });

  it('prints a readable table with headline metrics, and exports CSV', async () => {
    const [table, csv] = await Promise.all([
      midg('query', '--db', file, '--model', 'midg', '--pair', `${MOSI}->${SIMS}`),
      midg('query', '--db', file, '--model', 'mult', '--format', 'csv'),
    ]);
    assert.equal(table.exitCode, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^id\s+key\s+model\s+source→target\s+seed\s+status\s+ACC\s+F1\s+MAE\s+Corr\s+duration$/);
    assert.equal(lines.length, 2 + 3);
    const seed1 = planned.find((run) => run.model === 'midg' && run.target === SIMS && run.seed === 1)!;
    const row = lines.find((line) => line.includes(seed1.key))!;
    // SIMS target: ACC is Mult_acc_2, as a percentage.
    assert.ok(row.includes((seed1.headline!.acc * 100).toFixed(2)), row);
    assert.match(lines.find((line) => line.includes(' failed '))!, /failed/);

    assert.equal(csv.exitCode, 0, csv.stderr);
    const [header, ...rows] = csv.stdout.trimEnd().split('\n');
    const columns = header!.split(',');
    assert.deepEqual(columns.slice(0, 7), ['id', 'key', 'model', 'source', 'target', 'seed', 'status']);
    assert.ok(columns.includes('config.modalities') && columns.includes('test.Has0_acc_2') && columns.includes('valid.MAE') && columns.includes('peakRssBytes'));
    assert.equal(rows.length, keysWhere((run) => run.model === 'mult').length);
  });

  it('shows one run fully, found by key prefix', async () => {
    const done = planned.find((run) => run.model === 'midg' && run.target === SIMS && run.seed === 1)!;
    const shown = await midg('query', '--db', file, 'show', done.key.slice(0, 8));
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^run \\d+ {2}key ${done.key}\n`));
    assert.match(shown.stdout, /config \(\* = set by the sweep\/spec\):\n[\s\S]*ablation = none/);
    assert.match(shown.stdout, new RegExp(`Mult_acc_2\\s+${done.headline!.acc.toFixed(4)}`));
    assert.match(shown.stdout, /epochs:\n {2}attempt\s+epoch/);
    assert.match(shown.stdout, /sweeps:\n {2}paper {2}study table1/);
  });

  it('--epochs shows each epoch: losses with discriminator accuracy and penalties, and diagnostics, columns only when present', async () => {
    const [invariant, plain, csv, both] = await Promise.all([
      midg('query', '--db', epochsFile, '--sweep', 'invariance', '--epochs'),
      midg('query', '--db', file, '--sweep', SWEEP, '--model', 'mult', '--seed', '1', '--epochs'),
      midg('query', '--db', epochsFile, '--sweep', 'invariance', '--epochs', '--format', 'csv'),
      midg('query', '--db', epochsFile, '--epochs', '--sql', 'SELECT 1'),
    ]);
    assert.equal(invariant.exitCode, 0, invariant.stderr);
    const lines = invariant.stdout.trimEnd().split('\n');
    const header = lines.find((line) => line.startsWith('run  attempt'))!;
    assert.deepEqual(header.split(/\s+/), ['run', 'attempt', 'epoch', 'loss.total', 'loss.in', 'loss.discAcc', 'loss.env', 'loss.envApplied', 'diag.latentDomains', 'diag.reassigned', 'valid', 'MAE', 'samples/s']);
    const epochTwo = lines.at(-1)!.trim().split(/\s+/);
    // run, attempt, 2/3, total 1.5, in 0.7, discAcc 0.7, env 0.125, envApplied 0.125, 4 domains, 20 reassigned, MAE 0.5, 200/s
    assert.deepEqual(epochTwo.slice(1), ['1', '2/3', '1.5000', '0.7000', '0.7000', '0.1250', '0.1250', '4.0000', '20.0000', '0.5000', '200']);
    assert.match(invariant.stdout, /^run\s+key\s+model\s+source→target\s+seed\s+status\n.*\n\s+\d+\s+k-invariance\s+midg/);

    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /discAcc|loss\.env|diag\./, 'no columns a run does not have');
    assert.match(plain.stdout, /run\s+attempt\s+epoch\s+loss\.total\s+loss\.in\s+valid MAE\s+samples\/s/);

    assert.equal(csv.exitCode, 0, csv.stderr);
    const [csvHeader, ...csvRows] = csv.stdout.trimEnd().split('\n');
    const columns = csvHeader!.split(',');
    assert.equal(csvRows.length, 2);
    assert.equal(csvRows[0]!.split(',')[columns.indexOf('loss.discAcc')], '0.6');
    assert.equal(csvRows[1]!.split(',')[columns.indexOf('diag.reassigned')], '20');
    assert.equal(both.exitCode, 1);
    assert.equal(both.stderr, 'midg: error: Arguments sql and epochs are mutually exclusive');
  });

  it('show gives the peak RSS and the epoch log with diagnostics', async () => {
    const shown = await midg('query', '--db', epochsFile, 'show', 'k-invariance');
    assert.equal(shown.exitCode, 0, shown.stderr);
    assert.match(shown.stdout, /\n {2}peak RSS 300 MiB\n/);
    assert.match(shown.stdout, /epochs:\n {2}attempt\s+epoch\s+loss\.total\s+loss\.in\s+loss\.discAcc\s+loss\.env\s+loss\.envApplied\s+diag\.latentDomains\s+diag\.reassigned/);
  });

  it('describes a failed run with its stderr tail', async () => {
    const failed = planned.find((run) => run.model === 'midg' && run.target === SIMS && run.outcome === 'failed')!;
    const store = await ResultsStore.open(file, { readonly: true });
    const text = describeRun((await store.getRunDetail(failed.key))!);
    await store.close();
    assert.match(text, /status failed {2}attempts 1 {2}exit 1/);
    assert.match(text, /failures:\n {2}attempt 1 at .*exit 1[^\n]*\n {4}\| loading\.\.\.\n {4}\| midg: error: out of memory/);
    assert.match(text, /target test metrics:\n {2}\(none\)/);
  });

  it('runs read-only SQL, refuses statements that write, and names a missing database in one line', async () => {
    const [counts, write, missing] = await Promise.all([
      midg('query', '--db', file, '--format', 'json', '--sql', 'SELECT model, COUNT(*) AS n FROM run GROUP BY model ORDER BY model'),
      midg('query', '--db', file, '--sql', 'DELETE FROM run'),
      midg('query', '--db', 'nope.sqlite'),
    ]);
    assert.equal(counts.exitCode, 0, counts.stderr);
    const expected = [...new Set(planned.map((run) => run.model))].sort().map((model) => ({ model, n: planned.filter((run) => run.model === model).length }));
    assert.deepEqual(JSON.parse(counts.stdout), expected);
    assert.equal(write.exitCode, 1);
    assert.equal(write.stderr, 'midg: error: --sql runs statements that return rows only (SELECT, WITH ... SELECT); this one would not');
    assert.deepEqual(runReadOnlySql(file, 'SELECT COUNT(*) FROM run').rows, [[planned.length]], 'nothing was deleted');
    assert.equal(missing.exitCode, 1);
    assert.equal(missing.stderr, 'midg: error: results database nope.sqlite does not exist');
  });

  it('documents itself with examples', async () => {
    const help = await midg('query', '--help');
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /Examples:[\s\S]*query --sweep paper --status failed/);
    assert.match(help.stdout, /query show <run>/);
  });
});

describe('query argument parsing', () => {
  it('splits pairs on -> or →', () => {
    assert.deepEqual(parsePair('synth:mosi:tiny->synth:sims:tiny'), { source: 'synth:mosi:tiny', target: 'synth:sims:tiny' });
    assert.deepEqual(parsePair('mosi → mosei'), { source: 'mosi', target: 'mosei' });
    assert.throws(() => parsePair('mosi'), /bad --pair "mosi": expected SOURCE->TARGET/);
  });

  it('reads key=value where clauses', () => {
    assert.deepEqual(parseWhere(['experts=4', 'estimator = kl']), { experts: '4', estimator: 'kl' });
    assert.throws(() => parseWhere(['experts']), /bad --where "experts"/);
  });
});
