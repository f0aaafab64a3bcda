/**
 * The core of tf.randomUniform's Alea generator (seedrandom.alea) as one small WebAssembly function, for the
 * dropout multiplier (dropout-mask.ts). Alea's state is three doubles s0, s1, s2 and a carry c; every s is a
 * multiple of 2^-32 (the seed hash returns n·2^-32 and the recurrence keeps it so), and each step is
 *
 *   t = 2091639·s0 + c·2^-32;  s0 ← s1;  s1 ← s2;  c ← ⌊t⌋;  s2 ← t − c       (the output u is the new s2)
 *
 * With s = k·2^-32 that is exact integer arithmetic below 2^53: x = 2091639·k0 + c, c ← x >> 32, k2 ← x mod 2^32.
 * The multiplier is `kept` where float32(float32(u) + keep) ≥ 1, a test monotone in k, so it is k ≥ K for one
 * integer threshold K per keep probability. In JavaScript the recurrence runs on doubles and its carry chain
 * (truncation after a multiply-add) costs about 8 ns per value; on 64-bit integers the chain is an add and a
 * shift. A MIDG training step draws about a million of these values.
 *
 * The module (173 bytes, built below) in the text format; `alea-fill.test.ts` checks it against a JavaScript
 * reference:
 *
 *   (func (export "fill") (param $out i32) (param $n i32) (param $k0 i32) (param $k1 i32) (param $k2 i32)
 *         (param $threshold f64) (param $kept f32)
 *     (local $c i64) (local $x i64) (local $a0 i64) (local $a1 i64) (local $a2 i64) (local $th i64) (local $end i32)
 *     a0 = u64(k0); a1 = u64(k1); a2 = u64(k2); th = u64(threshold); c = 1; end = out + 4·n
 *     (block (br_if 0 (n == 0))
 *       (loop
 *         x = 2091639·a0 + c; a0 = a1; a1 = a2; c = x >> 32; a2 = x & 0xffffffff
 *         f32.store out (select kept 0 (a2 ≥ th)); out += 4
 *         (br_if 0 (out < end)))))
 *   (memory (export "memory") 1)
 */

/** Unsigned LEB128 (sizes, indices). */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 of a non-negative integer constant (i64.const immediates). */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value % 128;
    value = Math.floor(value / 128);
    // Done when the rest is zero and the sign bit (0x40) of this byte is clear.
    if (value === 0 && (byte & 0x40) === 0) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => [...uleb(text.length), ...[...text].map((ch) => ch.charCodeAt(0))];

// Opcodes and types used below (WebAssembly core spec 1.0).
const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c;
const GET = 0x20, SET = 0x21, TEE = 0x22;
// Parameters 0..6, then locals 7..13.
const [OUT, N, K0, K1, K2, THRESHOLD, KEPT, C, X, A0, A1, A2, TH, END] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;

function fillBody(): number[] {
  const code = [
    GET, K0, 0xad, SET, A0, // i64.extend_i32_u
    GET, K1, 0xad, SET, A1,
    GET, K2, 0xad, SET, A2,
    GET, THRESHOLD, 0xb1, SET, TH, // i64.trunc_f64_u
    0x42, ...sleb(1), SET, C,
    GET, OUT, GET, N, 0x41, 2, 0x74, 0x6a, SET, END, // out + (n << 2)
    0x02, 0x40, // block
    GET, N, 0x45, 0x0d, 0, // br_if 0 (n == 0)
    0x03, 0x40, // loop
    GET, A0, 0x42, ...sleb(2091639), 0x7e, GET, C, 0x7c, SET, X, // x = 2091639·a0 + c
    GET, A1, SET, A0,
    GET, A2, SET, A1,
    GET, X, 0x42, ...sleb(32), 0x88, SET, C, // c = x >>> 32
    GET, X, 0x42, ...sleb(0xffffffff), 0x83, SET, A2, // a2 = x & 0xffffffff
    GET, OUT,
    GET, KEPT, 0x43, 0, 0, 0, 0, GET, A2, GET, TH, 0x5a, 0x1b, // select(kept, 0f, a2 >= th)
    0x38, 2, 0, // f32.store align=4 offset=0
    GET, OUT, 0x41, 4, 0x6a, TEE, OUT, GET, END, 0x49, 0x0d, 0, // out += 4; br_if 0 (out < end)
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
  const locals = vector([[6, I64], [1, I32]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32], [F64], [F32]]), 0]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('fill'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([fillBody()])),
  ]);
}

/** The parts of the WebAssembly JavaScript API used here (the project's TypeScript libraries have no DOM types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

interface AleaExports {
  fill(out: number, n: number, k0: number, k1: number, k2: number, threshold: number, kept: number): void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

let instance: AleaExports | undefined;

function aleaModule(): AleaExports {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  // Synchronous compilation is allowed for a module this small, and the caller is synchronous.
  instance ??= new Instance(new Module(moduleBytes())).exports as AleaExports;
  return instance;
}

/**
 * Writes `size` multipliers for the generator state (k0, k1, k2: the three s·2^32, carry 1) into the module's own
 * memory and returns a view of them, valid until the next call.
 */
export function fillAleaMultiplier(state: readonly [number, number, number], size: number, threshold: number, kept: number): Float32Array {
  const module = aleaModule();
  const bytes = size * 4;
  const pageBytes = 65536;
  if (module.memory.buffer.byteLength < bytes) module.memory.grow(Math.ceil((bytes - module.memory.buffer.byteLength) / pageBytes));
  module.fill(0, size, state[0], state[1], state[2], threshold, kept);
  return new Float32Array(module.memory.buffer, 0, size);
}
