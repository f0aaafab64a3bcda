import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { runReadOnlySql } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { fakeWorker, invocations, type FakeRule } from '../sweep/testing/fixtures';
import { workerCommand } from './sweep';
import { MIDG_BIN } from '../bin-path';

const tmp = tempDir('midg-sweep-cli-');
after(() => tmp.remove());
let cases = 0;

/** A directory with a spec of one study over the given seeds and a fake worker following rules. */
function setup(seeds: number[], rules: FakeRule[] = [], extra: object = {}) {
  const dir = join(tmp.dir, `case-${++cases}`);
  mkdirSync(dir);
  const spec = join(dir, 'spec.json');
  writeFileSync(
    spec,
    JSON.stringify({ name: `cli${cases}`, seeds, base: { epochs: 2 }, studies: [{ name: 'table1', pairs: ['synth:mosi:tiny -> synth:mosei:tiny'] }], ...extra }),
  );
  const worker = fakeWorker(dir, rules);
  const db = join(dir, 'results', 'midg.sqlite');
  const env = { MIDG_WORKER_COMMAND: JSON.stringify(worker.command), CI: '1' };
  const sweep = (...args: string[]): ResultPromise<{ reject: false; cwd: string; env: typeof env }> =>
    execa(process.execPath, [MIDG_BIN, 'sweep', '--spec', spec, '--db', db, ...args], { reject: false, cwd: dir, env });
  const count = (sql: string): unknown => runReadOnlySql(db, sql).rows[0]![0];
  return { dir, spec, db, markers: worker.markers, sweep, count };
}

function killLeftovers(markers: string): void {
  for (const { pid } of invocations(markers)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

it('a sweep killed with SIGKILL resumes: no finished run is lost or redone', async () => {
  const seeds = [1, 2, 3, 4, 5, 6];
  const t = setup(seeds, [{ match: {}, attempts: [{ do: 'succeed', delayMs: 300 }] }]);
  const first = t.sweep('--workers', '2');
  let finished = 0;
  first.stdout!.on('data', (chunk: Buffer) => {
    finished += (String(chunk).match(/\] done: /g) ?? []).length;
    if (finished >= 3) first.kill('SIGKILL');
  });
  const killed = await first;
  assert.equal(killed.signal, 'SIGKILL');
  const doneBefore = runReadOnlySql(t.db, `SELECT seed FROM run WHERE status = 'done'`).rows.map((row) => row[0] as number);
  assert.ok(doneBefore.length >= 3 && doneBefore.length < seeds.length, `done before the kill: ${doneBefore}`);
  assert.ok((t.count(`SELECT COUNT(*) FROM run WHERE status = 'running'`) as number) > 0, 'the kill left runs marked running');
  await new Promise((resolve) => setTimeout(resolve, 400)); // the orphaned workers finish, unrecorded
  killLeftovers(t.markers);
  const callsOf = (seed: number): number => invocations(t.markers).filter((call) => call.spec.seed === seed).length;
  const callsBefore = new Map(seeds.map((seed) => [seed, callsOf(seed)]));

  const second = await t.sweep('--workers', '2', '--resume');
  assert.equal(second.exitCode, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`${seeds.length} runs: ${doneBefore.length} already done`));
  assert.equal(t.count(`SELECT COUNT(*) FROM run WHERE status = 'done'`), seeds.length);
  assert.equal(t.count(`SELECT status FROM sweep`), 'done');
  for (const seed of seeds) {
    if (doneBefore.includes(seed)) assert.equal(callsOf(seed), 1, `seed ${seed} finished before the kill and is not redone`);
    else assert.equal(callsOf(seed), callsBefore.get(seed)! + 1, `seed ${seed} runs once more`);
  }
});

it('8 workers on 24 quick runs: every row lands, no lock errors, tables and checkpoints beside the database', async () => {
  const seeds = Array.from({ length: 24 }, (_, i) => i + 1);
  const t = setup(seeds, [{ match: {}, attempts: [{ do: 'succeed', epochs: 3 }] }]);
  const result = await t.sweep('--workers', '8');
  assert.equal(result.exitCode, 0, result.stderr);
  assert.doesNotMatch(result.stderr + result.stdout, /database is locked|SQLITE_BUSY/);
  assert.equal(result.stdout.split('\n').filter((line) => line.includes('] done: ')).length, 24, 'one plain line per run');
  assert.equal(t.count(`SELECT COUNT(*) FROM run WHERE status = 'done'`), 24);
  assert.equal(t.count('SELECT COUNT(*) FROM sweep_run'), 24);
  assert.equal(t.count('SELECT COUNT(*) FROM epoch_log'), 24 * 3);
  assert.equal(t.count(`SELECT COUNT(*) FROM metric WHERE split = 'test'`), 24 * 2);
  assert.equal(t.count(`SELECT COUNT(*) FROM artifact WHERE kind = 'checkpoint'`), 24);
  assert.equal(readdirSync(join(t.dir, 'results', 'checkpoints')).length, 24);
  assert.ok(existsSync(join(t.dir, 'results', 'tables', 'table1.md')), `tables: ${result.stdout}`);
  assert.match(result.stdout, /tables: results\/tables \(\d+ files\)/);
  assert.match(result.stdout, /24 runs, 24 done \(24 now, 0 before\), 0 failed/);
});

it('a finally failed run makes the sweep exit non-zero after the others finish', async () => {
  const t = setup([1, 2], [{ match: { seed: 2 }, attempts: [{ do: 'exit', code: 3, stderr: 'loading\nmidg: error: no such dataset\n' }] }]);
  const result = await t.sweep('--workers', '2', '--retries', '1'); // the spec says 0
  assert.equal(result.exitCode, 1);
  assert.match(result.stdout, /failed after 2 attempt\(s\): midg synth:mosi:tiny -> synth:mosei:tiny seed 2: exit 3: midg: error: no such dataset/);
  assert.equal(result.stderr.trim().split('\n').at(-1), `midg: error: 1 of 2 runs failed; see: midg query --db ${t.db} --sweep cli${cases} --status failed`);
  const [row] = runReadOnlySql(t.db, `SELECT status, exitCode, signal, stderrTail, attempts, durationMs FROM run WHERE seed = 2`).rows;
  assert.deepEqual(row!.slice(0, 5), ['failed', 3, null, 'loading\nmidg: error: no such dataset\n', 2]);
  assert.ok((row![5] as number) > 0);
  assert.equal(invocations(t.markers).filter((call) => call.spec.seed === 2).length, 2);
  assert.equal(t.count(`SELECT status FROM run WHERE seed = 1`), 'done');
  assert.equal(t.count('SELECT status FROM sweep'), 'failed');
});

it('SIGTERM stops the workers, leaves the runs pending and exits 143', async () => {
  const t = setup([1, 2, 3], [{ match: {}, attempts: [{ do: 'hang' }] }]);
  const sweep = t.sweep('--workers', '2');
  while (invocations(t.markers).length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  sweep.kill('SIGTERM');
  const result = await sweep;
  assert.equal(result.exitCode, 143);
  assert.match(result.stderr, /^midg: sweep cli\d+ interrupted by SIGTERM: 0 of 3 runs done; rerun the same command to resume$/);
  assert.equal(t.count(`SELECT status FROM sweep`), 'interrupted');
  assert.equal(t.count(`SELECT COUNT(*) FROM run WHERE status = 'pending'`), 3);
  assert.equal(t.count(`SELECT COUNT(*) FROM run WHERE failuresJson != '[]'`), 0);
  for (const { pid } of invocations(t.markers)) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
});

it('--dry-run lists the runs without a database; a bad spec is one error line', async () => {
  const t = setup([1, 2], [], { studies: [{ name: 'grid', pairs: ['synth:mosi:tiny -> synth:mosei:tiny'], grid: { experts: [2, 4] } }] });
  const badSpec = join(t.dir, 'bad.yaml');
  writeFileSync(badSpec, 'name: bad\nseeds: [1]\nstudies:\n  - name: s\n    pairs: [synth:mosi -> synth:sims]\n    grid: { alpha: 0.1 }\n');
  const [dry, bad] = await Promise.all([
    t.sweep('--dry-run'),
    execa(process.execPath, [MIDG_BIN, 'sweep', '--spec', badSpec], { reject: false, cwd: t.dir }),
  ]);
  assert.equal(dry.exitCode, 0, dry.stderr);
  const lines = dry.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `sweep cli${cases}: 4 runs (4 study links) from ${t.spec}`);
  assert.match(lines[1]!, /^ {2}grid +4 runs$/);
  assert.equal(lines.length, 2 + 4);
  assert.match(lines[2]!, /^[0-9a-f]{16} {2}grid +midg synth:mosi:tiny -> synth:mosei:tiny seed 1 {2}epochs=2 experts=2$/);
  assert.ok(!existsSync(t.db));
  assert.equal(bad.exitCode, 1);
  assert.equal(bad.stderr, `midg: error: ${badSpec}: studies[0].grid.alpha: expected a non-empty list of values for "alpha"`);
  assert.ok(!existsSync(join(t.dir, 'results')), 'nothing is created for a bad spec');
});

it('--dry-run --executor slurm on 1,000 runs prints the sbatch script it would submit, and touches nothing', async () => {
  const seeds = Array.from({ length: 1000 }, (_, i) => i + 1);
  const t = setup(seeds, [], { slurm: { time: '01:00:00', mem: '4G', extra: ['--qos=short'] } });
  const result = await t.sweep('--dry-run', '--executor', 'slurm', '--partition', 'cpu', '--workers', '50', '--work-dir', join(t.dir, 'work'));
  assert.equal(result.exitCode, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `sweep cli${cases}: 1000 runs (1000 study links) from ${t.spec}`);
  const at = lines.findIndex((line) => line.startsWith('slurm: would submit'));
  assert.equal(at, 2 + 1000, 'the plan first, then the script');
  assert.equal(lines[at], `slurm: would submit 1 job array(s) for 1000 run(s) (at most 1001 tasks each, Slurm's default MaxArraySize), 50 at once, work dir ${join(t.dir, 'work')}`);
  const script = lines.slice(at + 2).join('\n');
  assert.match(script, /^#!\/bin\/bash\n#SBATCH --job-name=midg-cli\d+-dry-run\n#SBATCH --array=0-999%50\n/);
  for (const directive of ['--partition=cpu', '--time=01:00:00', '--mem=4G', '--cpus-per-task=1', '--qos=short', '--no-requeue', `--chdir=${t.dir}`]) {
    assert.ok(script.includes(`#SBATCH ${directive}\n`), directive);
  }
  assert.match(script, /exec .* train --run-spec "\$RUN_DIR\/spec.json" --run-dir "\$RUN_DIR" --checkpoint-dir .*\/results\/checkpoints\/"\$KEY"$/);
  assert.ok(!existsSync(join(t.dir, 'results')) && !existsSync(join(t.dir, 'work')), 'nothing written');
});

it('bad executor or database input is one error line, before anything is written', async () => {
  const t = setup([1]);
  const noSlurm = { ...process.env, PATH: '/nonexistent', MIDG_WORKER_COMMAND: JSON.stringify([process.execPath, 'w.mjs']), CI: '1' };
  const cases = await Promise.all([
    t.sweep('--partition', 'gpu'),
    execa(process.execPath, [MIDG_BIN, 'sweep', '--spec', t.spec, '--db', t.db, '--executor', 'slurm'], { reject: false, cwd: t.dir, env: noSlurm }),
    t.sweep('--db', 'mysql://root@localhost/midg'),
    t.sweep('--db', 'postgresql://someone:secret@127.0.0.1:1/midg'),
  ]);
  assert.deepEqual(cases.map((result) => result.exitCode), [1, 1, 1, 1]);
  assert.equal(cases[0]!.stderr, 'midg: error: --partition is a Slurm option; it needs --executor slurm');
  assert.match(cases[1]!.stderr, /^midg: error: sbatch not found: --executor slurm runs where Slurm's commands \(sbatch, squeue, scancel, scontrol\) are on PATH, e\.g\. a login node$/);
  assert.equal(cases[2]!.stderr, 'midg: error: --db mysql://root@localhost/midg: unsupported database URL scheme "mysql"; expected a file path or a postgresql:// URL');
  assert.match(cases[3]!.stderr, /^midg: error: cannot connect to postgresql:\/\/someone:\*\*\*@127\.0\.0\.1:1\/midg: .*ECONNREFUSED.*$/);
  for (const result of cases) assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.ok(!existsSync(join(t.dir, 'results')), 'nothing written');
});

it('MIDG_WORKER_COMMAND must be a JSON array of strings', () => {
  assert.deepEqual(workerCommand({ MIDG_WORKER_COMMAND: '["node","w.mjs"]' }), ['node', 'w.mjs']);
  assert.equal(workerCommand({}).length, 2);
  assert.throws(() => workerCommand({ MIDG_WORKER_COMMAND: 'node w.mjs' }), /MIDG_WORKER_COMMAND must be a JSON array of strings/);
  assert.throws(() => workerCommand({ MIDG_WORKER_COMMAND: '[]' }), /JSON array/);
});
