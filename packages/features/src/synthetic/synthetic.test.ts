import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DataError, MODALITIES, SPLITS, type Dataset, type Modality, type Split } from '../dataset';
import { generateSyntheticDomain } from './generator';
import { DEFAULT_SYNTHETIC_SEED, DOMAIN_STYLES, SYNTHETIC_DOMAINS, SYNTHETIC_PRESETS } from './presets';
import { hstack, meanPool } from './probes';

const tiny = Object.fromEntries(SYNTHETIC_DOMAINS.map((d) => [d, generateSyntheticDomain(d)])) as Record<
  (typeof SYNTHETIC_DOMAINS)[number],
  Dataset
>;

/** SHA-256 (first 16 hex digits) of a dataset's name, ids, labels, true lengths and feature values, split by split. */
function digest(dataset: Dataset): string {
  const hash = createHash('sha256');
  const bytes = (array: Float32Array | Int32Array): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  hash.update(dataset.name);
  for (const name of SPLITS) {
    const split = dataset.splits[name];
    hash.update(split.ids.join('\n'));
    hash.update(bytes(split.labels));
    for (const m of dataset.modalities) {
      hash.update(bytes(split.features[m]!.lengths));
      hash.update(bytes(split.features[m]!.data));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function allLabels(dataset: Dataset): number[] {
  return SPLITS.flatMap((split) => [...dataset.splits[split].labels]);
}

function share(values: number[], predicate: (value: number) => boolean): number {
  return values.filter(predicate).length / values.length;
}

test('every tiny domain has the declared name, source, sizes, dims and valid values', () => {
  const preset = SYNTHETIC_PRESETS.tiny;
  for (const domain of SYNTHETIC_DOMAINS) {
    const dataset = tiny[domain];
    const style = DOMAIN_STYLES[domain];
    assert.equal(dataset.name, `synth:${domain}:tiny`);
    assert.equal(dataset.domain, domain);
    assert.deepEqual(dataset.source, { kind: 'synthetic', domain, preset: 'tiny', seed: DEFAULT_SYNTHETIC_SEED });
    assert.deepEqual(dataset.labelRange, style.labelRange);
    assert.deepEqual(dataset.modalities, [...MODALITIES]);
    assert.deepEqual(dataset.dims, preset.dims);
    const ids = new Set<string>();
    for (const splitName of SPLITS) {
      const split = dataset.splits[splitName];
      assert.equal(split.size, preset.sizes[domain][splitName]);
      assert.equal(split.labels.length, split.size);
      for (const label of split.labels) {
        assert.ok(label >= style.labelRange[0] && label <= style.labelRange[1], `${domain} label ${label} out of range`);
        const steps = label / style.labelStep;
        assert.ok(Math.abs(steps - Math.round(steps)) < 1e-4, `${domain} label ${label} is not on the ${style.labelStep} grid`);
      }
      split.ids.forEach((id) => ids.add(id));
      for (const m of MODALITIES) assertPaddedTensor(split, m, preset.seqLen, preset.dims[m], `${domain}/${splitName}/${m}`);
    }
    assert.equal(ids.size, SPLITS.reduce((sum, s) => sum + dataset.splits[s].size, 0), 'ids are unique');
  }
});

function assertPaddedTensor(split: Split, m: Modality, seqLen: number, dim: number, where: string): void {
  const tensor = split.features[m]!;
  assert.deepEqual(tensor.shape, [split.size, seqLen, dim], where);
  assert.equal(tensor.data.length, split.size * seqLen * dim, where);
  const lengths = new Set<number>();
  for (let i = 0; i < split.size; i++) {
    const length = tensor.lengths[i]!;
    lengths.add(length);
    assert.ok(length >= 1 && length <= seqLen, `${where}: length ${length}`);
    const row = tensor.data.subarray(i * seqLen * dim, (i + 1) * seqLen * dim);
    assert.ok(row.subarray(0, length * dim).every(Number.isFinite), `${where}: non-finite value`);
    assert.ok(row.subarray(0, length * dim).some((x) => x !== 0), `${where}: sample ${i} is all zeros`);
    assert.ok(row.subarray(length * dim).every((x) => x === 0), `${where}: padding after step ${length} is not zero`);
  }
  assert.ok(lengths.size >= 3, `${where}: true lengths should vary, got ${[...lengths].join(',')}`);
}

test('tiny and paper generate the same bytes as before preset v2 and its speaker groups existed', () => {
  // Digests computed with the generator as it was before v2 (same function, same inputs): old results stay reproducible.
  assert.deepEqual(Object.fromEntries(SYNTHETIC_DOMAINS.map((d) => [d, digest(tiny[d])])), {
    mosi: '2b27a1338992da20',
    mosei: '91daaae6c25f844d',
    sims: '1bc62edc2433553c',
  });
  assert.equal(digest(generateSyntheticDomain('mosei', { seed: 1 })), '06171f5b74cfb3bd');
});

test('generation is a pure function of the seed', () => {
  const again = generateSyntheticDomain('mosi', { seed: DEFAULT_SYNTHETIC_SEED });
  assert.deepEqual(again, tiny.mosi);
  const other = generateSyntheticDomain('mosi', { seed: 7 });
  assert.equal(other.source.kind === 'synthetic' && other.source.seed, 7);
  assert.notDeepEqual(other.splits.train.labels, tiny.mosi.splits.train.labels);
  assert.notDeepEqual(other.splits.train.features.t!.data, tiny.mosi.splits.train.features.t!.data);
});

test('a domain depends neither on the other domains nor on which modalities are generated', () => {
  generateSyntheticDomain('mosei', { seed: 3 });
  assert.deepEqual(generateSyntheticDomain('mosi'), tiny.mosi);
  const textOnly = generateSyntheticDomain('sims', { modalities: ['t'] });
  assert.deepEqual(textOnly.modalities, ['t']);
  assert.deepEqual(Object.keys(textOnly.dims), ['t']);
  assert.deepEqual(Object.keys(textOnly.splits.test.features), ['t']);
  for (const split of SPLITS) {
    assert.deepEqual(textOnly.splits[split].features.t, tiny.sims.splits[split].features.t);
    assert.deepEqual(textOnly.splits[split].labels, tiny.sims.splits[split].labels);
  }
  assert.deepEqual(generateSyntheticDomain('sims', { modalities: ['v', 'a'] }).modalities, ['a', 'v']);
});

test('bad options are refused with one clear DataError', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => generateSyntheticDomain('imdb' as 'mosi'), /unknown synthetic domain "imdb"; choose one of: mosi, mosei, sims/],
    [() => generateSyntheticDomain('mosi', { preset: 'huge' as 'tiny' }), /unknown synthetic preset "huge"; choose one of: tiny, paper, v2/],
    [() => generateSyntheticDomain('mosi', { seed: 1.5 }), /seed must be an integer, got 1.5/],
    [() => generateSyntheticDomain('mosi', { modalities: [] }), /bad synthetic modalities \[\]/],
    [() => generateSyntheticDomain('mosi', { modalities: ['t', 'x' as Modality] }), /bad synthetic modalities \[t, x\]/],
    [() => generateSyntheticDomain('mosi', { modalities: ['t', 't'] }), /bad synthetic modalities \[t, t\]/],
  ];
  for (const [run, message] of cases) {
    assert.throws(run, (error: unknown) => error instanceof DataError && message.test(error.message) && !error.message.includes('\n'));
  }
});

test('label priors: MOSI balanced and bimodal, MOSEI positive with many near-zero labels, SIMS negative', () => {
  const normalized = Object.fromEntries(
    SYNTHETIC_DOMAINS.map((d) => [d, allLabels(tiny[d]).map((y) => y / tiny[d].labelRange[1])]),
  ) as Record<(typeof SYNTHETIC_DOMAINS)[number], number[]>;
  const mosi = normalized.mosi;
  assert.ok(Math.abs(share(mosi, (u) => u > 0) - share(mosi, (u) => u < 0)) < 0.15, 'MOSI is balanced');
  // Bimodal: per unit of label, the band around ±1.5 (native) is denser than the band around 0.
  const nearZeroDensity = share(mosi, (u) => Math.abs(u) < 1 / 6) / (2 / 6);
  const flankDensity = share(mosi, (u) => Math.abs(u) >= 1 / 3 && Math.abs(u) <= 2 / 3) / (2 / 3);
  assert.ok(flankDensity > 1.5 * nearZeroDensity, `MOSI flanks ${flankDensity.toFixed(2)} vs centre ${nearZeroDensity.toFixed(2)}`);

  const mosei = normalized.mosei;
  assert.ok(share(mosei, (u) => u > 0) > share(mosei, (u) => u < 0) + 0.1, 'MOSEI is skewed positive');
  const nearZero = (d: (typeof SYNTHETIC_DOMAINS)[number]): number => share(normalized[d], (u) => Math.abs(u) < 1 / 6);
  assert.ok(nearZero('mosei') > 0.2 && nearZero('mosei') > 1.5 * Math.max(nearZero('mosi'), nearZero('sims')), 'MOSEI has many near-zero labels');

  const sims = normalized.sims;
  assert.ok(share(sims, (u) => u < 0) > share(sims, (u) => u > 0) + 0.1, 'SIMS is skewed negative');
  assert.ok(sims.every((u) => Math.abs(u) <= 1) && tiny.sims.labelRange[1] === 1);
});

test('each domain has its own feature shift and scale, larger than the split-to-split wobble', () => {
  // Per-channel mean and std of the time-mean-pooled features, all modalities together.
  const stats = (split: Split): { mean: number[]; sd: number[] } => {
    const x = hstack(MODALITIES.map((m) => meanPool(split, m)));
    const mean = Array.from({ length: x.cols }, (_, j) => {
      let sum = 0;
      for (let i = 0; i < x.rows; i++) sum += x.data[i * x.cols + j]!;
      return sum / x.rows;
    });
    const sd = mean.map((mu, j) => {
      let sum = 0;
      for (let i = 0; i < x.rows; i++) sum += (x.data[i * x.cols + j]! - mu) ** 2;
      return Math.sqrt(sum / x.rows);
    });
    return { mean, sd };
  };
  const meanGap = (a: number[], b: number[]): number => a.reduce((sum, v, j) => sum + Math.abs(v - b[j]!), 0) / a.length;
  const scaleGap = (a: number[], b: number[]): number => a.reduce((sum, v, j) => sum + Math.abs(Math.log(v / b[j]!)), 0) / a.length;
  const perDomain = SYNTHETIC_DOMAINS.map((d) => ({ train: stats(tiny[d].splits.train), test: stats(tiny[d].splits.test) }));
  const withinShift = Math.max(...perDomain.map((s) => meanGap(s.train.mean, s.test.mean)));
  const withinScale = Math.max(...perDomain.map((s) => scaleGap(s.train.sd, s.test.sd)));
  for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) {
    const pair = `${SYNTHETIC_DOMAINS[i]}/${SYNTHETIC_DOMAINS[j]}`;
    const shift = meanGap(perDomain[i]!.train.mean, perDomain[j]!.train.mean);
    const scale = scaleGap(perDomain[i]!.train.sd, perDomain[j]!.train.sd);
    assert.ok(shift > 1.5 * withinShift, `${pair}: shift ${shift.toFixed(2)} vs within ${withinShift.toFixed(2)}`);
    assert.ok(scale > 1.5 * withinScale, `${pair}: scale ${scale.toFixed(2)} vs within ${withinScale.toFixed(2)}`);
  }
});

test('the paper preset has the MMSA sizes and dims', () => {
  const paper = generateSyntheticDomain('mosi', { preset: 'paper', modalities: ['a', 'v'] });
  assert.equal(paper.name, 'synth:mosi:paper');
  assert.equal(digest(paper), '59a7be78d90622bc', 'the same bytes as before preset v2 existed');
  assert.deepEqual(SPLITS.map((s) => paper.splits[s].size), [1284, 229, 686]);
  assert.deepEqual(paper.splits.train.features.a!.shape, [1284, 50, 74]);
  assert.deepEqual(paper.splits.test.features.v!.shape, [686, 50, 35]);
  assert.deepEqual(SYNTHETIC_PRESETS.paper.dims, { t: 768, a: 74, v: 35 });
  assert.deepEqual(SYNTHETIC_PRESETS.paper.sizes.mosei, { train: 16326, valid: 1871, test: 4659 });
  assert.deepEqual(SYNTHETIC_PRESETS.paper.sizes.sims, { train: 1368, valid: 456, test: 457 });
});
