import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfigRecord, RunSpec } from './contract';
import type { DataInfo } from './model';

/** What a checkpoint directory holds besides the weights: enough to rebuild the model and re-evaluate it. */
export interface CheckpointManifest {
  format: 'midg-checkpoint/1';
  spec: RunSpec;
  config: ConfigRecord;
  info: DataInfo;
  /** Normalization of the labels the model was trained on (source label half-width). */
  sourceLabelScale: number;
  variables: { shape: number[]; offset: number; size: number }[];
}

/** A snapshot of variable values in memory (used for early stopping and for saving). */
export type WeightSnapshot = Float32Array[];

/** Copies the variables' values off the backend (asynchronously: a GPU backend cannot read back synchronously). */
export async function snapshotWeights(variables: tf.Variable[]): Promise<WeightSnapshot> {
  return Promise.all(variables.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

export function restoreWeights(variables: tf.Variable[], snapshot: WeightSnapshot): void {
  if (snapshot.length !== variables.length) {
    throw new Error(`checkpoint has ${snapshot.length} weight tensors, the model has ${variables.length}`);
  }
  variables.forEach((variable, i) => {
    const values = snapshot[i]!;
    if (values.length !== variable.size) {
      throw new Error(`checkpoint weight ${i} has ${values.length} values, the model expects shape [${variable.shape}]`);
    }
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  });
}

/** Writes the checkpoint to a temporary sibling directory and renames it into place, so a crash never leaves half a checkpoint. */
export function saveCheckpoint(
  dir: string,
  meta: Omit<CheckpointManifest, 'format' | 'variables'>,
  variables: tf.Variable[],
  snapshot: WeightSnapshot,
): void {
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  let offset = 0;
  const entries = snapshot.map((values, i) => {
    const entry = { shape: [...variables[i]!.shape], offset, size: values.length };
    offset += values.length;
    return entry;
  });
  const weights = new Float32Array(offset);
  snapshot.forEach((values, i) => weights.set(values, entries[i]!.offset));
  writeFileSync(join(staging, 'weights.bin'), new Uint8Array(weights.buffer));
  const manifest: CheckpointManifest = { format: 'midg-checkpoint/1', ...meta, variables: entries };
  writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
}

export function loadCheckpoint(dir: string): { manifest: CheckpointManifest; snapshot: WeightSnapshot } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`not a checkpoint directory (no manifest.json): ${dir}`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest;
  if (manifest.format !== 'midg-checkpoint/1') throw new Error(`unsupported checkpoint format in ${dir}: ${String(manifest.format)}`);
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const snapshot = manifest.variables.map((v) => {
    if (v.offset + v.size > all.length) throw new Error(`checkpoint ${dir} is truncated (weights.bin too short)`);
    return Float32Array.from(all.subarray(v.offset, v.offset + v.size));
  });
  return { manifest, snapshot };
}
