import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigValue, RunSpec } from '@midg/trainer';
import type { PlannedRun } from '../expand';

export const FAKE_WORKER = fileURLToPath(new URL('./fake-worker.mjs', import.meta.url));

/** What the fake worker does on one attempt (see fake-worker.mjs). */
export type FakeBehaviour =
  | { do: 'succeed'; delayMs?: number; epochs?: number; test?: Record<string, number>; valid?: Record<string, number> }
  | { do: 'exit'; code: number; stderr?: string }
  | { do: 'hang' }
  | { do: 'sigkill' };

export interface FakeRule {
  match: Partial<Record<string, ConfigValue>>;
  attempts: FakeBehaviour[];
}

/** Writes the fake worker's plan in dir; returns the worker command that follows it and the markers directory. */
export function fakeWorker(dir: string, rules: FakeRule[] = []): { command: string[]; markers: string } {
  const plan = join(dir, 'fake-plan.json');
  const markers = join(dir, 'markers');
  mkdirSync(markers, { recursive: true });
  writeFileSync(plan, JSON.stringify({ rules }));
  return { command: [process.execPath, FAKE_WORKER, '--plan', plan, '--markers', markers], markers };
}

/** Every fake-worker invocation so far: its run spec and the pid it had. */
export function invocations(markers: string): { spec: RunSpec; pid: number }[] {
  return readdirSync(markers).filter((name) => name.endsWith('.json')).map((name) => ({
    spec: (JSON.parse(readFileSync(join(markers, name), 'utf8')) as { spec: RunSpec }).spec,
    pid: Number(name.split('.')[2]),
  }));
}

/** A planned run for runner tests that do not go through spec expansion (the key is any stable hash). */
export function plannedRun(seed: number, study = 'table1', grid: Record<string, ConfigValue> = {}): PlannedRun {
  const spec: RunSpec = { model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed, backend: 'wasm', overrides: { ...grid } };
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { key, spec, config: { epochs: 2, ...grid }, memberships: [{ study, grid }] };
}
