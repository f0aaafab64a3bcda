/** Test helpers: hand-assembled pickle byte sequences and a tiny dataset. */
import type { Dataset, ModalityTensor, Split, SplitName } from '../dataset';

export type Part = string | number | Uint8Array | Part[];

/** Concatenates parts: strings as latin1 characters, numbers as single bytes. */
export function assemble(...parts: Part[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const add = (part: Part): void => {
    if (typeof part === 'number') chunks.push(Uint8Array.of(part));
    else if (typeof part === 'string') chunks.push(Uint8Array.from(part, (char) => char.charCodeAt(0)));
    else if (part instanceof Uint8Array) chunks.push(part);
    else part.forEach(add);
  };
  parts.forEach(add);
  return Uint8Array.from(Buffer.concat(chunks));
}

export function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

/** SHORT_BINSTRING or BINSTRING: a Python 2 str. */
export function py2String(text: string | Uint8Array): Part[] {
  const bytes = typeof text === 'string' ? assemble(text) : text;
  return bytes.length < 256 ? ['U', bytes.length, bytes] : ['T', int32(bytes.length), bytes];
}

/**
 * A numpy array as a Python 2 numpy pickles it with protocol 2 (GLOBAL opcodes, py2 str type codes),
 * with `data` the opcodes that push the payload.
 */
export function py2Array(options: { typeString: string; byteOrder: string; shape: number[]; fortran: boolean; data: Part[]; module?: string }): Part[] {
  const { typeString, byteOrder, shape, fortran, data, module = 'numpy.core.multiarray' } = options;
  return [
    'c', `${module}\n_reconstruct\n`, 'c', 'numpy\nndarray\n', 'K', 0, 0x85, py2String('b'), 0x87, 'R',
    '(', 'K', 1, '(', shape.map((size) => ['J', int32(size)]), 't',
    'c', 'numpy\ndtype\n', py2String(typeString), 'K', 0, 'K', 1, 0x87, 'R',
    '(', 'K', 3, py2String(byteOrder), 'N', 'N', 'N', 'J', int32(-1), 'J', int32(-1), 'K', 0, 't', 'b',
    fortran ? 0x88 : 0x89, data, 't', 'b',
  ];
}

/**
 * A small valid dataset for tests of loaders, checks and reports: dims t3 a2 v2, padded lengths t4 a5 v3,
 * 5/2/3 samples, labels in [-3, 3]. Sample i of every split has true lengths (i % L) + 1, and value
 * 1 + step + 0.5·feature + 10·i at each true step (never zero); padding steps are zero.
 */
export function tinyDataset(): Dataset {
  const dims = { t: 3, a: 2, v: 2 };
  const seqLens = { t: 4, a: 5, v: 3 };
  const sizes: Record<SplitName, number> = { train: 5, valid: 2, test: 3 };
  const labels: Record<SplitName, number[]> = { train: [-3, -1, 0, 1, 3], valid: [0.5, -0.5], test: [2, -2, 0] };
  const tensor = (n: number, seqLen: number, dim: number): ModalityTensor => {
    const lengths = Int32Array.from({ length: n }, (_, i) => (i % seqLen) + 1);
    const data = new Float32Array(n * seqLen * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < lengths[i]!; t++) {
        for (let d = 0; d < dim; d++) data[(i * seqLen + t) * dim + d] = 1 + t + 0.5 * d + 10 * i;
      }
    }
    return { data, shape: [n, seqLen, dim], lengths };
  };
  const split = (name: SplitName): Split => {
    const n = sizes[name];
    return {
      size: n,
      features: { t: tensor(n, seqLens.t, dims.t), a: tensor(n, seqLens.a, dims.a), v: tensor(n, seqLens.v, dims.v) },
      labels: Float32Array.from(labels[name]),
      ids: Array.from({ length: n }, (_, i) => `${name}video$_$${i}`),
      rawText: Array.from({ length: n }, (_, i) => `words of ${name} sample ${i}`),
    };
  };
  return {
    name: 'tiny',
    domain: 'mosi',
    labelRange: [-3, 3],
    dims,
    seqLens,
    modalities: ['t', 'a', 'v'],
    splits: { train: split('train'), valid: split('valid'), test: split('test') },
    source: { kind: 'synthetic', domain: 'mosi', preset: 'test', seed: 0 },
  };
}
