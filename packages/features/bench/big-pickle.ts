/**
 * Reading an MMSA pickle of CMU-MOSEI size (train/valid/test 16326/1871/4659, L = 50, text 768, audio 74,
 * vision 35, float32: a ~4 GB file). The file is streamed to os.tmpdir() with the pickle writer, loaded with
 * loadMmsa, and deleted; the loaded features alone take ~4 GB, so expect a peak RSS a little above that.
 * Run from packages/features: `node --import tsx bench/big-pickle.ts` (needs ~4 GB free disk and ~6 GB memory).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPLITS, type SplitName } from '../src/dataset';
import { loadMmsa } from '../src/mmsa';
import type { PyKey } from '../src/pickle/values';
import { writePickleFile, type StreamedNdArray, type Writable } from '../src/pickle/writer';

const SIZES: Record<SplitName, number> = { train: 16326, valid: 1871, test: 4659 };
const SEQ_LEN = 50;
const DIMS = { text: 768, audio: 74, vision: 35 } as const;
const CHUNK_SAMPLES = 256;

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** True length of sample i: 10..50 steps. */
const trueLength = (i: number): number => 10 + ((i * 7919) % 41);

/** [N, 50, dim] features: pseudo-random values within the true length, zero padding, MMSA-style -inf in some audio. */
function features(n: number, dim: number, seed: number, withMinusInf: boolean): StreamedNdArray {
  return {
    kind: 'streamed-ndarray',
    dtype: 'float32',
    shape: [n, SEQ_LEN, dim],
    *chunks() {
      const buffer = new Float32Array(CHUNK_SAMPLES * SEQ_LEN * dim);
      let state = seed >>> 0 || 1;
      for (let start = 0; start < n; start += CHUNK_SAMPLES) {
        const count = Math.min(CHUNK_SAMPLES, n - start);
        buffer.fill(0);
        for (let s = 0; s < count; s++) {
          const steps = trueLength(start + s) * dim;
          const offset = s * SEQ_LEN * dim;
          for (let k = 0; k < steps; k++) {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            buffer[offset + k] = (state >>> 8) / 2 ** 23 - 1;
          }
          if (withMinusInf && (start + s) % 97 === 0) buffer[offset] = -Infinity;
        }
        // The writer copies each chunk to the file before asking for the next, so one buffer serves all chunks.
        yield buffer.subarray(0, count * SEQ_LEN * dim);
      }
    },
  };
}

function splitContents(name: SplitName, seed: number): Map<PyKey, Writable> {
  const n = SIZES[name];
  const index = Array.from({ length: n }, (_, i) => i);
  const strings = (make: (i: number) => string): Writable => ({ kind: 'ndarray', dtype: 'object', shape: [n], data: index.map(make) });
  const lengths: Writable = { kind: 'ndarray', dtype: 'int64', shape: [n], data: BigInt64Array.from(index, (i) => BigInt(trueLength(i))) };
  return new Map<PyKey, Writable>([
    ['id', strings((i) => `${name}${Math.floor(i / 20)}$_$${i % 20}`)],
    ['raw_text', strings((i) => `segment ${i} of the ${name} split`)],
    ['text', features(n, DIMS.text, seed + 1, false)],
    ['audio', features(n, DIMS.audio, seed + 2, true)],
    ['audio_lengths', lengths],
    ['vision', features(n, DIMS.vision, seed + 3, false)],
    ['vision_lengths', lengths],
    ['regression_labels', { kind: 'ndarray', dtype: 'float32', shape: [n], data: Float32Array.from(index, (i) => ((i % 61) - 30) / 10) }],
  ]);
}

const dir = mkdtempSync(join(tmpdir(), 'midg-big-pickle-'));
const path = join(dir, 'mosei_unaligned_50.pkl');
try {
  let start = performance.now();
  writePickleFile(path, new Map(SPLITS.map((name, k) => [name, splitContents(name, 1000 * k)])));
  const writeSeconds = (performance.now() - start) / 1000;
  const fileBytes = statSync(path).size;
  const peakAfterWrite = peakRss();
  console.log(`wrote ${path}: ${gib(fileBytes)} (${fileBytes} bytes) in ${writeSeconds.toFixed(1)} s, peak RSS so far ${gib(peakAfterWrite)}`);

  start = performance.now();
  const dataset = loadMmsa(path);
  const loadSeconds = (performance.now() - start) / 1000;
  let featureBytes = 0;
  for (const name of SPLITS) for (const tensor of Object.values(dataset.splits[name].features)) featureBytes += tensor.data.byteLength;
  const train = dataset.splits.train;
  const lengthsOk = SPLITS.every((name) =>
    Object.values(dataset.splits[name].features).every((tensor) => tensor.lengths.every((length, i) => length === trueLength(i))),
  );
  console.log(
    `loadMmsa: ${loadSeconds.toFixed(1)} s for ${SPLITS.map((name) => dataset.splits[name].size).join('/')} samples, ` +
      `text ${train.features.t!.shape.join('×')}, features ${gib(featureBytes)}, lengths ${lengthsOk ? 'as written' : 'WRONG'}, ` +
      `-inf replaced: ${train.features.a!.data[0] === 0}`,
  );
  console.log(`peak RSS ${gib(peakRss())} (file ${gib(fileBytes)}, loaded features ${gib(featureBytes)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
