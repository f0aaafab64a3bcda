// A worker process for the concurrency test: opens the shared file and writes whole run lifecycles in a loop.
import { openStore } from '../open';
import { HOST, makeEpoch, makeResult, makeSpec } from './fixtures';

const [file, workerText, runsText] = process.argv.slice(2);
const worker = Number(workerText);
const runs = Number(runsText);

const store = await openStore(file!);
// A sweep of its own (one process runs a sweep at a time), all racing on the shared run and the fresh schema.
const sweep = await store.startSweep({ name: `concurrent-${worker}`, specPath: 'concurrent.yaml', spec: { worker } });
// Every worker also links the same shared run, racing on one row.
await store.ensureRun(sweep.id, { key: 'shared', spec: makeSpec(), config: { experts: 4 }, study: `worker-${worker}`, grid: {} });
for (let r = 0; r < runs; r++) {
  const spec = makeSpec({ seed: worker * 1000 + r });
  const config = { experts: 4, worker };
  const { id } = await store.ensureRun(sweep.id, { key: `w${worker}-r${r}`, spec, config, study: 'table1', grid: {} });
  await store.markRunning(id, 1, HOST);
  for (let epoch = 1; epoch <= 3; epoch++) await store.recordEpoch(id, makeEpoch(epoch));
  await store.completeRun(id, makeResult(spec, config, { Has0_acc_2: 0.5, MAE: 0.9 }, { MAE: 0.8 }));
}
await store.close();
