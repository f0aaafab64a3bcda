/**
 * Seeded randomness for the synthetic benchmark. Every draw comes from a named stream (seed + labels such as
 * domain, split and modality), so one part of a dataset never depends on how much randomness another part used.
 */

/** splitmix32 finalizer: spreads the bits of a 32-bit integer. */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** A 32-bit stream key from a seed and labels, e.g. `streamSeed(0, 'features', 'mosi', 'train', 't')`. */
export function streamSeed(seed: number, ...labels: (string | number)[]): number {
  // Both 32-bit halves of the seed count: seeds up to 2^53 do not collide on their low bits.
  let hash = mix32(mix32(seed >>> 0) ^ Math.floor(seed / 4294967296));
  for (const char of labels.join('\u0000')) hash = mix32(hash ^ char.charCodeAt(0)) + 0x9e3779b9;
  return mix32(hash);
}

/** xoshiro128** seeded through splitmix32, with Box–Muller (polar) normals. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // A number field plus a flag (not number | undefined) keeps the field unboxed in V8: normal() is the hot path.
  private spareNormal = 0;
  private hasSpare = false;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result / 4294967296;
  }

  /** Standard normal: the polar form of Box–Muller (no trigonometry; about 21% of pairs are redrawn). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    let u: number;
    let v: number;
    let radiusSquared: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      radiusSquared = u * u + v * v;
    } while (radiusSquared >= 1 || radiusSquared === 0);
    const scale = Math.sqrt((-2 * Math.log(radiusSquared)) / radiusSquared);
    this.spareNormal = v * scale;
    this.hasSpare = true;
    return u * scale;
  }

  /** Fills `out` with standard normals (the same values as calling normal() out.length times). */
  fillNormal(out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
