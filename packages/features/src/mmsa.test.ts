import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataError, SPLITS, datasetMetricFamily, metricFamilyForRange, type Dataset } from './dataset';
import { loadMmsa, writeMmsa } from './mmsa';
import { readPickleFile } from './pickle/reader';
import { assemble, py2String, tinyDataset } from './pickle/testing';
import type { PyKey, PyValue } from './pickle/values';
import { writePickleFile } from './pickle/writer';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const MOSI = resolve(repoRoot, '../shared/data/mosi-bclstm/mosi_bclstm.pkl');
const MOSI_CSV = resolve(repoRoot, '../shared/data/mosi-bclstm/mosi_text_labels.csv');
const TINY = fileURLToPath(new URL('./pickle/fixtures/mmsa-tiny-unaligned.pkl', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'midg-mmsa-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertDataError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('reads the real CMU-MOSI file: 1275/172/752 segments, dims t100 a73 v100, sequence length 1', () => {
  const dataset = loadMmsa(MOSI);
  assert.equal(dataset.name, `mmsa:${MOSI}`);
  assert.equal(dataset.domain, 'mosi');
  assert.deepEqual(dataset.labelRange, [-3, 3]);
  assert.equal(dataset.metricFamily, 'mosi');
  assert.deepEqual(dataset.modalities, ['t', 'a', 'v']);
  assert.deepEqual(dataset.dims, { t: 100, a: 73, v: 100 });
  assert.deepEqual(dataset.seqLens, { t: 1, a: 1, v: 1 });
  assert.deepEqual(dataset.source, { kind: 'mmsa', path: MOSI });
  assert.deepEqual(
    SPLITS.map((split) => dataset.splits[split].size),
    [1275, 172, 752],
  );
  for (const split of SPLITS) {
    const { size, ids, rawText, features } = dataset.splits[split];
    assert.equal(ids.length, size);
    assert.equal(rawText?.length, size);
    assert.ok(ids.every((id) => /^[\w-]+\$_\$\d+$/.test(id)), `${split} ids look like <video>$_$<clip>`);
    for (const m of dataset.modalities) assert.ok(features[m]!.lengths.every((length) => length === 1));
  }
  assert.equal(dataset.splits.train.ids[0], '2iD-tVS8NPw$_$1');
});

test('MOSI labels and splits agree with the CSV of the same data', () => {
  const rows = readFileSync(MOSI_CSV, 'utf8').trim().split(/\r?\n/).slice(1).map((line) => line.split(','));
  const byId = new Map(rows.map((cells) => [`${cells[1]}$_$${cells[2]}`, { label: Number(cells[6]), poria: cells[10] }]));
  const dataset = loadMmsa(MOSI, { modalities: ['t'] });
  for (const split of SPLITS) {
    const { ids, labels } = dataset.splits[split];
    ids.forEach((id, i) => {
      const row = byId.get(id);
      assert.ok(row, `${id} is in the CSV`);
      assert.equal(labels[i], Math.fround(row.label), id);
      assert.equal(row.poria, split === 'test' ? 'test' : 'train', id);
    });
  }
});

test('selects modalities and keeps the others out of the dataset', () => {
  const dataset = loadMmsa(MOSI, { modalities: ['v', 'a'] });
  assert.deepEqual(dataset.modalities, ['a', 'v']);
  assert.deepEqual(dataset.dims, { a: 73, v: 100 });
  assert.deepEqual(Object.keys(dataset.splits.test.features).sort(), ['a', 'v']);
});

test('a numpy-written unaligned file: given and inferred lengths, -inf audio set to 0, ids and raw text', () => {
  // fixtures/make-fixtures.py (tiny_mmsa): sample i has text length 1 + i % 5 (no text_lengths key, so inferred),
  // audio_lengths 1 + (i + 2) % 6 (a list), vision_lengths 1 + (i + 1) % 4 (an int64 array), and audio[0, 0, 1] = -inf.
  const dataset = loadMmsa(TINY, { domain: 'mosi' });
  assert.deepEqual(dataset.dims, { t: 3, a: 2, v: 2 });
  assert.deepEqual(dataset.seqLens, { t: 5, a: 6, v: 4 });
  const sizes = { train: 4, valid: 2, test: 3 };
  for (const split of SPLITS) {
    const n = sizes[split];
    const { features, ids, rawText, labels } = dataset.splits[split];
    const indices = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual([...features.t!.lengths], indices.map((i) => 1 + (i % 5)));
    assert.deepEqual([...features.a!.lengths], indices.map((i) => 1 + ((i + 2) % 6)));
    assert.deepEqual([...features.v!.lengths], indices.map((i) => 1 + ((i + 1) % 4)));
    assert.deepEqual(ids, indices.map((i) => `${split}video$_$${i}`));
    assert.deepEqual(rawText, indices.map((i) => `words of ${split} sample ${i}`));
    assert.deepEqual([...labels], indices.map((i) => Math.fround(-3 + (6 * i) / (n - 1))));
  }
  const audio = dataset.splits.train.features.a!.data;
  assert.equal(audio[1], 0, 'audio[0, 0, 1] was -inf');
  assert.ok(Math.abs(audio[0]! - 10) < 5, 'its neighbour is a real value');
});

test('writeMmsa then loadMmsa gives the dataset back', () => {
  const original = tinyDataset();
  const path = join(dir, 'roundtrip.pkl');
  writeMmsa(original, path);
  const loaded = loadMmsa(path, { name: original.name, domain: original.domain, labelRange: original.labelRange });
  assert.deepStrictEqual(loaded, { ...original, metricFamily: 'mosi', source: { kind: 'mmsa', path } });
});

test('domain and label range default from the file name: sims → [-1, 1], others → [-3, 3]', () => {
  const dataset = tinyDataset();
  for (const split of SPLITS) dataset.splits[split].labels = dataset.splits[split].labels.map((label) => label / 3);
  const sims = join(dir, 'ch-sims_unaligned_39.pkl');
  writeMmsa(dataset, sims);
  const warnings: string[] = [];
  const warn = (line: string) => warnings.push(line);
  assert.equal(loadMmsa(sims, { warn }).domain, 'sims');
  assert.deepEqual(loadMmsa(sims, { warn }).labelRange, [-1, 1]);
  const custom = join(dir, 'my-data.pkl');
  writeMmsa(dataset, custom);
  assert.equal(loadMmsa(custom, { warn }).domain, 'custom');
  assert.deepEqual(loadMmsa(custom, { warn }).labelRange, [-3, 3]);
  assert.equal(warnings.length, 2, 'the [-3, 3] default on labels within [-1, 1] is said, once per load; the sims default is not');
  dataset.splits.valid.labels[1] = 1.5;
  writeMmsa(dataset, sims);
  assertDataError(() => loadMmsa(sims), /: split valid has 1 label outside \[-1, 1\] \(first: 1\.5 at id validvideo\$_\$1\)$/);
});

test('the range that picks a default family: within [-1, 1] → sims, wider → mosi', () => {
  assert.equal(metricFamilyForRange([-1, 1]), 'sims');
  assert.equal(metricFamilyForRange([0, 1]), 'sims');
  assert.equal(metricFamilyForRange([-3, 3]), 'mosi');
  assert.equal(metricFamilyForRange([-1, 1.5]), 'mosi');
  const { metricFamily: _, ...handBuilt } = tinyDataset();
  assert.equal(datasetMetricFamily(handBuilt), 'mosi', 'a dataset built without a family gets its range default');
  assert.equal(datasetMetricFamily({ ...handBuilt, metricFamily: 'sims' }), 'sims');
});

test('the metric family follows the label range unless declared; the domain name picks none', () => {
  const dataset = tinyDataset();
  for (const split of SPLITS) dataset.splits[split].labels = dataset.splits[split].labels.map((label) => label / 3);
  const path = join(dir, 'mosi-utterances.pkl');
  writeMmsa(dataset, path);
  const quiet = { warn: () => {} };
  const family = (options: Parameters<typeof loadMmsa>[1]) => {
    const loaded = loadMmsa(path, { ...quiet, ...options });
    return [loaded.labelRange, loaded.metricFamily];
  };
  assert.deepEqual(family({}), [[-3, 3], 'mosi'], 'a mosi path: [-3, 3] → the MOSI/MOSEI metrics');
  assert.deepEqual(family({ labelRange: [-1, 1] }), [[-1, 1], 'sims'], '[-1, 1] → the SIMS metrics, whatever the domain');
  assert.deepEqual(family({ domain: 'mosi', labelRange: [-1, 1] }), [[-1, 1], 'sims']);
  assert.deepEqual(family({ domain: 'sims' }), [[-1, 1], 'sims'], 'domain sims still implies its range');
  assert.deepEqual(family({ labelRange: [-2, 2] }), [[-2, 2], 'mosi'], 'wider ranges → mosi');
  assert.deepEqual(family({ metrics: 'sims' }), [[-1, 1], 'sims'], 'declared metrics imply their range');
  assert.deepEqual(family({ labelRange: [-3, 3], metrics: 'sims' }), [[-3, 3], 'sims'], 'a declaration wins');
  assert.deepEqual(family({ labelRange: [-1, 1], metrics: 'mosi' }), [[-1, 1], 'mosi']);
});

test('labels all inside [-1, 1] under an undeclared [-3, 3] range: one warning line that says how to declare it', () => {
  const dataset = tinyDataset();
  // A three-class -1/0/+1 dataset, not named SIMS.
  for (const split of SPLITS) dataset.splits[split].labels = dataset.splits[split].labels.map((label) => Math.sign(label));
  const path = join(dir, 'reviews.pkl');
  writeMmsa(dataset, path);
  const warnings: string[] = [];
  const loaded = loadMmsa(path, { warn: (line) => warnings.push(line) });
  assert.deepEqual([loaded.labelRange, loaded.metricFamily], [[-3, 3], 'mosi']);
  assert.equal(warnings.length, 1);
  assert.equal(
    warnings[0],
    `${path}: every label lies in [-1, 1], but no label range was declared, so the labels are read on [-3, 3] and scored with the ` +
      `MOSI/MOSEI metrics; if [-1, 1] is their scale, declare it in the datasets config (datasets.yaml): ` +
      `mydata: { path: ${path}, labelRange: [-1, 1] } (see README "Your own data")`,
  );
  assert.ok(!warnings[0]!.includes('\n'), 'one line');
  // Loaded through an alias, the line names the alias's entry.
  loadMmsa(path, { name: 'reviews', warn: (line) => warnings.push(line) });
  assert.match(warnings[1]!, /datasets\.yaml\): reviews: \{ path: .*reviews\.pkl, labelRange: \[-1, 1\] \}/);
  // Declared (range or metrics): nothing to say.
  for (const options of [{ labelRange: [-1, 1] as const }, { labelRange: [-3, 3] as const }, { metrics: 'mosi' as const }, { metrics: 'sims' as const }]) {
    loadMmsa(path, { ...options, warn: (line) => warnings.push(line) });
  }
  assert.equal(warnings.length, 2);
  // Labels beyond [-1, 1] (real MOSI-scaled data): no warning.
  loadMmsa(brokenFile('mosi-scaled.pkl', () => {}), { warn: (line) => warnings.push(line) });
  assert.equal(warnings.length, 2);
});

test('a declared range that the labels exceed stays an error', () => {
  const path = join(dir, 'declared.pkl');
  writeMmsa(tinyDataset(), path);
  assertDataError(() => loadMmsa(path, { labelRange: [-1, 1] }), /declared\.pkl: split train has 2 labels outside \[-1, 1\] \(first: -3 at id trainvideo\$_\$0\)$/);
  assertDataError(() => loadMmsa(path, { metrics: 'sims' }), /split train has 2 labels outside \[-1, 1\]/);
});

test('real-world padding: lengths are inferred from the last non-zero step, and steps past given lengths are zeroed', () => {
  const dataset = tinyDataset();
  const path = join(dir, 'lengths.pkl');
  writeMmsa(dataset, path);
  const root = readPickleFile(path) as Map<PyKey, Map<PyKey, PyValue>>;
  const train = root.get('train')!;
  train.delete('vision_lengths'); // now inferred from the data: the same lengths
  (train.get('audio_lengths') as { data: BigInt64Array }).data[4] = 2n; // sample 4 (length 5) cut to 2 steps
  writePickleFile(path, root);
  const loaded = loadMmsa(path);
  assert.deepEqual(loaded.splits.train.features.v!.lengths, dataset.splits.train.features.v!.lengths);
  const audio = loaded.splits.train.features.a!;
  assert.equal(audio.lengths[4], 2);
  const sample4 = audio.data.subarray(4 * 10, 5 * 10);
  assert.deepEqual([...sample4], [41, 41.5, 42, 42.5, 0, 0, 0, 0, 0, 0]);
});

/** Writes the tiny dataset as MMSA, lets `change` edit the raw pickle, and returns the file. */
function brokenFile(name: string, change: (root: Map<PyKey, Map<PyKey, PyValue>>) => void): string {
  const path = join(dir, name);
  writeMmsa(tinyDataset(), path);
  const root = readPickleFile(path) as Map<PyKey, Map<PyKey, PyValue>>;
  change(root);
  writePickleFile(path, root);
  return path;
}

test('each bad file is one DataError line that says what is wrong', () => {
  assertDataError(() => loadMmsa(join(dir, 'nowhere.pkl')), /^dataset file not found: .*nowhere\.pkl$/);
  assertDataError(() => loadMmsa(dir), /^dataset path is not a file: /);

  const truncated = join(dir, 'truncated.pkl');
  writeFileSync(truncated, readFileSync(MOSI).subarray(0, 1_000_000));
  assertDataError(() => loadMmsa(truncated), /^truncated pickle: .*truncated\.pkl ends at byte 1000000, but /);

  const evil = join(dir, 'evil.pkl');
  writeFileSync(evil, assemble(0x80, 2, 'c', 'posix\nsystem\n', py2String('echo hi'), 0x85, 'R', '.'));
  assertDataError(() => loadMmsa(evil), /^refusing pickle global posix\.system: only numpy arrays and builtin containers are allowed/);

  const cases: [string, (root: Map<PyKey, Map<PyKey, PyValue>>) => void, RegExp][] = [
    ['no-valid.pkl', (root) => root.delete('valid'), /no-valid\.pkl: missing split 'valid' \(the file has: train, test\)$/],
    ['no-labels.pkl', (root) => root.get('test')!.delete('regression_labels'), /no-labels\.pkl: split test has no 'regression_labels' \(keys: id, raw_text, text, audio, audio_lengths, vision, vision_lengths\)$/],
    ['no-audio.pkl', (root) => root.get('valid')!.delete('audio'), /no-audio\.pkl: split valid has no 'audio' \(keys: /],
    [
      'ragged.pkl',
      (root) => {
        const vision = root.get('train')!.get('vision') as { shape: number[]; data: Float32Array };
        vision.shape = [4, 3, 2];
        vision.data = vision.data.subarray(0, 24);
        root.get('train')!.set('vision_lengths', [1, 2, 3, 1]);
      },
      /ragged\.pkl: split train: vision has 4 samples but the split has 5 labels$/,
    ],
    [
      'ids.pkl',
      (root) => root.get('test')!.set('id', ['only one']),
      /ids\.pkl: split test has 1 ids for 3 samples$/,
    ],
    [
      'nan.pkl',
      (root) => {
        const audio = root.get('valid')!.get('audio') as { data: Float32Array };
        audio.data.fill(NaN, 0, 2);
        audio.data[2] = -Infinity;
      },
      /nan\.pkl: split valid: audio features hold 2 NaN values \(first: sample validvideo\$_\$0\); features must not contain NaN$/,
    ],
    ['labels.pkl', (root) => ((root.get('train')!.get('regression_labels') as { data: Float32Array }).data[3] = -7), /labels\.pkl: split train has 1 label outside \[-3, 3\] \(first: -7 at id trainvideo\$_\$3\)$/],
    [
      'bert.pkl',
      (root) => {
        for (const split of root.values()) split.set('text_bert', split.get('text')!).delete('text');
      },
      /bert\.pkl: split train has only 'text_bert' \(\[N, 3, L\] BERT token ids, masks and segment ids\), which are not features/,
    ],
    ['flat.pkl', (root) => root.get('test')!.set('vision', [1, 2, 3]), /flat\.pkl: split test: 'vision' must be a numeric \[N, L, D\] array, found list of 3$/],
    ['not-mmsa.pkl', (root) => root.clear(), /not-mmsa\.pkl: missing split 'train' \(the file has: none\)$/],
  ];
  for (const [name, change, pattern] of cases) assertDataError(() => loadMmsa(brokenFile(name, change)), pattern);
});

test('a file with only BERT token ids still loads audio and vision when text is not asked for', () => {
  const path = brokenFile('bert-av.pkl', (root) => {
    for (const split of root.values()) split.set('text_bert', split.get('text')!).delete('text');
  });
  const dataset: Dataset = loadMmsa(path, { modalities: ['a', 'v'] });
  assert.deepEqual(dataset.modalities, ['a', 'v']);
});
