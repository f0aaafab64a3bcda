/**
 * A pickle reader for data files: a stack machine over the opcodes of protocols 2-5 that never executes code.
 * Globals are looked up in a fixed allow-list (numpy arrays, dtypes and scalars, builtin containers); any other
 * global is refused. Large byte payloads are read once, straight into the array that keeps them.
 */
import { DataError } from '../dataset';
import { BadPickle, FileSource, MemorySource, PickleInput, fail, type ByteSource } from './input';
import { PyDType, arrayFromBuffer, emptyArray, scalarValue, setArrayState, setDTypeState } from './numpy';
import { describePy, isNdArray, type PyKey, type PyValue } from './values';

/** An allowed global; calling it (REDUCE / NEWOBJ) builds a value from plain arguments. */
class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

/** A str payload too large to be worth decoding before we know whether it is text or latin1-encoded bytes. */
class PendingText {
  constructor(
    public bytes: Uint8Array,
    public encoding: 'utf8' | 'latin1',
  ) {}
}

const LARGE_TEXT = 1 << 20;
const utf8 = new TextDecoder('utf-8');

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof PendingText) return value.encoding === 'utf8' ? utf8.decode(value.bytes) : latin1(value.bytes);
  return undefined;
}

/** Rewrites UTF-8 text of code points below 256 as latin1 bytes in place (it only ever shrinks). */
function utf8ToLatin1InPlace(bytes: Uint8Array): Uint8Array {
  let write = 0;
  for (let read = 0; read < bytes.length; read++) {
    const byte = bytes[read]!;
    if (byte < 0x80) {
      bytes[write++] = byte;
    } else if ((byte === 0xc2 || byte === 0xc3) && ((bytes[read + 1] ?? 0) & 0xc0) === 0x80) {
      bytes[write++] = ((byte & 0x03) << 6) | (bytes[++read]! & 0x3f);
    } else {
      fail('str payload has characters above U+00FF, so it is not latin1-encoded bytes');
    }
  }
  return bytes.subarray(0, write);
}

/** Bytes from a bytes value or from a str holding latin1-encoded bytes (protocol 2 and Python 2 payloads). */
function latin1BytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof PendingText) {
    if (value.encoding === 'utf8') {
      value.bytes = utf8ToLatin1InPlace(value.bytes);
      value.encoding = 'latin1';
    }
    return value.bytes;
  }
  if (typeof value === 'string') {
    if (/[^\x00-\xff]/.test(value)) fail('str payload has characters above U+00FF, so it is not latin1-encoded bytes');
    return Uint8Array.from(Buffer.from(value, 'latin1'));
  }
  return undefined;
}

function keyOf(value: unknown): PyKey {
  const text = textOf(value);
  if (text !== undefined) return text;
  if (value === null || ['number', 'bigint', 'boolean'].includes(typeof value)) return value as PyKey;
  fail(`unsupported dict key or set member (${describePy(value)}): only str, int, float, bool and None are supported`);
}

function itemsOf(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  fail(`${what} expects a list, tuple or set, got ${describePy(value)}`);
}

function noArguments(name: string, build: () => unknown): (args: unknown[]) => unknown {
  return (args) => {
    if (args.length > 0) fail(`${name} called with arguments is not supported`);
    return build();
  };
}

function encode(args: unknown[]): Uint8Array {
  const [text, encoding = 'utf-8'] = args;
  const name = String(encoding).toLowerCase().replace('_', '-');
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') {
    return latin1BytesOf(text) ?? fail(`_codecs.encode expects a str, got ${describePy(text)}`);
  }
  if (name === 'utf-8' || name === 'utf8') {
    return new TextEncoder().encode(textOf(text) ?? fail(`_codecs.encode expects a str, got ${describePy(text)}`));
  }
  return fail(`_codecs.encode with encoding ${String(encoding)} is not supported`);
}

function buildAllowList(): Map<string, PyCallable> {
  const allowed = new Map<string, PyCallable>();
  const add = (names: string[], call: (args: unknown[]) => unknown): void => {
    for (const name of names) allowed.set(name, new PyCallable(name, call));
  };
  const numpy = (module: string, name: string): string[] => [`numpy.core.${module}.${name}`, `numpy._core.${module}.${name}`];
  const builtin = (name: string): string[] => [`builtins.${name}`, `__builtin__.${name}`];

  add(numpy('multiarray', '_reconstruct'), ([subtype]) => {
    if (!(subtype instanceof PyCallable) || subtype.qualifiedName !== 'numpy.ndarray') {
      fail('numpy _reconstruct is only supported for numpy.ndarray (not subclasses such as matrix or masked arrays)');
    }
    return emptyArray();
  });
  add(numpy('multiarray', 'scalar'), (args) => scalarValue(args, latin1BytesOf));
  add(numpy('numeric', '_frombuffer'), arrayFromBuffer);
  add(['numpy.ndarray'], () => fail('numpy.ndarray can only be rebuilt through _reconstruct'));
  add(['numpy.dtype'], ([typeString]) => new PyDType(textOf(typeString) ?? fail('numpy.dtype expects a type string')));
  add(['_codecs.encode'], encode);
  for (const name of ['set', 'frozenset']) {
    add(builtin(name), ([items]) => new Set(items === undefined ? [] : itemsOf(items, name).map(keyOf)));
  }
  add(builtin('list'), ([items]) => (items === undefined ? [] : [...itemsOf(items, 'list')]));
  add(builtin('dict'), noArguments('dict', () => new Map()));
  add(builtin('object'), noArguments('object', () => new Map()));
  add(['collections.OrderedDict'], noArguments('OrderedDict', () => new Map()));
  for (const name of ['bytes', 'bytearray']) {
    add(builtin(name), (args) => {
      if (args.length === 0) return new Uint8Array(0);
      const [source] = args;
      if (args.length === 2) return encode(args);
      if (source instanceof Uint8Array) return source.slice();
      if (Array.isArray(source) && source.every((byte) => Number.isInteger(byte) && byte >= 0 && byte < 256)) return Uint8Array.from(source);
      return fail(`${name}(${describePy(source)}) is not supported`);
    });
  }
  return allowed;
}

const ALLOWED_GLOBALS = buildAllowList();

function lookupGlobal(module: string, name: string): PyCallable {
  const callable = ALLOWED_GLOBALS.get(`${module}.${name}`);
  if (!callable) fail(`refusing pickle global ${module}.${name}: only numpy arrays and builtin containers are allowed`);
  return callable;
}

function bigintFromTwosComplement(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Replaces pending texts by strings and makes sure only data values are left. */
function finish(value: unknown, seen: Set<object>): PyValue {
  if (value instanceof PendingText) return textOf(value)!;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Set) return value as PyValue;
  if (value instanceof PyCallable) fail(`the pickle holds a bare reference to ${value.qualifiedName}, not data`);
  if (value instanceof PyDType) fail(`the pickle holds a numpy dtype outside an array, which is not supported`);
  if (seen.has(value)) return value as PyValue;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = finish(value[i], seen);
  } else if (value instanceof Map) {
    for (const [key, item] of value) value.set(key, finish(item, seen));
  } else if (isNdArray(value)) {
    if (value.dtype === 'object') finish(value.data, seen);
  } else {
    fail(`unexpected ${describePy(value)} in the pickle`);
  }
  return value as PyValue;
}

class Machine {
  private readonly stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();

  constructor(private readonly input: PickleInput) {}

  private pop(): unknown {
    if (this.stack.length === 0 || this.stack.length === this.marks.at(-1)) fail('stack underflow');
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) fail('no MARK on the stack');
    return this.stack.splice(mark);
  }

  private recall(index: number): unknown {
    if (!this.memo.has(index)) fail(`memo key ${index} is not defined`);
    return this.memo.get(index);
  }

  private text(length: number, what: string): string | PendingText {
    if (length >= LARGE_TEXT) return new PendingText(this.input.bytes(length, what), 'utf8');
    return utf8.decode(this.input.peekBytes(length, what));
  }

  private latin1Text(length: number, what: string): string | PendingText {
    if (length < 0) fail(`${what} has a negative length`);
    if (length >= LARGE_TEXT) return new PendingText(this.input.bytes(length, what), 'latin1');
    return latin1(this.input.peekBytes(length, what));
  }

  private setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map)) fail(`SETITEMS on ${describePy(target)}, expected a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(keyOf(items[i]), items[i + 1]);
  }

  private append(target: unknown, items: unknown[]): void {
    if (!Array.isArray(target)) fail(`APPENDS on ${describePy(target)}, expected a list`);
    for (const item of items) target.push(item);
  }

  private call(callable: unknown, args: unknown): unknown {
    if (!(callable instanceof PyCallable)) fail(`cannot call ${describePy(callable)}`);
    if (!Array.isArray(args)) fail(`arguments of ${callable.qualifiedName} must be a tuple`);
    return callable.call(args);
  }

  private build(target: unknown, state: unknown): void {
    if (isNdArray(target)) setArrayState(target, state, latin1BytesOf);
    else if (target instanceof PyDType) setDTypeState(target, state);
    else if (target instanceof Map && state instanceof Map) for (const [key, value] of state) target.set(key, value);
    else fail(`cannot BUILD ${describePy(target)} from ${describePy(state)}`);
  }

  /** Executes one opcode; returns true at STOP. */
  private step(opcode: number): boolean {
    const input = this.input;
    const stack = this.stack;
    switch (opcode) {
      case 0x80: {
        const protocol = input.u8('PROTO');
        if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol} is not supported (only 2 to 5)`);
        break;
      }
      case 0x95: // FRAME: only a read-ahead hint
        input.u64('FRAME');
        break;
      case 0x2e: // STOP
        return true;
      case 0x28: // MARK
        this.marks.push(stack.length);
        break;
      case 0x30: // POP
        this.pop();
        break;
      case 0x31: // POP_MARK
        this.popMark();
        break;
      case 0x32: // DUP
        stack.push(this.top());
        break;
      case 0x94: // MEMOIZE
        this.memo.set(this.memo.size, this.top());
        break;
      case 0x70: // PUT
        this.memo.set(Number(input.line('PUT')), this.top());
        break;
      case 0x71: // BINPUT
        this.memo.set(input.u8('BINPUT'), this.top());
        break;
      case 0x72: // LONG_BINPUT
        this.memo.set(input.u32('LONG_BINPUT'), this.top());
        break;
      case 0x67: // GET
        stack.push(this.recall(Number(input.line('GET'))));
        break;
      case 0x68: // BINGET
        stack.push(this.recall(input.u8('BINGET')));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(this.recall(input.u32('LONG_BINGET')));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(input.u8('BININT1'));
        break;
      case 0x4d: // BININT2
        stack.push(input.u16('BININT2'));
        break;
      case 0x4a: // BININT
        stack.push(input.i32('BININT'));
        break;
      case 0x8a: // LONG1
        stack.push(bigintFromTwosComplement(input.bytes(input.u8('LONG1'), 'LONG1')));
        break;
      case 0x8b: {
        const length = input.i32('LONG4');
        if (length < 0) fail('LONG4 has a negative length');
        stack.push(bigintFromTwosComplement(input.bytes(length, 'LONG4')));
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(input.f64be('BINFLOAT'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(this.text(input.u8('SHORT_BINUNICODE'), 'SHORT_BINUNICODE'));
        break;
      case 0x58: // BINUNICODE
        stack.push(this.text(input.u32('BINUNICODE'), 'BINUNICODE'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(this.text(input.u64('BINUNICODE8'), 'BINUNICODE8'));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str, read as latin1)
        stack.push(this.latin1Text(input.u8('SHORT_BINSTRING'), 'SHORT_BINSTRING'));
        break;
      case 0x54: // BINSTRING
        stack.push(this.latin1Text(input.i32('BINSTRING'), 'BINSTRING'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(input.bytes(input.u8('SHORT_BINBYTES'), 'SHORT_BINBYTES'));
        break;
      case 0x42: // BINBYTES
        stack.push(input.bytes(input.u32('BINBYTES'), 'BINBYTES'));
        break;
      case 0x8e: // BINBYTES8
        stack.push(input.bytes(input.u64('BINBYTES8'), 'BINBYTES8'));
        break;
      case 0x96: // BYTEARRAY8
        stack.push(input.bytes(input.u64('BYTEARRAY8'), 'BYTEARRAY8'));
        break;
      case 0x98: // READONLY_BUFFER: in-band buffers need no change
        this.top();
        break;
      case 0x97: // NEXT_BUFFER
        fail('out-of-band buffers (pickle protocol 5 NEXT_BUFFER) are not supported: save the pickle without buffer_callback');
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x85: // TUPLE1
        stack.push([this.pop()]);
        break;
      case 0x86: {
        const second = this.pop();
        stack.push([this.pop(), second]);
        break;
      }
      case 0x87: {
        const third = this.pop();
        const second = this.pop();
        stack.push([this.pop(), second, third]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(this.popMark());
        break;
      case 0x64: {
        // DICT
        const map = new Map();
        this.setItems(map, this.popMark());
        stack.push(map);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(this.popMark().map(keyOf)));
        break;
      case 0x73: {
        // SETITEM
        const value = this.pop();
        const key = this.pop();
        this.setItems(this.top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = this.popMark();
        this.setItems(this.top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const item = this.pop();
        this.append(this.top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = this.popMark();
        this.append(this.top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof Set)) fail(`ADDITEMS on ${describePy(target)}, expected a set`);
        for (const item of items) target.add(keyOf(item));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = input.line('GLOBAL');
        stack.push(lookupGlobal(module, input.line('GLOBAL')));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = textOf(this.pop());
        const module = textOf(this.pop());
        if (module === undefined || name === undefined) fail('STACK_GLOBAL expects two strings');
        stack.push(lookupGlobal(module, name));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), which for the allowed classes builds the same value as calling them
        const args = this.pop();
        stack.push(this.call(this.pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = this.pop();
        const args = this.pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(this.call(this.pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = this.pop();
        this.build(this.top(), state);
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')}${opcode >= 0x20 && opcode < 0x7f ? ` ('${String.fromCharCode(opcode)}')` : ''}: only binary protocols 2 to 5 are read, without custom classes`);
    }
    return false;
  }

  run(): PyValue {
    const input = this.input;
    let opcodeStart = 0;
    try {
      if (input.u8('the first opcode') !== 0x80) fail('not a pickle of protocol 2 or newer (no PROTO opcode at the start)');
      this.step(0x80);
      for (;;) {
        opcodeStart = input.position;
        if (this.step(input.u8('the next opcode'))) return finish(this.pop(), new Set());
      }
    } catch (error) {
      if (error instanceof BadPickle) throw new DataError(`${error.message} (in ${input.name} at byte ${opcodeStart})`);
      throw error;
    }
  }
}

function readPickle(source: ByteSource): PyValue {
  try {
    return new Machine(new PickleInput(source)).run();
  } finally {
    source.close();
  }
}

/** Reads a pickle file of any size through a small buffer. */
export function readPickleFile(path: string): PyValue {
  return readPickle(new FileSource(path));
}

export function readPickleBytes(bytes: Uint8Array, name = '<memory>'): PyValue {
  return readPickle(new MemorySource(bytes, name));
}
