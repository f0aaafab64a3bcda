import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from '../dataset';

/** Random-access bytes: a file read through its descriptor, or an in-memory buffer (tests). */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Fills `dest` from `position` on; returns how many bytes were read (fewer only at the end). */
  readAt(dest: Uint8Array, position: number): number;
  close(): void;
}

// fs.readSync refuses single reads above 2 GiB, so large payloads are read in pieces.
const MAX_READ = 1 << 30;

export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;

  constructor(readonly name: string) {
    this.fd = openSync(name, 'r');
    this.size = fstatSync(this.fd).size;
  }

  readAt(dest: Uint8Array, position: number): number {
    let done = 0;
    while (done < dest.length) {
      const read = readSync(this.fd, dest, done, Math.min(dest.length - done, MAX_READ), position + done);
      if (read === 0) break;
      done += read;
    }
    return done;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class MemorySource implements ByteSource {
  readonly size: number;

  constructor(
    private readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {
    this.size = bytes.length;
  }

  readAt(dest: Uint8Array, position: number): number {
    const chunk = this.bytes.subarray(position, position + dest.length);
    dest.set(chunk);
    return chunk.length;
  }

  close(): void {}
}

/** A malformed or unsupported pickle; the reader adds the file name and byte offset. */
export class BadPickle extends Error {}

export function fail(message: string): never {
  throw new BadPickle(message);
}

const BUFFER_SIZE = 4 << 20;
/** Payloads at least this big skip the buffer and are read straight into their own array. */
const DIRECT_READ = 64 << 10;

/** Sequential reads over a ByteSource through one fixed buffer; the only copy of a payload is the one returned. */
export class PickleInput {
  private readonly buffer: Uint8Array;
  private readonly view: DataView;
  /** File offset of buffer[0]. */
  private bufferStart = 0;
  private bufferEnd = 0;
  /** File offset of the next unread byte. */
  position = 0;

  constructor(readonly source: ByteSource) {
    // Reads never need more than the whole source at once, so small sources get a small buffer.
    this.buffer = new Uint8Array(Math.min(BUFFER_SIZE, Math.max(source.size, 16)));
    this.view = new DataView(this.buffer.buffer);
  }

  get name(): string {
    return this.source.name;
  }

  /** Makes `count` bytes from `position` available in the buffer; returns their index in it. */
  private ensure(count: number, what: string): number {
    const end = this.position + count;
    if (end > this.bufferEnd) {
      if (end > this.source.size) this.truncated(count, what);
      const keep = this.buffer.subarray(this.position - this.bufferStart, this.bufferEnd - this.bufferStart);
      this.buffer.copyWithin(0, keep.byteOffset, keep.byteOffset + keep.length);
      this.bufferStart = this.position;
      const read = this.source.readAt(this.buffer.subarray(keep.length), this.bufferStart + keep.length);
      this.bufferEnd = this.bufferStart + keep.length + read;
      if (end > this.bufferEnd) this.truncated(count, what);
    }
    const index = this.position - this.bufferStart;
    this.position = end;
    return index;
  }

  truncated(count: number, what: string): never {
    throw new DataError(
      `truncated pickle: ${this.name} ends at byte ${this.source.size}, but ${what} at byte ${this.position} needs ${count} more byte${count === 1 ? '' : 's'}`,
    );
  }

  u8(what: string): number {
    return this.buffer[this.ensure(1, what)]!;
  }

  u16(what: string): number {
    return this.view.getUint16(this.ensure(2, what), true);
  }

  i32(what: string): number {
    return this.view.getInt32(this.ensure(4, what), true);
  }

  u32(what: string): number {
    return this.view.getUint32(this.ensure(4, what), true);
  }

  u64(what: string): number {
    const value = this.view.getBigUint64(this.ensure(8, what), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} length ${value} is impossibly large`);
    return Number(value);
  }

  f64be(what: string): number {
    return this.view.getFloat64(this.ensure(8, what), false);
  }

  /** A view of the next `count` bytes, valid only until the next read. */
  peekBytes(count: number, what: string): Uint8Array {
    const index = this.ensure(count, what);
    return this.buffer.subarray(index, index + count);
  }

  /** The next `count` bytes in a new array of their own (aligned at offset 0, so typed views over it are free). */
  bytes(count: number, what: string): Uint8Array {
    if (count < DIRECT_READ) return this.peekBytes(count, what).slice();
    if (this.position + count > this.source.size) this.truncated(count, what);
    let payload: Uint8Array;
    try {
      payload = new Uint8Array(count);
    } catch {
      fail(`${what} of ${count} bytes is too large to hold in memory`);
    }
    const buffered = Math.min(count, this.bufferEnd - this.position);
    if (buffered > 0) {
      const from = this.position - this.bufferStart;
      payload.set(this.buffer.subarray(from, from + buffered));
    }
    const rest = payload.subarray(buffered);
    if (rest.length > 0) {
      if (this.source.readAt(rest, this.position + buffered) !== rest.length) this.truncated(count, what);
      // The buffer no longer covers the read position; the next ensure() refills it.
      this.bufferStart = this.bufferEnd = this.position + count;
    }
    this.position += count;
    return payload;
  }

  /** Bytes up to the next newline, decoded as latin1 (GLOBAL, PUT and GET arguments). */
  line(what: string): string {
    let text = '';
    for (;;) {
      const byte = this.u8(what);
      if (byte === 0x0a) return text;
      text += String.fromCharCode(byte);
      if (text.length > 4096) fail(`${what} has no end of line`);
    }
  }
}
