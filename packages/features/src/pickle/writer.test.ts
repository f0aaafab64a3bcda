import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../dataset';
import { readPickleBytes, readPickleFile } from './reader';
import type { NdArray, PyKey, PyValue } from './values';
import { writePickleBytes, writePickleFile, type StreamedNdArray } from './writer';

const dir = mkdtempSync(join(tmpdir(), 'midg-pickle-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ndarray(dtype: NdArray['dtype'], shape: number[], data: NdArray['data']): NdArray {
  return { kind: 'ndarray', dtype, shape, data } as NdArray;
}

function sample(): Map<PyKey, PyValue> {
  return new Map<PyKey, PyValue>([
    ['none', null],
    ['flags', [true, false]],
    ['ints', [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]],
    ['bigints', [2n ** 64n, -(2n ** 64n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 200n]],
    ['floats', [0.5, -1e-300, 1e300, Infinity, -Infinity, NaN, -0]],
    ['strings', ['', 'a', 'héllo wörld €', 'x'.repeat(300), '🎉']],
    ['bytes', [new Uint8Array(0), Uint8Array.from([0, 255]), new Uint8Array(70_000).fill(7)]],
    ['set', new Set<PyKey>(['a', 1, null])],
    [7, 'an int key'],
    ['nested', [[[]], new Map<PyKey, PyValue>([['k', new Map()]])]],
    ['long list', Array.from({ length: 2_345 }, (_, i) => i)],
    ['float32', ndarray('float32', [2, 3, 4], Float32Array.from({ length: 24 }, (_, i) => i / 3 - 2))],
    ['float64', ndarray('float64', [3], Float64Array.from([0.1, -Infinity, NaN]))],
    ['int64', ndarray('int64', [2, 2], BigInt64Array.from([-1n, 0n, 2n ** 62n, -(2n ** 63n)]))],
    ['int32', ndarray('int32', [2], Int32Array.from([-5, 5]))],
    ['uint8', ndarray('uint8', [2], Uint8Array.from([0, 255]))],
    ['bool', ndarray('bool', [3], Uint8Array.from([1, 0, 1]))],
    ['empty', ndarray('float32', [0, 5], new Float32Array(0))],
    ['ids', ndarray('object', [3], ['vid$_$1', 'vid$_$2', 'ünïcode'])],
    ['big', ndarray('float32', [300, 100], Float32Array.from({ length: 30_000 }, (_, i) => Math.cos(i)))],
  ]);
}

test('reader(writer(x)) == x for containers, scalars and numpy arrays, with and without frames', () => {
  for (const frames of [true, false]) {
    const bytes = writePickleBytes(sample(), { frames });
    assert.deepStrictEqual(readPickleBytes(bytes), sample(), `frames: ${frames}`);
  }
});

test('writes protocol 4 and frames small opcodes only when asked to', () => {
  const framed = writePickleBytes(sample());
  const plain = writePickleBytes(sample(), { frames: false });
  assert.deepEqual([...framed.subarray(0, 3)], [0x80, 4, 0x95], 'PROTO 4 then FRAME');
  assert.deepEqual([...plain.subarray(0, 3)], [0x80, 4, 0x7d], 'PROTO 4 then EMPTY_DICT');
  assert.ok(framed.length > plain.length, 'frame headers add bytes');
});

test('arrays are written in numpy 1.x layout: numpy.core.multiarray._reconstruct + BUILD', () => {
  const text = Buffer.from(writePickleBytes(ndarray('float32', [1], Float32Array.of(1.5)))).toString('latin1');
  for (const name of ['numpy.core.multiarray', '_reconstruct', 'ndarray', 'dtype', 'f4']) assert.ok(text.includes(name), name);
  assert.ok(!text.includes('numpy._core'), 'numpy 1.x can read it');
});

test('streams array chunks to a file larger than the read buffer and reads it back', () => {
  const path = join(dir, 'streamed.pkl');
  const rows = 20_000;
  const cols = 64;
  const value = (i: number): number => ((i * 2654435761) % 1000) / 7;
  const streamed: StreamedNdArray = {
    kind: 'streamed-ndarray',
    dtype: 'float32',
    shape: [rows, cols],
    *chunks() {
      for (let row = 0; row < rows; row += 999) {
        const count = Math.min(999, rows - row) * cols;
        yield Float32Array.from({ length: count }, (_, k) => value(row * cols + k));
      }
    },
  };
  // Small items first, so that refills of the 4 MiB read buffer split some of them; then a payload read directly.
  const words = Array.from({ length: 120_000 }, (_, i) => `segment ${i} of a long list of strings`);
  writePickleFile(path, new Map<PyKey, StreamedNdArray | string[]>([['words', words], ['features', streamed]]));
  assert.ok(statSync(path).size > 9 << 20);
  const read = readPickleFile(path) as Map<PyKey, PyValue>;
  assert.deepStrictEqual(read.get('features'), ndarray('float32', [rows, cols], Float32Array.from({ length: rows * cols }, (_, i) => value(i))));
  assert.deepStrictEqual(read.get('words'), words);
});

test('refuses streamed chunks that do not fill the shape and leaves no partial file', () => {
  const path = join(dir, 'short.pkl');
  const short: StreamedNdArray = { kind: 'streamed-ndarray', dtype: 'float32', shape: [2, 3], *chunks() { yield new Float32Array(5); } };
  assert.throws(() => writePickleFile(path, short), /streamed ndarray float32: chunks hold 20 bytes, shape \[2, 3\] needs 24/);
  assert.equal(existsSync(path), false);
  const wrongType: StreamedNdArray = { kind: 'streamed-ndarray', dtype: 'float32', shape: [2], *chunks() { yield new Float64Array(2); } };
  assert.throws(() => writePickleBytes(wrongType), /got a chunk of Float64Array/);
  assert.throws(() => writePickleBytes(ndarray('float32', [2, 2], new Float32Array(3))), /3 values do not fill shape \[2, 2\]/);
});

test('a truncated written file is reported as truncated', () => {
  const bytes = writePickleBytes(sample());
  for (const cut of [1, 100, bytes.length >> 1, bytes.length - 1]) {
    assert.throws(() => readPickleBytes(bytes.subarray(0, cut)), (error: unknown) => error instanceof DataError && /^truncated pickle: /.test(error.message));
  }
});
