// `midg sweep --executor slurm` on the real one-node cluster of tools/services.sh, with a fake worker (so that the
// tasks do as told): Ctrl-C cancels the array, and a node failure is a failed attempt with Slurm's reason that is
// retried. The full sweep with real training, killed and rerun, is in sweep.e2e.test.ts.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { openStore } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { requireSlurm } from '../db/testing/services';
import { fakeWorker, invocations, type FakeRule } from '../sweep/testing/fixtures';
import { MIDG_BIN } from '../bin-path';

const tmp = tempDir('midg-slurm-cli-');
after(() => tmp.remove());
before(() => requireSlurm());
let cases = 0;

function setup(seeds: number[], rules: FakeRule[], retries = 0) {
  const dir = join(tmp.dir, `case-${++cases}`);
  mkdirSync(dir);
  const spec = join(dir, 'spec.json');
  const name = `slurm${cases}`;
  writeFileSync(spec, JSON.stringify({ name, seeds, retries, executor: 'slurm', studies: [{ name: 'table1', pairs: ['synth:mosi:tiny -> synth:mosei:tiny'] }] }));
  const worker = fakeWorker(dir, rules);
  const db = join(dir, 'results', 'midg.sqlite');
  const sweep = () =>
    execa(process.execPath, [MIDG_BIN, 'sweep', '--spec', spec, '--db', db, '--poll', '0.5', '--time', '10:00'], {
      reject: false,
      cwd: dir,
      env: { MIDG_WORKER_COMMAND: JSON.stringify(worker.command), CI: '1' },
    });
  return { dir, db, name, markers: worker.markers, sweep };
}

async function squeue(): Promise<string> {
  return String((await execa('squeue', ['-h', '-o', '%i %j %T'])).stdout).trim();
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('Ctrl-C cancels the job array, puts the runs back to pending and exits 130', async () => {
  const t = setup([1, 2, 3], [{ match: {}, attempts: [{ do: 'hang' }] }]);
  const sweep = t.sweep();
  await until('two tasks run', () => invocations(t.markers).length >= 2);
  sweep.kill('SIGINT');
  const result = await sweep;
  assert.equal(result.exitCode, 130, result.stderr);
  assert.match(result.stdout, /slurm: cancelled job \d+/);
  assert.match(result.stderr, new RegExp(`^midg: sweep ${t.name} interrupted by SIGINT: 0 of 3 runs done; rerun the same command to resume$`));
  await until('the array leaves the queue', async () => !(await squeue()).includes(`midg-${t.name}-`), 30_000);
  const store = await openStore(t.db, { readonly: true });
  const runs = await store.findRuns();
  await store.close();
  assert.deepEqual(runs.map((run) => [run.status, run.failures.length]), [['pending', 0], ['pending', 0], ['pending', 0]]);
});

it("a node failure is a failed attempt with Slurm's reason, retried within retries", async () => {
  const node = hostname().split('.')[0]!;
  const t = setup([1], [{ match: {}, attempts: [{ do: 'hang' }, { do: 'succeed' }] }], 1);
  const sweep = t.sweep();
  let output = '';
  sweep.stdout!.on('data', (chunk: Buffer) => (output += String(chunk)));
  try {
    await until('the task runs', () => invocations(t.markers).length >= 1);
    await execa('scontrol', ['update', `nodename=${node}`, 'state=down', 'reason=midg-test']);
    await until('the failure is recorded', () => output.includes('failed, will retry'));
  } finally {
    await execa('scontrol', ['update', `nodename=${node}`, 'state=resume'], { reject: false });
  }
  const result = await sweep;
  assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(output, /failed, will retry: .* \(slurm NODE_FAIL: its node failed, NodeDown \[job \d+_0\]\)/);
  const store = await openStore(t.db, { readonly: true });
  const [run] = await store.findRuns();
  await store.close();
  assert.equal(run!.status, 'done');
  assert.equal(run!.attempts, 2);
  assert.match(run!.failures[0]!.reason!, /^slurm NODE_FAIL: its node failed, NodeDown/);
  assert.match(run!.failures[0]!.stderrTail, /DUE TO NODE FAILURE/);
});
