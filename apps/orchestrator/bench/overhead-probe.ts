// One worker's start, phase by phase, for run-overhead.ts (which starts it as a child process and reads the JSON
// line it prints). It does in order what a worker does before and after a run's epochs, timing each step:
//   node --import tsx overhead-probe.ts <parent's Date.now() at spawn> <source> <target> <empty cache dir> <checkpoint dir>
const [spawnedAt, source, target, cacheDir, checkpointDir] = process.argv.slice(2);
if (!spawnedAt || !source || !target || !cacheDir || !checkpointDir) throw new Error('usage: overhead-probe.ts <spawnedAt> <source> <target> <cacheDir> <checkpointDir>');

interface Phase {
  name: string;
  wallMs: number;
  /** CPU time of this process (all threads) during the phase; undefined for the start, measured from outside. */
  cpuMs?: number;
}
const phases: Phase[] = [{ name: 'process start, node and tsx (until the first line of code)', wallMs: Date.now() - Number(spawnedAt) }];
async function timed<T>(name: string, step: () => Promise<T> | T): Promise<T> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await step();
  const used = process.cpuUsage(cpu);
  phases.push({ name, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 });
  return value;
}

await timed('modules: the train command and the models (what run-server loads)', async () => {
  await import('yargs');
  await import('../src/commands/train');
  await import('../src/models');
});
await timed('modules: the rest of the CLI (db drivers, tables; one-shot workers only)', async () => {
  // What src/cli.ts imports besides the train command and yargs.
  await Promise.all([
    import('../src/commands/bench'),
    import('../src/commands/data'),
    import('../src/commands/db'),
    import('../src/commands/evaluate'),
    import('../src/commands/models'),
    import('../src/commands/query'),
    import('../src/commands/sweep'),
    import('../src/commands/tables'),
  ]);
});
const { useBackend } = await import('@midg/backend');
const { resolveDataset } = await import('@midg/features');
const { trainRun } = await import('@midg/trainer');
await timed('backend init (wasm)', () => useBackend('wasm'));
const names = [...new Set([source, target])];
const load = (dataCache: { dir: string } | false) => new Map(names.map((name) => [name, resolveDataset(name, { dataCache, warn: () => undefined })]));
await timed('data load, no cache', () => load(false));
await timed('data load, cache miss (parse and store)', () => load({ dir: cacheDir }));
const datasets = await timed('data load, cache hit', () => load({ dir: cacheDir }));
let epochMs = 0;
const trainSize = datasets.get(source)!.splits.train.size;
const result = await timed('trainRun, 1 epoch (datasets given)', () =>
  trainRun(
    { model: 'midg', source, target, seed: 1, backend: 'wasm', overrides: { epochs: 1 } },
    { datasets, checkpointDir, onEpoch: (event) => (epochMs = (trainSize / event.samplesPerSecond) * 1000) },
  ),
);
const inRun = phases.pop()!;
phases.push({ name: '  of which the epoch (training steps)', wallMs: epochMs });
phases.push({ name: '  of which the rest: model build, validation, test scoring, checkpoint', wallMs: inRun.wallMs - epochMs });
await timed('result line (JSON of the result)', () => JSON.stringify(result).length);
process.stdout.write(`${JSON.stringify({ phases })}\n`);
process.exit(0);

// A module (for top-level await) that imports nothing statically: every import above is timed.
export {};
