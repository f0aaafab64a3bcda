import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigRecord, EpochEvent, MetricRecord, RunSpec, TrainResult } from '@midg/trainer';
import type { RunHostInfo } from '../records';

/** A fresh directory for a test's database files; remove() deletes it. */
export function tempDir(prefix = 'midg-db-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeSpec(partial: Partial<RunSpec> = {}): RunSpec {
  return { model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed: 1, backend: 'wasm', overrides: {}, ...partial };
}

export function makeResult(spec: RunSpec, config: ConfigRecord, test: MetricRecord, valid: MetricRecord, extra: Partial<TrainResult> = {}): TrainResult {
  return { event: 'result', spec, key: 'fixture', config, test, valid, bestEpoch: 2, epochsRun: 3, durationMs: 1234, backend: 'wasm', ...extra };
}

export function makeEpoch(epoch: number, valid: MetricRecord = { MAE: 1 / epoch }): EpochEvent {
  return { event: 'epoch', epoch, maxEpochs: 3, losses: { total: 2 / epoch, in: 1 / epoch }, learningRate: 0.001 / epoch, valid, samplesPerSecond: 100 * epoch };
}

export const HOST: RunHostInfo = { host: 'test-host', gitCommit: 'abc1234', gitDirty: true, packageVersions: { '@midg/trainer': '0.1.0' } };
