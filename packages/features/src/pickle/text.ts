/**
 * Python str payloads as the reader sees them. A str can be text or, in protocol 2 and Python 2 pickles, bytes
 * encoded as latin1, and only its use tells which: large ones stay undecoded (PendingText) until then.
 */
import { fail } from './input';
import { describePy, type PyKey } from './values';

/** A str payload too large to be worth decoding before we know whether it is text or latin1-encoded bytes. */
export class PendingText {
  constructor(
    public bytes: Uint8Array,
    public encoding: 'utf8' | 'latin1',
  ) {}
}

export const utf8 = new TextDecoder('utf-8');

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function textOf(value: unknown): string | undefined {
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
export function latin1BytesOf(value: unknown): Uint8Array | undefined {
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

export function keyOf(value: unknown): PyKey {
  const text = textOf(value);
  if (text !== undefined) return text;
  if (value === null || ['number', 'bigint', 'boolean'].includes(typeof value)) return value as PyKey;
  fail(`unsupported dict key or set member (${describePy(value)}): only str, int, float, bool and None are supported`);
}
