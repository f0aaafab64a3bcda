/**
 * A protocol-4 pickle writer for data: containers, scalars and numpy arrays in the layout numpy itself produces
 * (`numpy.core.multiarray._reconstruct` + BUILD with the ndarray setstate tuple), so Python reads the files with
 * plain `pickle.load`. Array payloads go straight from their typed arrays to the file descriptor.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { Op } from './opcodes';
import {
  HOST_IS_LITTLE_ENDIAN,
  TYPED_ARRAYS,
  TYPE_CODES,
  elementCount,
  isNdArray,
  type NdArray,
  type NumericData,
  type NumericDType,
  type PyKey,
} from './values';

/** A numeric array written from chunks produced on demand, so a file can be larger than what fits in memory. */
export interface StreamedNdArray {
  kind: 'streamed-ndarray';
  dtype: NumericDType;
  shape: number[];
  /** The values in C order, in chunks of any size that add up to the shape. */
  chunks(): Iterable<NumericData>;
}

export type Writable =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | NdArray
  | StreamedNdArray
  | ReadonlySet<PyKey>
  | readonly Writable[]
  | ReadonlyMap<PyKey, Writable>;

export interface PickleWriteOptions {
  /** Group small opcodes into protocol-4 FRAMEs as Python does (default true); large payloads are never framed. */
  frames?: boolean;
}

interface ByteSink {
  write(bytes: Uint8Array): void;
}

const FRAME_TARGET = 64 << 10;
const BATCH = 1000;
const MAX_WRITE = 1 << 30;

/** Opcodes of a length-prefixed payload, by the width of their length field: 1 byte (short), 4 (long) or 8 (huge). */
interface SizedOpcodes {
  short?: number;
  long: number;
  huge: number;
}

const UNICODE_OPCODES: SizedOpcodes = { short: Op.SHORT_BINUNICODE, long: Op.BINUNICODE, huge: Op.BINUNICODE8 };
const BYTES_OPCODES: SizedOpcodes = { short: Op.SHORT_BINBYTES, long: Op.BINBYTES, huge: Op.BINBYTES8 };
const TUPLE_OPCODES = [Op.TUPLE1, Op.TUPLE2, Op.TUPLE3];

function bytesOf(data: NumericData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function isStreamed(value: unknown): value is StreamedNdArray {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'streamed-ndarray';
}

function checkShape(shape: readonly number[], count: number, what: string): void {
  if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0)) throw new Error(`${what}: bad shape [${shape.join(', ')}]`);
  if (elementCount(shape) !== count) throw new Error(`${what}: ${count} values do not fill shape [${shape.join(', ')}]`);
}

class Encoder {
  private pending = new Uint8Array(2 * FRAME_TARGET);
  private view = new DataView(this.pending.buffer);
  /** The same bytes as a Buffer, for its fast UTF-8 writes. */
  private pendingBuffer = Buffer.from(this.pending.buffer);
  private length = 0;
  private nextMemo = 0;
  /** Memo slots of globals and dtypes already written, so they are written once, as numpy's pickles do. */
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly sink: ByteSink,
    private readonly frames: boolean,
  ) {}

  private reserve(count: number): void {
    if (this.length + count <= this.pending.length) return;
    const grown = new Uint8Array(Math.max(2 * this.pending.length, this.length + count));
    grown.set(this.pending.subarray(0, this.length));
    this.pending = grown;
    this.view = new DataView(grown.buffer);
    this.pendingBuffer = Buffer.from(grown.buffer);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.pending[this.length++] = value;
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.pending.set(bytes, this.length);
    this.length += bytes.length;
  }

  private uint(value: number, size: 1 | 2 | 4 | 8): void {
    this.reserve(size);
    if (size === 1) this.view.setUint8(this.length, value);
    else if (size === 2) this.view.setUint16(this.length, value, true);
    else if (size === 4) this.view.setUint32(this.length, value, true);
    else this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += size;
  }

  /** Sends the pending opcodes on, as one FRAME when framing, once enough have gathered (or when forced). */
  private commit(force: boolean): void {
    if (this.length === 0 || (!force && this.length < FRAME_TARGET)) return;
    if (this.frames) {
      const header = new DataView(new ArrayBuffer(9));
      header.setUint8(0, Op.FRAME);
      header.setBigUint64(1, BigInt(this.length), true);
      this.sink.write(new Uint8Array(header.buffer));
    }
    this.sink.write(this.pending.subarray(0, this.length));
    this.length = 0;
  }

  /** An opcode with the shortest length field that fits: 1 byte (`short`), 4 bytes or 8 bytes (`huge`). */
  private lengthHeader(opcodes: SizedOpcodes, byteLength: number): void {
    if (opcodes.short !== undefined && byteLength < 256) {
      this.byte(opcodes.short);
      this.uint(byteLength, 1);
    } else if (byteLength <= 0xffffffff) {
      this.byte(opcodes.long);
      this.uint(byteLength, 4);
    } else {
      this.byte(opcodes.huge);
      this.uint(byteLength, 8);
    }
  }

  /** A length-prefixed payload; payloads past the frame size bypass the frame and the pending buffer. */
  private payload(opcodes: SizedOpcodes, bytes: Uint8Array): void {
    this.lengthHeader(opcodes, bytes.length);
    if (bytes.length < FRAME_TARGET) return this.raw(bytes);
    this.commit(true);
    this.sink.write(bytes);
  }

  finish(): void {
    this.byte(Op.STOP);
    this.commit(true);
  }

  private memoize(key: string): void {
    this.byte(Op.MEMOIZE);
    this.memo.set(key, this.nextMemo++);
  }

  /** Writes a memoized object again as BINGET / LONG_BINGET; false when it is not in the memo yet. */
  private recall(key: string): boolean {
    const index = this.memo.get(key);
    if (index === undefined) return false;
    if (index < 256) {
      this.byte(Op.BINGET);
      this.uint(index, 1);
    } else {
      this.byte(Op.LONG_BINGET);
      this.uint(index, 4);
    }
    return true;
  }

  private global(module: string, name: string): void {
    const key = `global ${module}.${name}`;
    if (this.recall(key)) return;
    this.string(module);
    this.string(name);
    this.byte(Op.STACK_GLOBAL);
    this.memoize(key);
  }

  private string(text: string): void {
    if (text.length < 256 / 3) {
      // Short strings are encoded straight into the pending buffer (TextEncoder costs more per call than this).
      this.reserve(2 + 3 * text.length);
      const byteLength = this.pendingBuffer.write(text, this.length + 2, 'utf8');
      this.pending[this.length] = Op.SHORT_BINUNICODE;
      this.pending[this.length + 1] = byteLength;
      this.length += 2 + byteLength;
      return;
    }
    this.payload(UNICODE_OPCODES, Buffer.from(text, 'utf8'));
  }

  private integer(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value < 256) {
      this.byte(Op.BININT1);
      this.uint(value, 1);
    } else if (typeof value === 'number' && value >= 0 && value < 65536) {
      this.byte(Op.BININT2);
      this.uint(value, 2);
    } else if (typeof value === 'number' && value >= -(2 ** 31) && value < 2 ** 31) {
      this.byte(Op.BININT);
      this.uint(value >>> 0, 4);
    } else {
      // LONG1: little-endian two's complement in as few bytes as keep the sign.
      let rest = BigInt(value);
      const bytes: number[] = [];
      do {
        bytes.push(Number(rest & 0xffn));
        rest >>= 8n;
      } while (!(rest === 0n && (bytes.at(-1)! & 0x80) === 0) && !(rest === -1n && (bytes.at(-1)! & 0x80) !== 0));
      this.byte(Op.LONG1);
      this.uint(bytes.length, 1);
      this.raw(Uint8Array.from(bytes));
    }
  }

  private float(value: number): void {
    this.byte(Op.BINFLOAT);
    this.reserve(8);
    new DataView(this.pending.buffer, this.length, 8).setFloat64(0, value, false);
    this.length += 8;
  }

  private tuple(items: readonly Writable[]): void {
    if (items.length === 0) return this.byte(Op.EMPTY_TUPLE);
    if (items.length > 3) this.byte(Op.MARK);
    for (const item of items) this.value(item);
    this.byte(items.length > 3 ? Op.TUPLE : TUPLE_OPCODES[items.length - 1]!);
  }

  /** Items in batches of 1000 between MARK and `opcode` (APPENDS, SETITEMS, ADDITEMS), as Python batches them. */
  private batches<T>(items: readonly T[], opcode: number, single: number | undefined, write: (item: T) => void): void {
    for (let start = 0; start < items.length; start += BATCH) {
      const batch = items.slice(start, start + BATCH);
      if (batch.length === 1 && single !== undefined) {
        write(batch[0]!);
        this.byte(single);
        continue;
      }
      this.byte(Op.MARK);
      batch.forEach(write);
      this.byte(opcode);
    }
  }

  private dtype(dtype: NumericDType | 'object'): void {
    const code = dtype === 'object' ? 'O8' : TYPE_CODES[dtype];
    if (this.recall(`dtype ${code}`)) return;
    this.global('numpy', 'dtype');
    this.tuple([code, false, true]);
    this.byte(Op.REDUCE);
    const singleByte = code === 'O8' || code.endsWith('1');
    // numpy's dtype state: (3, byteorder, subarray, names, fields, elsize, alignment, flags); 63 marks object dtypes.
    this.tuple([3, singleByte ? '|' : HOST_IS_LITTLE_ENDIAN ? '<' : '>', null, null, null, -1, -1, code === 'O8' ? 63 : 0]);
    this.byte(Op.BUILD);
    this.memoize(`dtype ${code}`);
  }

  private ndarray(dtype: NumericDType | 'object', shape: readonly number[], writeData: () => void): void {
    this.global('numpy.core.multiarray', '_reconstruct');
    this.global('numpy', 'ndarray');
    this.tuple([0]);
    this.value(Uint8Array.of(0x62)); // b'b': data (numpy's dummy buffer), not an opcode
    this.byte(Op.TUPLE3);
    this.byte(Op.REDUCE);
    this.byte(Op.MARK);
    this.integer(1);
    this.tuple(shape);
    this.dtype(dtype);
    this.byte(Op.NEWFALSE); // is_fortran
    writeData();
    this.byte(Op.TUPLE);
    this.byte(Op.BUILD);
  }

  value(value: Writable): void {
    this.commit(false);
    if (value === null) return this.byte(Op.NONE);
    if (typeof value === 'boolean') return this.byte(value ? Op.NEWTRUE : Op.NEWFALSE);
    if (typeof value === 'bigint') return this.integer(value);
    if (typeof value === 'number') {
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? this.integer(value) : this.float(value);
    }
    if (typeof value === 'string') return this.string(value);
    if (value instanceof Uint8Array) {
      return this.payload(BYTES_OPCODES, value);
    }
    if (Array.isArray(value)) {
      this.byte(Op.EMPTY_LIST);
      return this.batches(value as readonly Writable[], Op.APPENDS, Op.APPEND, (item) => this.value(item));
    }
    if (value instanceof Map) {
      this.byte(Op.EMPTY_DICT);
      return this.batches([...value], Op.SETITEMS, Op.SETITEM, ([key, item]) => {
        this.value(key);
        this.value(item);
      });
    }
    if (value instanceof Set) {
      this.byte(Op.EMPTY_SET);
      return this.batches([...value], Op.ADDITEMS, undefined, (item) => this.value(item));
    }
    if (isNdArray(value)) {
      checkShape(value.shape, value.data.length, `ndarray ${value.dtype}`);
      if (value.dtype === 'object') return this.ndarray('object', value.shape, () => this.value(value.data));
      const bytes = bytesOf(value.data);
      return this.ndarray(value.dtype, value.shape, () => this.value(bytes));
    }
    if (isStreamed(value)) return this.streamed(value);
    throw new Error(`cannot pickle ${Object.prototype.toString.call(value)}`);
  }

  private streamed(array: StreamedNdArray): void {
    const count = elementCount(array.shape);
    checkShape(array.shape, count, `streamed ndarray ${array.dtype}`);
    const TypedArray = TYPED_ARRAYS[array.dtype];
    const byteLength = count * TypedArray.BYTES_PER_ELEMENT;
    this.ndarray(array.dtype, array.shape, () => {
      this.lengthHeader(BYTES_OPCODES, byteLength);
      this.commit(true);
      let written = 0;
      for (const chunk of array.chunks()) {
        if (!(chunk instanceof TypedArray)) throw new Error(`streamed ndarray ${array.dtype}: got a chunk of ${chunk.constructor.name}`);
        written += chunk.byteLength;
        if (written > byteLength) break;
        this.sink.write(bytesOf(chunk));
      }
      if (written !== byteLength) {
        throw new Error(`streamed ndarray ${array.dtype}: chunks hold ${written} bytes, shape [${array.shape.join(', ')}] needs ${byteLength}`);
      }
    });
  }
}

function encode(sink: ByteSink, value: Writable, options: PickleWriteOptions): void {
  sink.write(Uint8Array.of(Op.PROTO, 4)); // outside the first frame, as in Python
  const encoder = new Encoder(sink, options.frames ?? true);
  encoder.value(value);
  encoder.finish();
}

/** Writes a pickle to a file; array payloads are written straight from their typed arrays. */
export function writePickleFile(path: string, value: Writable, options: PickleWriteOptions = {}): void {
  const fd = openSync(path, 'w');
  try {
    encode(
      {
        write: (bytes) => {
          for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, MAX_WRITE));
        },
      },
      value,
      options,
    );
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  }
}

export function writePickleBytes(value: Writable, options: PickleWriteOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  encode({ write: (bytes) => chunks.push(bytes.slice()) }, value, options);
  const output = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    output.set(chunk, offset);
    offset += chunk.length;
  }
  return output;
}
