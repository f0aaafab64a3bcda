/**
 * A pickle reader for data files: a stack machine over the opcodes of protocols 2-5 that never executes code.
 * Globals are looked up in a fixed allow-list (numpy arrays, dtypes and scalars, builtin containers: allowlist.ts,
 * the security boundary); any other global is refused. Large byte payloads are read once, straight into the array
 * that keeps them.
 */
import { DataError } from '../dataset';
import { BadPickle, FileSource, MemorySource, PickleInput, fail, type ByteSource } from './input';
import { PyCallable, lookupGlobal } from './allowlist';
import { PyDType, setArrayState, setDTypeState } from './numpy';
import { Op } from './opcodes';
import { PendingText, keyOf, latin1, latin1BytesOf, textOf, utf8 } from './text';
import { describePy, isNdArray, type PyValue } from './values';

// str payloads from this size on are kept undecoded until we know whether they are text or latin1 bytes.
const LARGE_TEXT = 1 << 20;

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
      case Op.PROTO: {
        const protocol = input.u8('PROTO');
        if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol} is not supported (only 2 to 5)`);
        break;
      }
      case Op.FRAME: // only a read-ahead hint
        input.u64('FRAME');
        break;
      case Op.STOP:
        return true;
      case Op.MARK:
        this.marks.push(stack.length);
        break;
      case Op.POP:
        this.pop();
        break;
      case Op.POP_MARK:
        this.popMark();
        break;
      case Op.DUP:
        stack.push(this.top());
        break;
      case Op.MEMOIZE:
        this.memo.set(this.memo.size, this.top());
        break;
      case Op.PUT:
        this.memo.set(Number(input.line('PUT')), this.top());
        break;
      case Op.BINPUT:
        this.memo.set(input.u8('BINPUT'), this.top());
        break;
      case Op.LONG_BINPUT:
        this.memo.set(input.u32('LONG_BINPUT'), this.top());
        break;
      case Op.GET:
        stack.push(this.recall(Number(input.line('GET'))));
        break;
      case Op.BINGET:
        stack.push(this.recall(input.u8('BINGET')));
        break;
      case Op.LONG_BINGET:
        stack.push(this.recall(input.u32('LONG_BINGET')));
        break;
      case Op.NONE:
        stack.push(null);
        break;
      case Op.NEWTRUE:
        stack.push(true);
        break;
      case Op.NEWFALSE:
        stack.push(false);
        break;
      case Op.BININT1:
        stack.push(input.u8('BININT1'));
        break;
      case Op.BININT2:
        stack.push(input.u16('BININT2'));
        break;
      case Op.BININT:
        stack.push(input.i32('BININT'));
        break;
      case Op.LONG1:
        stack.push(bigintFromTwosComplement(input.bytes(input.u8('LONG1'), 'LONG1')));
        break;
      case Op.LONG4: {
        const length = input.i32('LONG4');
        if (length < 0) fail('LONG4 has a negative length');
        stack.push(bigintFromTwosComplement(input.bytes(length, 'LONG4')));
        break;
      }
      case Op.BINFLOAT:
        stack.push(input.f64be('BINFLOAT'));
        break;
      case Op.SHORT_BINUNICODE:
        stack.push(this.text(input.u8('SHORT_BINUNICODE'), 'SHORT_BINUNICODE'));
        break;
      case Op.BINUNICODE:
        stack.push(this.text(input.u32('BINUNICODE'), 'BINUNICODE'));
        break;
      case Op.BINUNICODE8:
        stack.push(this.text(input.u64('BINUNICODE8'), 'BINUNICODE8'));
        break;
      case Op.SHORT_BINSTRING: // Python 2 str, read as latin1
        stack.push(this.latin1Text(input.u8('SHORT_BINSTRING'), 'SHORT_BINSTRING'));
        break;
      case Op.BINSTRING:
        stack.push(this.latin1Text(input.i32('BINSTRING'), 'BINSTRING'));
        break;
      case Op.SHORT_BINBYTES:
        stack.push(input.bytes(input.u8('SHORT_BINBYTES'), 'SHORT_BINBYTES'));
        break;
      case Op.BINBYTES:
        stack.push(input.bytes(input.u32('BINBYTES'), 'BINBYTES'));
        break;
      case Op.BINBYTES8:
        stack.push(input.bytes(input.u64('BINBYTES8'), 'BINBYTES8'));
        break;
      case Op.BYTEARRAY8:
        stack.push(input.bytes(input.u64('BYTEARRAY8'), 'BYTEARRAY8'));
        break;
      case Op.READONLY_BUFFER: // in-band buffers need no change
        this.top();
        break;
      case Op.NEXT_BUFFER:
        fail('out-of-band buffers (pickle protocol 5 NEXT_BUFFER) are not supported: save the pickle without buffer_callback');
        break;
      case Op.EMPTY_DICT:
        stack.push(new Map());
        break;
      case Op.EMPTY_LIST:
      case Op.EMPTY_TUPLE:
        stack.push([]);
        break;
      case Op.EMPTY_SET:
        stack.push(new Set());
        break;
      case Op.TUPLE1:
        stack.push([this.pop()]);
        break;
      case Op.TUPLE2: {
        const second = this.pop();
        stack.push([this.pop(), second]);
        break;
      }
      case Op.TUPLE3: {
        const third = this.pop();
        const second = this.pop();
        stack.push([this.pop(), second, third]);
        break;
      }
      case Op.TUPLE:
      case Op.LIST:
        stack.push(this.popMark());
        break;
      case Op.DICT: {
        const map = new Map();
        this.setItems(map, this.popMark());
        stack.push(map);
        break;
      }
      case Op.FROZENSET:
        stack.push(new Set(this.popMark().map(keyOf)));
        break;
      case Op.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.setItems(this.top(), [key, value]);
        break;
      }
      case Op.SETITEMS: {
        const items = this.popMark();
        this.setItems(this.top(), items);
        break;
      }
      case Op.APPEND: {
        const item = this.pop();
        this.append(this.top(), [item]);
        break;
      }
      case Op.APPENDS: {
        const items = this.popMark();
        this.append(this.top(), items);
        break;
      }
      case Op.ADDITEMS: {
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof Set)) fail(`ADDITEMS on ${describePy(target)}, expected a set`);
        for (const item of items) target.add(keyOf(item));
        break;
      }
      case Op.GLOBAL: {
        const module = input.line('GLOBAL');
        stack.push(lookupGlobal(module, input.line('GLOBAL')));
        break;
      }
      case Op.STACK_GLOBAL: {
        const name = textOf(this.pop());
        const module = textOf(this.pop());
        if (module === undefined || name === undefined) fail('STACK_GLOBAL expects two strings');
        stack.push(lookupGlobal(module, name));
        break;
      }
      case Op.REDUCE:
      case Op.NEWOBJ: {
        // NEWOBJ is cls.__new__(cls, *args), which for the allowed classes builds the same value as calling them
        const args = this.pop();
        stack.push(this.call(this.pop(), args));
        break;
      }
      case Op.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(this.call(this.pop(), args));
        break;
      }
      case Op.BUILD: {
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
      if (input.u8('the first opcode') !== Op.PROTO) fail('not a pickle of protocol 2 or newer (no PROTO opcode at the start)');
      this.step(Op.PROTO);
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
