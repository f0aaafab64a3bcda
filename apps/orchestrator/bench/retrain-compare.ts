/**
 * Re-trains every finished run of a results database with the current code and compares its target test metrics
 * with the recorded ones: the check that a refactoring changed no result. Prints figures; not a test.
 *   node --import tsx apps/orchestrator/bench/retrain-compare.ts <results.sqlite>
 */
import Database from 'better-sqlite3';
import { useBackend } from '@midg/backend';
import { trainRun, type ConfigRecord } from '@midg/trainer';
import '../src/models';

interface RecordedRun {
  id: number;
  model: string;
  source: string;
  target: string;
  seed: number;
  overridesJson: string;
}

const file = process.argv[2];
if (!file) throw new Error('usage: retrain-compare.ts <results.sqlite>');
const db = new Database(file, { readonly: true });
const runs = db.prepare("select id, model, source, target, seed, overridesJson from run where status = 'done' order by id").all() as RecordedRun[];
const metrics = db.prepare("select name, value from metric where runId = ? and split = 'test'");
await useBackend('wasm');
let worst = 0;
for (const run of runs) {
  const recorded = Object.fromEntries((metrics.all(run.id) as { name: string; value: number }[]).map((m) => [m.name, m.value]));
  const overrides = JSON.parse(run.overridesJson) as ConfigRecord;
  const result = await trainRun({ model: run.model, source: run.source, target: run.target, seed: run.seed, backend: 'wasm', overrides });
  const diffs = Object.entries(recorded).map(([name, value]) => Math.abs((result.test[name] ?? NaN) - value));
  const max = Math.max(...diffs);
  worst = Math.max(worst, max);
  console.log(`${run.model} ${run.source} -> ${run.target} seed ${run.seed} ${JSON.stringify(overrides)}: max |Δ| over ${diffs.length} test metrics = ${max}`);
}
console.log(`${runs.length} runs, worst difference ${worst}`);
db.close();
