import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataError } from '../dataset';
import { readPickleBytes, readPickleFile } from './reader';
import { assemble, int32, py2Array, py2String } from './testing';
import type { NdArray, PyKey, PyValue } from './values';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function ndarray(dtype: NdArray['dtype'], shape: number[], data: NdArray['data']): NdArray {
  return { kind: 'ndarray', dtype, shape, data } as NdArray;
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

/** What fixtures/make-fixtures.py pickles (kitchen_sink), rebuilt here from the same formulas. */
function kitchenSink(): Map<PyKey, PyValue> {
  return new Map<PyKey, PyValue>([
    ['c_f32', ndarray('float32', [2, 3, 4], Float32Array.from(range(24, (i) => i / 4)))],
    ['fortran_f64', ndarray('float64', [3, 4], Float64Array.from(range(12, (i) => i * 0.1)))],
    ['big_endian_f32', ndarray('float32', [2, 3], Float32Array.from(range(6, (i) => i - 2.5)))],
    ['big_endian_fortran_i64', ndarray('int64', [2, 3], BigInt64Array.from(range(6, (i) => i - 3), BigInt))],
    ['int64', ndarray('int64', [3], BigInt64Array.from([-1n, 0n, 2n ** 40n]))],
    ['int32', ndarray('int32', [2], Int32Array.from([-7, 7]))],
    ['int8', ndarray('int8', [2], Int8Array.from([-128, 127]))],
    ['uint8', ndarray('uint8', [2], Uint8Array.from([0, 255]))],
    ['bool', ndarray('bool', [3], Uint8Array.from([1, 0, 1]))],
    ['f64_special', ndarray('float64', [4], Float64Array.from([Infinity, -Infinity, NaN, -0]))],
    ['empty_f32', ndarray('float32', [0, 3], new Float32Array(0))],
    ['object_str', ndarray('object', [3], ['a', 'héllo', 'x$_$1'])],
    ['unicode', ndarray('object', [2], ['ab', 'c€'])],
    ['scalar_f32', 1.5],
    ['scalar_i64', -3],
    ['scalar_bool', true],
    ['bytes', Uint8Array.from([0, 255])],
    ['set', new Set([1, 2])],
    ['frozenset', new Set(['a'])],
    ['ordered', new Map<PyKey, PyValue>([['z', 1], ['a', 2]])],
    ['bigint', 2n ** 70n],
    ['neg_bigint', -(2n ** 70n)],
    ['float', 0.1],
    ['tuple', [1, 'two', null]],
    ['nested', [[1], new Map<PyKey, PyValue>([['k', [true, false]]])]],
  ]);
}

for (const protocol of [2, 4, 5]) {
  for (const numpy of [1, 2]) {
    const name = `p${protocol}-numpy${numpy}.pkl`;
    test(`reads numpy ${numpy}.x arrays, scalars and builtin containers pickled with protocol ${protocol} (${name})`, () => {
      assert.deepStrictEqual(readPickleFile(fixture(name)), kitchenSink());
    });
  }
}

test('fixtures name the numpy modules they claim to (numpy.core for 1.x, numpy._core for 2.x)', () => {
  for (const protocol of [2, 4, 5]) {
    const numpy1 = readFileSync(fixture(`p${protocol}-numpy1.pkl`), 'latin1');
    const numpy2 = readFileSync(fixture(`p${protocol}-numpy2.pkl`), 'latin1');
    assert.ok(numpy1.includes('numpy.core.') && !numpy1.includes('numpy._core'), `p${protocol}-numpy1`);
    assert.ok(numpy2.includes('numpy._core.') && !numpy2.includes('numpy.core.'), `p${protocol}-numpy2`);
  }
});

test('reads Python 2 str payloads (BINSTRING): a big-endian Fortran-order float32 array', () => {
  // Logical values v[i][j] = 10 i + j for shape [2, 3], stored column by column as big-endian float32.
  const payload = new Uint8Array(24);
  const view = new DataView(payload.buffer);
  let offset = 0;
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 2; i++, offset += 4) view.setFloat32(offset, 10 * i + j, false);
  }
  const bytes = assemble(0x80, 2, py2Array({ typeString: 'f4', byteOrder: '>', shape: [2, 3], fortran: true, data: py2String(payload) }), '.');
  assert.deepStrictEqual(readPickleBytes(bytes), ndarray('float32', [2, 3], Float32Array.from([0, 1, 2, 10, 11, 12])));
});

test('reads a protocol-2 payload above 1 MiB (_codecs.encode of a latin1 str), converted in place', () => {
  const values = Float32Array.from(range(400_000, (i) => Math.sin(i) * 1000));
  const raw = new Uint8Array(values.buffer);
  const text = Buffer.from(Buffer.from(raw).toString('latin1'), 'utf8');
  assert.ok(text.length > raw.length + (1 << 20) / 2, 'the UTF-8 form really is longer than the raw bytes');
  const data = ['c', '_codecs\nencode\n', 'X', int32(text.length), text, 'X', int32(6), 'latin1', 0x86, 'R'];
  const bytes = assemble(0x80, 2, py2Array({ typeString: 'f4', byteOrder: '<', shape: [values.length], fortran: false, data, module: 'numpy._core.multiarray' }), '.');
  assert.deepStrictEqual(readPickleBytes(bytes), ndarray('float32', [values.length], values));
});

function assertDataError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('refuses any global outside the allow-list, naming it, and never runs anything', () => {
  const viaGlobal = assemble(0x80, 2, 'c', 'os\nsystem\n', py2String('touch /tmp/pwned'), 0x85, 'R', '.');
  assertDataError(
    () => readPickleBytes(viaGlobal, 'evil.pkl'),
    /^refusing pickle global os\.system: only numpy arrays and builtin containers are allowed \(in evil\.pkl at byte 2\)$/,
  );
  const viaStackGlobal = assemble(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, 0x8c, 1, '1', 0x85, 'R', '.');
  assertDataError(() => readPickleBytes(viaStackGlobal), /^refusing pickle global builtins\.eval: /);
  const maskedArray = assemble(0x80, 2, 'c', 'numpy.core.multiarray\n_reconstruct\n', 'c', 'numpy.ma.core\nMaskedArray\n', '.');
  assertDataError(() => readPickleBytes(maskedArray), /^refusing pickle global numpy\.ma\.core\.MaskedArray: /);
});

test('reports truncated pickles as such wherever they are cut', () => {
  const whole = readFileSync(fixture('p4-numpy2.pkl'));
  for (let cut = 0; cut < whole.length; cut++) {
    assertDataError(() => readPickleBytes(whole.subarray(0, cut), 'cut.pkl'), /^truncated pickle: cut\.pkl ends at byte \d+, but .* needs \d+ more bytes?/);
  }
});

test('refuses what is not a protocol 2-5 data pickle with a precise message', () => {
  const cases: [Uint8Array, RegExp][] = [
    [assemble('(lp0\n.'), /^not a pickle of protocol 2 or newer/],
    [assemble('PK\x03\x04'), /^not a pickle of protocol 2 or newer/],
    [assemble(0x80, 6, '.'), /^pickle protocol 6 is not supported/],
    [assemble(0x80, 2, 'I5\n.'), /^unsupported pickle opcode 0x49 \('I'\)/],
    [assemble(0x80, 5, 0x97, '.'), /^out-of-band buffers/],
    [assemble(0x80, 2, 'h', 7, '.'), /^memo key 7 is not defined/],
    [assemble(0x80, 2, 'K', 1, 'a', '.'), /^stack underflow/],
    [assemble(0x80, 2, py2Array({ typeString: 'c8', byteOrder: '<', shape: [1], fortran: false, data: py2String('12345678') }), '.'), /^unsupported numpy dtype 'c8'/],
    [assemble(0x80, 2, py2Array({ typeString: 'f4', byteOrder: '<', shape: [3], fortran: false, data: py2String('12345678') }), '.'), /^bad numpy array: float32 data has 8 bytes, expected 12/],
  ];
  for (const [bytes, pattern] of cases) assertDataError(() => readPickleBytes(bytes), pattern);
});
