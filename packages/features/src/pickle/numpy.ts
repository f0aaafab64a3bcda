/**
 * numpy's pickle protocol, read as data: `_reconstruct` + BUILD(setstate), `_frombuffer` (protocol 5),
 * `dtype` + BUILD(setstate) and `scalar`. Raw payloads are adopted by the typed arrays they become.
 */
import { fail } from './input';
import {
  HOST_IS_LITTLE_ENDIAN,
  NUMERIC_DTYPES,
  TYPED_ARRAYS,
  elementCount,
  type NdArray,
  type NumericData,
  type NumericDType,
  type NumericTypeCode,
  type PyValue,
} from './values';

/** A numpy.dtype as pickled: the type string comes from the constructor call, byte order and size from BUILD. */
export class PyDType {
  byteOrder = '=';
  /** Bytes per element as stated by the pickle (-1: implied by the type string). */
  stateSize = -1;

  constructor(readonly typeString: string) {}
}

type ElementType =
  | { kind: 'numeric'; dtype: NumericDType; size: number; bigEndian: boolean }
  | { kind: 'object' }
  | { kind: 'text'; encoding: 'utf32' | 'latin1'; size: number; bigEndian: boolean };

function elementType(dtype: PyDType): ElementType {
  const match = /^([a-zA-Z])(\d*)$/.exec(dtype.typeString);
  const letter = match?.[1] ?? '';
  const digits = match?.[2] ? Number(match[2]) : undefined;
  const bigEndian = dtype.byteOrder === '>';
  if (letter === 'O') return { kind: 'object' };
  if (letter === 'U' || letter === 'S' || letter === 'a') {
    const utf32 = letter === 'U';
    const size = digits !== undefined ? digits * (utf32 ? 4 : 1) : dtype.stateSize;
    if (size >= 0) return { kind: 'text', encoding: utf32 ? 'utf32' : 'latin1', size, bigEndian };
  }
  const code = `${letter}${digits ?? ''}`;
  if (code in NUMERIC_DTYPES) {
    const numeric = NUMERIC_DTYPES[code as NumericTypeCode];
    return { kind: 'numeric', dtype: numeric, size: TYPED_ARRAYS[numeric].BYTES_PER_ELEMENT, bigEndian };
  }
  return fail(`unsupported numpy dtype '${dtype.typeString}': only bool, (u)int8-64, float32/64, object and str arrays can be read`);
}

/** dtype.__setstate__: (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]). */
export function setDTypeState(dtype: PyDType, state: unknown): void {
  if (!Array.isArray(state) || state.length < 8 || typeof state[1] !== 'string') {
    fail(`bad numpy dtype state for '${dtype.typeString}'`);
  }
  if (state[2] !== null || state[3] !== null || state[4] !== null) {
    fail(`unsupported numpy dtype '${dtype.typeString}' with fields or a sub-array: only plain arrays can be read`);
  }
  dtype.byteOrder = state[1];
  if (typeof state[5] === 'number') dtype.stateSize = state[5];
}

function badArray(message: string): never {
  fail(`bad numpy array: ${message}`);
}

function checkShape(shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && (size as number) >= 0)) {
    badArray(`shape must be a tuple of sizes, got ${String(shape)}`);
  }
  return shape as number[];
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size) {
    for (let low = start, high = start + size - 1; low < high; low++, high--) {
      const byte = bytes[low]!;
      bytes[low] = bytes[high]!;
      bytes[high] = byte;
    }
  }
}

function numericData(bytes: Uint8Array, type: Extract<ElementType, { kind: 'numeric' }>, count: number): NumericData {
  if (bytes.length !== count * type.size) badArray(`${type.dtype} data has ${bytes.length} bytes, expected ${count * type.size}`);
  if (type.size > 1 && type.bigEndian === HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, type.size);
  const aligned = bytes.byteOffset % type.size === 0 ? bytes : bytes.slice();
  const TypedArray = TYPED_ARRAYS[type.dtype] as { new (buffer: ArrayBufferLike, offset: number, length: number): NumericData };
  return new TypedArray(aligned.buffer, aligned.byteOffset, count);
}

function textData(bytes: Uint8Array, type: Extract<ElementType, { kind: 'text' }>, count: number): string[] {
  if (bytes.length !== count * type.size) badArray(`str data has ${bytes.length} bytes, expected ${count * type.size}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = '';
    if (type.encoding === 'utf32') {
      for (let at = i * type.size; at < (i + 1) * type.size; at += 4) text += String.fromCodePoint(view.getUint32(at, !type.bigEndian));
    } else {
      for (const byte of bytes.subarray(i * type.size, (i + 1) * type.size)) text += String.fromCharCode(byte);
    }
    strings.push(text.replace(/\0+$/, ''));
  }
  return strings;
}

/** Reorders column-major (Fortran) data into row-major (C) order. */
function fortranToC<T extends NumericData | PyValue[]>(data: T, shape: number[], output: T): T {
  const rank = shape.length;
  const strides = shape.map(() => 1);
  for (let k = 1; k < rank; k++) strides[k] = strides[k - 1]! * shape[k - 1]!;
  const index = shape.map(() => 0);
  const from = data as unknown as unknown[];
  const to = output as unknown as unknown[];
  let offset = 0;
  for (let c = 0; c < to.length; c++) {
    to[c] = from[offset];
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++;
      offset += strides[k]!;
      if (index[k]! < shape[k]!) break;
      offset -= shape[k]! * strides[k]!;
      index[k] = 0;
    }
  }
  return output;
}

function buildArray(target: NdArray, shape: number[], dtype: PyDType, fortran: boolean, raw: Uint8Array | PyValue[]): void {
  const count = elementCount(shape);
  const type = elementType(dtype);
  let array: NdArray;
  if (type.kind === 'object') {
    if (!Array.isArray(raw) || raw.length !== count) badArray(`object array of ${count} elements needs a list of ${count} values`);
    array = { kind: 'ndarray', dtype: 'object', shape, data: raw };
  } else {
    if (!(raw instanceof Uint8Array)) badArray(`${dtype.typeString} array data must be bytes, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
    array =
      type.kind === 'text'
        ? { kind: 'ndarray', dtype: 'object', shape, data: textData(raw, type, count) }
        : { kind: 'ndarray', dtype: type.dtype, shape, data: numericData(raw, type, count) };
  }
  if (fortran && shape.length > 1) {
    const output = Array.isArray(array.data) ? new Array<PyValue>(count) : new (array.data.constructor as new (n: number) => NumericData)(count);
    array.data = fortranToC(array.data, shape, output);
  }
  Object.assign(target, array);
}

/** `_reconstruct(ndarray, (0,), b'b')`: the empty array that BUILD then fills, as numpy does. */
export function emptyArray(): NdArray {
  return { kind: 'ndarray', dtype: 'int8', shape: [0], data: new Int8Array(0) };
}

/**
 * ndarray.__setstate__: (version, shape, dtype, is_fortran, data) or the older 4-tuple without version.
 * `toBytes` turns a str payload (protocol 2 from Python 2) into its latin1 bytes.
 */
export function setArrayState(target: NdArray, state: unknown, toBytes: (value: unknown) => Uint8Array | undefined): void {
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) badArray('setstate expects a 4- or 5-tuple');
  const [shape, dtype, fortran, raw] = state.slice(state.length - 4);
  if (!(dtype instanceof PyDType)) badArray('setstate has no numpy dtype');
  const data = Array.isArray(raw) ? (raw as PyValue[]) : (toBytes(raw) ?? badArray(`unsupported data payload ${typeof raw}`));
  buildArray(target, checkShape(shape), dtype, fortran === true || fortran === 1, data);
}

/** `_frombuffer(buffer, dtype, shape, order)`: numpy's protocol-5 form of a contiguous array. */
export function arrayFromBuffer(args: unknown[]): NdArray {
  const [buffer, dtype, shape, order] = args;
  if (!(buffer instanceof Uint8Array) || !(dtype instanceof PyDType) || (order !== 'C' && order !== 'F')) {
    badArray('_frombuffer expects (buffer, dtype, shape, order)');
  }
  const target = emptyArray();
  buildArray(target, checkShape(shape), dtype, order === 'F', buffer);
  return target;
}

/** `scalar(dtype, data)`: a numpy scalar such as np.float32(1.5), read as a plain value. */
export function scalarValue(args: unknown[], toBytes: (value: unknown) => Uint8Array | undefined): PyValue {
  const [dtype, data] = args;
  if (!(dtype instanceof PyDType)) fail('bad numpy scalar: expected (dtype, data)');
  const type = elementType(dtype);
  if (type.kind === 'object') return data as PyValue;
  const bytes = toBytes(data) ?? fail('bad numpy scalar: data must be bytes');
  if (type.kind === 'text') return textData(bytes, type, 1)[0]!;
  const value = numericData(bytes, type, 1)[0]!;
  if (type.dtype === 'bool') return value !== 0;
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return value;
}
