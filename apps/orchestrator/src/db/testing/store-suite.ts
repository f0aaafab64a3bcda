// The results-store rules (store.ts, ResultsWriter's doc comment) as one test suite, run against every implementation:
// memory.test.ts, sqlite.test.ts and postgres.test.ts call storeSuite with a way to make a fresh store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { runSweep } from '../../sweep/runner';
import { instantExecutor } from '../../sweep/testing/instant-executor';
import { plannedRun } from '../../sweep/testing/fixtures';
import { copyResults } from '../copy';
import { currentOwner } from '../lease';
import type { RunFilter, SweepOwner } from '../records';
import { SweepBusyError, type ResultsStore } from '../store';
import { HOST, makeEpoch, makeResult, makeSpec } from './fixtures';

export interface StoreFactory {
  /** `memory`, `sqlite`, `postgres`. */
  name: string;
  /** A new, empty store; every call gives one of its own. */
  create(): Promise<ResultsStore>;
  /** Opens the store at location again (another connection, as another process would); absent for memory. */
  reopen?(store: ResultsStore): Promise<ResultsStore>;
}

const SWEEP_PROCESS = fileURLToPath(new URL('./sweep-process.ts', import.meta.url));

const owner = (token: string, extra: Partial<SweepOwner> = {}): SweepOwner => ({ host: hostname(), pid: process.pid, token, ...extra });

export function storeSuite(factory: StoreFactory): void {
  describe(`results store rules (${factory.name})`, () => {
    let store: ResultsStore;
    before(async () => {
      store = await factory.create();
    });
    after(() => store.close());

    const newRun = (sweepId: number, key: string, seed = 1, study = 'table1', config: Record<string, number | string> = {}) =>
      store.ensureRun(sweepId, { key, spec: makeSpec({ seed }), config, study, grid: {} });

    it('round-trips a whole run lifecycle', async () => {
      const sweep = await store.startSweep({ name: 'lifecycle', specPath: 'experiments/x.yaml', spec: { runs: 1 } });
      const spec = makeSpec({ overrides: { experts: 4 } });
      const config = { experts: 4, alpha: 0.5, modalities: 'tav', estimator: 'kl' };
      const ensured = await store.ensureRun(sweep.id, { key: 'k-life', spec, config, study: 'experts', grid: { experts: 4 } });
      assert.deepEqual({ status: ensured.status, attempts: ensured.attempts, claimedBy: ensured.claimedBy }, { status: 'pending', attempts: 0, claimedBy: null });

      await store.markRunning(ensured.id, 1, HOST);
      assert.equal((await store.findRuns({ status: 'running' })).find((run) => run.key === 'k-life')?.host, 'test-host');
      for (const epoch of [1, 2, 3]) await store.recordEpoch(ensured.id, makeEpoch(epoch));
      const test = { Has0_acc_2: 0.71, Has0_F1_score: 0.7, MAE: 0.93, Corr: Number.NaN };
      const valid = { MAE: 0.88, Has0_acc_2: 0.66 };
      const adaptation = { inputs: 'target-test', report: { steps: 3 }, sourceOnlyTest: { MAE: 1 } };
      await store.completeRun(ensured.id, makeResult(spec, config, test, valid, { expertUsage: [0.25, 0.75], checkpoint: '/ckpt/k-life', durationMs: 4321.6, adaptation }));
      await store.finishSweep(sweep.id, 'done');

      const detail = await store.getRunDetail('k-life');
      assert.ok(detail);
      const { run } = detail;
      assert.equal(run.status, 'done');
      assert.equal(run.attempts, 1);
      assert.deepEqual(run.config, config);
      assert.deepEqual(run.overrides, { experts: 4 });
      assert.deepEqual([run.model, run.source, run.target, run.seed], [spec.model, spec.source, spec.target, spec.seed]);
      assert.deepEqual(run.test, test, 'NaN comes back as NaN');
      assert.deepEqual(run.valid, valid);
      assert.deepEqual([run.bestEpoch, run.epochsRun, run.durationMs, run.backend, run.exitCode], [2, 3, 4322, 'wasm', 0]);
      assert.deepEqual(run.expertUsage, [0.25, 0.75]);
      assert.deepEqual(run.adaptation, adaptation);
      assert.deepEqual([run.host, run.gitCommit, run.gitDirty, run.packageVersions], [HOST.host, HOST.gitCommit, true, HOST.packageVersions]);
      assert.ok(run.startedAt instanceof Date && run.finishedAt instanceof Date && run.finishedAt >= run.startedAt);
      assert.deepEqual(detail.epochs.map((e) => [e.attempt, e.epoch, e.losses.total, e.valid.MAE, e.samplesPerSecond, e.learningRate]), [
        [1, 1, 2, 1, 100, 0.001],
        [1, 2, 1, 0.5, 200, 0.0005],
        [1, 3, 2 / 3, 1 / 3, 300, 0.001 / 3],
      ]);
      assert.deepEqual(detail.artifacts.map((a) => [a.kind, a.path]), [['checkpoint', '/ckpt/k-life']]);
      assert.deepEqual(detail.memberships, [{ sweep: 'lifecycle', study: 'experts', grid: { experts: 4 } }]);
      assert.equal((await store.getRunDetail(String(run.id)))?.run.key, 'k-life', 'found by id too');
      const sweepRecord = await store.findSweep('lifecycle');
      assert.equal(sweepRecord?.status, 'done');
      assert.deepEqual(sweepRecord?.spec, { runs: 1 });
      assert.equal(sweepRecord?.executor, 'local');

      // A second sweep asking for the same key gets the finished run back and links it; nothing is redone.
      const other = await store.startSweep({ name: 'lifecycle-2', specPath: 'y.yaml', spec: {} });
      const again = await store.ensureRun(other.id, { key: 'k-life', spec, config, study: 'table1', grid: {} });
      assert.deepEqual(again, { id: ensured.id, key: 'k-life', status: 'done', attempts: 1, claimedBy: null });
      assert.deepEqual(await store.claimRuns(other.id, [ensured.id]), [], 'a done run is never claimed');
      const members = await store.sweepMembers(other.id);
      assert.deepEqual(members.map((m) => [m.run.key, m.study, m.run.test.MAE]), [['k-life', 'table1', 0.93]]);
    });

    it('captures every failed attempt and keeps it apart from the retry', async () => {
      const sweep = await store.startSweep({ name: 'retry', specPath: 'r.yaml', spec: {} });
      const spec = makeSpec({ seed: 7 });
      const { id } = await store.ensureRun(sweep.id, { key: 'k-retry', spec, config: {}, study: 'table1', grid: {} });
      await store.markRunning(id, 1, HOST);
      await store.recordEpoch(id, makeEpoch(1, { MAE: 9 }));
      await store.failRun(id, { exitCode: null, signal: 'SIGKILL', stderrTail: 'killed', durationMs: 50, attempt: 1, final: false, reason: 'slurm NODE_FAIL' });

      let run = (await store.getRunDetail('k-retry'))!.run;
      assert.deepEqual([run.status, run.attempts, run.exitCode, run.signal, run.stderrTail, run.durationMs], ['pending', 1, null, 'SIGKILL', 'killed', 50]);

      await store.markRunning(id, 2, HOST);
      run = (await store.getRunDetail('k-retry'))!.run;
      assert.deepEqual([run.status, run.signal, run.stderrTail], ['running', null, null], 'a new attempt starts clean');
      await store.recordEpoch(id, makeEpoch(1));
      await store.recordEpoch(id, makeEpoch(2));
      await store.recordEpoch(id, makeEpoch(2, { MAE: 0.25 }));
      await store.completeRun(id, makeResult(spec, {}, { MAE: 0.5 }, { MAE: 0.4 }));

      const detail = (await store.getRunDetail('k-retry'))!;
      assert.deepEqual([detail.run.status, detail.run.attempts, detail.run.exitCode], ['done', 2, 0]);
      assert.deepEqual(detail.run.failures.map((f) => [f.attempt, f.signal, f.stderrTail, f.reason]), [[1, 'SIGKILL', 'killed', 'slurm NODE_FAIL']]);
      assert.deepEqual(detail.epochs.map((e) => [e.attempt, e.epoch, e.valid.MAE]), [[1, 1, 9], [2, 1, 1], [2, 2, 0.25]], 'a repeated epoch replaces');

      const { id: doomed } = await store.ensureRun(sweep.id, { key: 'k-doomed', spec: makeSpec({ seed: 8 }), config: {}, study: 'table1', grid: {} });
      await store.claimRuns(sweep.id, [doomed]);
      await store.markRunning(doomed, 1, HOST);
      await store.failRun(doomed, { exitCode: 1, signal: null, stderrTail: 'midg: error: out of memory', durationMs: 10, attempt: 1, final: true });
      const failed = await store.getRunDetail('k-doomed');
      assert.deepEqual([failed!.run.status, failed!.run.exitCode, failed!.run.stderrTail], ['failed', 1, 'midg: error: out of memory']);
      assert.equal((await store.runStates([doomed]))[0]!.claimedBy, null, 'a final failure drops the claim');
    });

    it('resumes a sweep started again under the same name, with what its executor saved', async () => {
      const me = owner('resume-1');
      const first = await store.startSweep({ name: 'resumable', specPath: 'v1.yaml', spec: { v: 1 }, executor: 'slurm', owner: me });
      assert.equal(first.executorState, null);
      await store.saveExecutorState(first.id, { arrays: [{ jobId: '12', keys: ['a', 'b'] }] });
      await store.finishSweep(first.id, 'interrupted');
      const second = await store.startSweep({ name: 'resumable', specPath: 'v2.yaml', spec: { v: 2 }, owner: owner('resume-2') });
      assert.equal(second.id, first.id);
      assert.deepEqual(second.executorState, { arrays: [{ jobId: '12', keys: ['a', 'b'] }] });
      const record = await store.findSweep('resumable');
      assert.deepEqual([record?.status, record?.specPath, record?.spec, record?.finishedAt, record?.executor], ['running', 'v2.yaml', { v: 2 }, null, 'local']);
      assert.equal((await store.findSweep())?.name, 'resumable', 'the latest started sweep is the default');
      await store.finishSweep(first.id, 'done');
    });

    it('lets one live process own a sweep, and takes it over from a dead or silent one', async () => {
      const a = owner('owner-a');
      const sweep = await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: a });
      await assert.rejects(store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: owner('owner-b') }), (error: unknown) => {
        assert.ok(error instanceof SweepBusyError);
        assert.match(error.message, /^sweep owned is being run by another process \(pid \d+ on .+, last seen \d+s ago\)/);
        return true;
      });
      await store.heartbeat(sweep.id, a);
      // Silent past the lease: taken over, and the old owner learns it at its next beat.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const b = owner('owner-b');
      assert.equal((await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: b, leaseMs: 10 })).id, sweep.id);
      await assert.rejects(store.heartbeat(sweep.id, a), /was taken over by another process/);
      // A process of this host that no longer exists is not live, however recent its beat.
      const gone = owner('owner-gone', { pid: 2 ** 22 + 17 });
      await store.finishSweep(sweep.id, 'interrupted');
      await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: gone });
      assert.equal((await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: b })).id, sweep.id);
      // The same owner may start it again (a resume within one process); a finished sweep is free.
      await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: b });
      await store.finishSweep(sweep.id, 'done');
      await store.startSweep({ name: 'owned', specPath: 'o.yaml', spec: {}, owner: currentOwner() });
      await store.finishSweep(sweep.id, 'done');
    });

    it('gives a run to one sweep at a time; claims of dead sweeps are taken, their running runs reset', async () => {
      const one = await store.startSweep({ name: 'claims-1', specPath: 'c.yaml', spec: {}, owner: owner('claims-1') });
      const two = await store.startSweep({ name: 'claims-2', specPath: 'c.yaml', spec: {}, owner: owner('claims-2') });
      const a = await newRun(one.id, 'k-claim-a', 11);
      const b = await newRun(one.id, 'k-claim-b', 12);
      await newRun(two.id, 'k-claim-a', 11);
      await newRun(two.id, 'k-claim-b', 12);
      const c = await newRun(two.id, 'k-claim-c', 13);
      const [first, second] = await Promise.all([store.claimRuns(one.id, [a.id, b.id]), store.claimRuns(two.id, [a.id, b.id, c.id])]);
      assert.deepEqual([...first, ...second].sort(), [a.id, b.id, c.id].sort(), 'every run claimed exactly once');
      assert.deepEqual(await store.claimRuns(one.id, [a.id, b.id]), first, 'claiming again what one holds is a no-op');

      // Sweep one is interrupted while its runs are running: sweep two takes them, as pending.
      for (const id of first) await store.markRunning(id, 1, HOST);
      await store.finishSweep(one.id, 'interrupted');
      assert.deepEqual((await store.claimRuns(two.id, [a.id, b.id])).sort(), [a.id, b.id].sort());
      const states = await store.runStates([a.id, b.id, c.id]);
      assert.ok(states.every((state) => state.claimedBy === two.id));
      assert.ok(states.every((state) => state.status === 'pending'), JSON.stringify(states));

      // releaseRuns drops the claims and resets what was running.
      await store.markRunning(c.id, 1, HOST);
      assert.equal(await store.releaseRuns(two.id), 1);
      assert.deepEqual((await store.runStates([a.id, b.id, c.id])).map((state) => [state.status, state.claimedBy]), [
        ['pending', null],
        ['pending', null],
        ['pending', null],
      ]);
      await store.finishSweep(two.id, 'done');
    });

    it('serialises writes issued concurrently from one process', async () => {
      const sweep = await store.startSweep({ name: 'parallel', specPath: 'p.yaml', spec: {} });
      const ensured = await Promise.all(Array.from({ length: 12 }, (_, i) => newRun(sweep.id, `k-par-${i}`, 100 + i)));
      await Promise.all(ensured.flatMap(({ id }) => [1, 2, 3].map((epoch) => store.recordEpoch(id, makeEpoch(epoch)))));
      for (const { id } of ensured) assert.equal((await store.getRunDetail(String(id)))!.epochs.length, 3);
      await store.finishSweep(sweep.id, 'done');
    });

    it('filters runs by sweep, study, model, pair, seed, status and resolved config values', async () => {
      const sweep = await store.startSweep({ name: 'filters', specPath: 'f.yaml', spec: {} });
      const add = async (key: string, spec: Parameters<typeof makeSpec>[0], config: Record<string, number | string>, study: string) =>
        store.ensureRun(sweep.id, { key, spec: makeSpec(spec), config, study, grid: {} });
      await add('k-f1', { model: 'midg', seed: 1 }, { experts: 4, modalities: 'tav' }, 'experts');
      await add('k-f2', { model: 'midg', seed: 2 }, { experts: 8, modalities: 'tav' }, 'experts');
      await add('k-f3', { model: 'mult', source: 'synth:sims:tiny', seed: 1 }, { experts: 4, modalities: 't' }, 'table1');
      const keys = async (filter: RunFilter) => (await store.findRuns(filter)).map((run) => run.key);

      assert.deepEqual(await keys({ sweep: 'filters' }), ['k-f1', 'k-f2', 'k-f3']);
      assert.deepEqual(await keys({ sweep: 'filters', study: 'experts' }), ['k-f1', 'k-f2']);
      assert.deepEqual(await keys({ study: 'experts', model: 'midg', where: { experts: '8' } }), ['k-f2']);
      assert.deepEqual(await keys({ sweep: 'filters', model: 'mult' }), ['k-f3']);
      assert.deepEqual(await keys({ sweep: 'filters', source: 'synth:sims:tiny', target: 'synth:mosei:tiny' }), ['k-f3']);
      assert.deepEqual(await keys({ sweep: 'filters', seed: 1 }), ['k-f1', 'k-f3']);
      assert.deepEqual(await keys({ sweep: 'filters', where: { experts: '4' } }), ['k-f1', 'k-f3']);
      assert.deepEqual(await keys({ sweep: 'filters', where: { experts: '4.0', modalities: 'tav' } }), ['k-f1']);
      assert.deepEqual(await keys({ sweep: 'filters', where: { experts: 'four' } }), []);
      assert.deepEqual(await keys({ sweep: 'no-such-sweep' }), []);
      assert.equal((await store.getRunDetail('k-f'))?.run.key, undefined, 'a prefix shorter than 4 finds nothing');
      await store.finishSweep(sweep.id, 'done');
    });

    it('merges another store by run key: adds, upgrades, keeps, and a second merge changes nothing', async () => {
      const source = await factory.create();
      const target = await factory.create();
      try {
        const sweep = await source.startSweep({ name: 'laptop', specPath: 'l.yaml', spec: { where: 'laptop' } });
        for (const [key, seed] of [['k-m1', 1], ['k-m2', 2], ['k-m3', 3]] as const) {
          const { id } = await source.ensureRun(sweep.id, { key, spec: makeSpec({ seed }), config: { seed }, study: 'table1', grid: { seed } });
          await source.markRunning(id, 1, HOST);
          await source.recordEpoch(id, makeEpoch(1));
          if (key === 'k-m3') await source.failRun(id, { exitCode: 2, signal: null, stderrTail: 'no', durationMs: 5, attempt: 1, final: true });
          else await source.completeRun(id, makeResult(makeSpec({ seed }), { seed }, { MAE: seed / 10, Corr: Number.NaN }, { MAE: 1 }, { checkpoint: `/c/${key}` }));
        }
        await source.finishSweep(sweep.id, 'failed');
        // The target knows k-m1 as pending (from a sweep of its own) and k-m3 as done: one is upgraded, one kept.
        const own = await target.startSweep({ name: 'cluster', specPath: 'c.yaml', spec: {} });
        await target.ensureRun(own.id, { key: 'k-m1', spec: makeSpec({ seed: 1 }), config: { seed: 1 }, study: 'table1', grid: {} });
        const { id: m3 } = await target.ensureRun(own.id, { key: 'k-m3', spec: makeSpec({ seed: 3 }), config: { seed: 3 }, study: 'table1', grid: {} });
        await target.markRunning(m3, 1, HOST);
        await target.completeRun(m3, makeResult(makeSpec({ seed: 3 }), { seed: 3 }, { MAE: 0.33 }, { MAE: 1 }));
        await target.finishSweep(own.id, 'done');

        const first = await copyResults(source, target);
        assert.deepEqual(first, { sweeps: { inserted: 1, unchanged: 0 }, runs: { inserted: 1, replaced: 1, unchanged: 1 }, linksAdded: 3 });
        const second = await copyResults(source, target);
        assert.deepEqual(second, { sweeps: { inserted: 0, unchanged: 1 }, runs: { inserted: 0, replaced: 0, unchanged: 3 }, linksAdded: 0 });

        const m1 = (await target.getRunDetail('k-m1'))!;
        assert.equal(m1.run.status, 'done');
        assert.deepEqual(m1.run.test, { MAE: 0.1, Corr: Number.NaN });
        assert.deepEqual(m1.epochs.map((epoch) => [epoch.attempt, epoch.epoch]), [[1, 1]]);
        assert.deepEqual(m1.artifacts.map((artifact) => artifact.path), ['/c/k-m1']);
        assert.deepEqual(m1.memberships.map((m) => m.sweep).sort(), ['cluster', 'laptop']);
        assert.equal((await target.getRunDetail('k-m3'))!.run.test.MAE, 0.33, 'a done run is not replaced by a failed one');
        assert.deepEqual((await target.findSweep('laptop'))?.spec, { where: 'laptop' });
        assert.deepEqual((await target.sweepMembers((await target.findSweep('laptop'))!.id)).map((m) => [m.run.key, m.grid]), [
          ['k-m1', { seed: 1 }],
          ['k-m3', { seed: 3 }],
          ['k-m2', { seed: 2 }],
        ]);
      } finally {
        await source.close();
        await target.close();
      }
    });

    it("keeps a run's test predictions and peak RSS, carries them in a merge, and keeps malformed ones as null", async () => {
      const source = await factory.create();
      const target = await factory.create();
      try {
        const sweep = await source.startSweep({ name: 'evidence', specPath: 'e.yaml', spec: {} });
        const testPredictions = { predictions: [0.123456791, -2.4, 0, 3], labels: [0.2, -1.8, 0, 2.6] };
        const peakRssBytes = 5 * 2 ** 30 + 12_288; // past 32 bits: PostgreSQL keeps it as bigint
        const finish = async (key: string, seed: number, extra: Parameters<typeof makeResult>[4]) => {
          const spec = makeSpec({ seed });
          const { id } = await source.ensureRun(sweep.id, { key, spec, config: { seed }, study: 'table1', grid: {} });
          await source.markRunning(id, 1, HOST);
          await source.completeRun(id, makeResult(spec, { seed }, { MAE: 0.5 }, { MAE: 0.4 }, extra));
        };
        await finish('k-evidence', 1, { testPredictions, peakRssBytes });
        await finish('k-malformed', 2, { testPredictions: { predictions: [1, 2], labels: [1] }, peakRssBytes: -1 });
        await finish('k-not-a-number', 3, { testPredictions: { predictions: [Number.NaN], labels: [1] }, peakRssBytes: Number.NaN });
        const { id: pendingId } = await source.ensureRun(sweep.id, { key: 'k-unfinished', spec: makeSpec({ seed: 4 }), config: { seed: 4 }, study: 'table1', grid: {} });
        await source.finishSweep(sweep.id, 'done');

        const evidence = (run: { testPredictions: unknown; peakRssBytes: unknown }) => [run.testPredictions, run.peakRssBytes];
        assert.deepEqual(evidence((await source.getRunDetail('k-evidence'))!.run), [testPredictions, peakRssBytes]);
        assert.deepEqual(evidence((await source.findRuns({ seed: 1, sweep: 'evidence' }))[0]!), [testPredictions, peakRssBytes], 'findRuns has them');
        assert.deepEqual(evidence((await source.getRunDetail('k-malformed'))!.run), [null, null], 'unequal lengths, a negative size');
        assert.deepEqual(evidence((await source.getRunDetail('k-not-a-number'))!.run), [null, null], 'NaN');
        assert.deepEqual(evidence((await source.getRunDetail(String(pendingId)))!.run), [null, null], 'a run not done has neither');

        await copyResults(source, target);
        const copied = (await target.sweepMembers((await target.findSweep('evidence'))!.id)).find((member) => member.run.key === 'k-evidence')!;
        assert.deepEqual(evidence(copied.run), [testPredictions, peakRssBytes], 'db copy carries them');
      } finally {
        await source.close();
        await target.close();
      }
    });

    it(`three sweeps sharing runs write one store at once${factory.reopen ? ', each from its own process' : ''}: no run lost, none run twice`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'midg-suite-'));
      const log = join(dir, 'executions.log');
      const sweeps: [string, number, number][] = [['share-a', 1, 12], ['share-b', 7, 18], ['share-c', 1, 18]];
      try {
        const results = factory.reopen
          ? (
              await Promise.all(
                sweeps.map(([name, first, last]) =>
                  execa(process.execPath, ['--import', 'tsx', SWEEP_PROCESS, store.location, name, String(first), String(last), log], { reject: false }),
                ),
              )
            ).map((result) => {
              assert.equal(result.exitCode, 0, result.stderr);
              return JSON.parse(result.stdout) as { status: string; done: number; total: number };
            })
          : await Promise.all(
              sweeps.map(([name, first, last]) =>
                runSweep(store, {
                  name,
                  specPath: `${name}.yaml`,
                  spec: {},
                  runs: Array.from({ length: last - first + 1 }, (_, i) => plannedRun(first + i)),
                  retries: 0,
                  executor: instantExecutor({ log, delayMs: 15 }),
                  host: HOST,
                  waitPollMs: 50,
                }),
              ),
            );
        assert.deepEqual(results.map(({ status, done, total }) => [status, done, total]), [['done', 12, 12], ['done', 12, 12], ['done', 18, 18]]);
        const executions = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
        assert.equal(executions.length, 18, 'each of the 18 distinct runs executed once');
        assert.equal(new Set(executions).size, 18);
        for (const [name, first, last] of sweeps) {
          const runs = await store.findRuns({ sweep: name });
          assert.equal(runs.length, last - first + 1, name);
          assert.ok(runs.every((run) => run.status === 'done' && run.attempts === 1 && run.failures.length === 0), name);
        }
        const keys = (await store.findRuns({ sweep: 'share-c' })).map((run) => run.key);
        assert.equal(new Set(keys).size, 18, 'one row per key');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    if (factory.reopen) {
      it('keeps everything across a reopen, and readers of another connection see committed writes', async () => {
        const sweep = await store.startSweep({ name: 'reopen', specPath: 'r.yaml', spec: {} });
        const { id } = await newRun(sweep.id, 'k-reopen', 5);
        const other = await factory.reopen!(store);
        try {
          assert.equal((await other.getRunDetail('k-reopen'))?.run.id, id);
          await other.markRunning(id, 1, HOST);
          await other.completeRun(id, makeResult(makeSpec({ seed: 5 }), {}, { MAE: 0.5 }, { MAE: 0.5 }));
          assert.equal((await store.getRunDetail('k-reopen'))?.run.status, 'done');
        } finally {
          await other.close();
        }
        await store.finishSweep(sweep.id, 'done');
      });
    }
  });
}
