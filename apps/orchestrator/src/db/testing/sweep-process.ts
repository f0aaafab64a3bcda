// One sweep in a process of its own, for the store suite's test of sweeps sharing a database at once:
//   node --import tsx sweep-process.ts <store location> <sweep name> <first seed> <last seed> <execution log>
import { openStore } from '../open';
import { runSweep } from '../../sweep/runner';
import { instantExecutor } from '../../sweep/testing/instant-executor';
import { plannedRun } from '../../sweep/testing/fixtures';
import { HOST } from './fixtures';

const [location, name, first, last, log] = process.argv.slice(2);
const runs = Array.from({ length: Number(last) - Number(first) + 1 }, (_, i) => plannedRun(Number(first) + i));
const store = await openStore(location!);
try {
  const summary = await runSweep(store, {
    name: name!,
    specPath: `${name}.yaml`,
    spec: { name },
    runs,
    retries: 0,
    executor: instantExecutor({ log: log!, delayMs: 15 }),
    host: HOST,
    waitPollMs: 50,
  });
  process.stdout.write(`${JSON.stringify({ status: summary.status, done: summary.done, total: summary.total })}\n`);
} finally {
  await store.close();
}
