/** The plain data a pickle is read into and written from: Python containers and numpy arrays as JS values. */

/** Dict keys and set members: only hashable scalars occur in the data files we read. */
export type PyKey = string | number | bigint | boolean | null;

/**
 * A Python value: None → null, int → number (bigint beyond 2^53), float → number, str → string,
 * bytes/bytearray → Uint8Array, list/tuple → array, dict/OrderedDict → Map, set/frozenset → Set, ndarray → NdArray.
 * numpy scalars become plain numbers, bigints or booleans.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyKey, PyValue>
  | Set<PyKey>
  | NdArray;

/** numpy dtype type strings without byte order (`f4`, `i8`, ...) → the dtype names used here. */
export const NUMERIC_DTYPES = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f4: 'float32',
  f8: 'float64',
} as const;

export type NumericTypeCode = keyof typeof NUMERIC_DTYPES;
export type NumericDType = (typeof NUMERIC_DTYPES)[NumericTypeCode];

export interface NumericDataByDType {
  bool: Uint8Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float32: Float32Array;
  float64: Float64Array;
}
export type NumericData = NumericDataByDType[NumericDType];

type TypedArrayConstructor<T> = { new (length: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

export const TYPED_ARRAYS: { [D in NumericDType]: TypedArrayConstructor<NumericDataByDType[D]> } = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

export const TYPE_CODES = Object.fromEntries(Object.entries(NUMERIC_DTYPES).map(([code, dtype]) => [dtype, code])) as {
  [D in NumericDType]: NumericTypeCode;
};

/** A numpy array in C (row-major) order. Bool arrays hold 0/1 bytes. */
export interface NumericNdArray {
  kind: 'ndarray';
  dtype: NumericDType;
  shape: number[];
  data: NumericData;
}

/** An object array (dtype O), or a fixed-width str/bytes array (dtype U/S) read as strings. */
export interface ObjectNdArray {
  kind: 'ndarray';
  dtype: 'object';
  shape: number[];
  data: PyValue[];
}

export type NdArray = NumericNdArray | ObjectNdArray;

export function isNdArray(value: unknown): value is NdArray {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ndarray';
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Typed arrays use the host's byte order; pickles say theirs explicitly. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A short description of a value for error messages (`dict`, `ndarray float32 [3, 4]`, ...). */
export function describePy(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (value instanceof Map) return 'dict';
  if (value instanceof Set) return 'set';
  if (value instanceof Uint8Array) return `bytes of ${value.length}`;
  if (isNdArray(value)) return `ndarray ${value.dtype} [${value.shape.join(', ')}]`;
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
