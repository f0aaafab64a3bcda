import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError, type Dataset } from './dataset';
import { tinyDataset } from './pickle/testing';
import { scanTensor, validateDataset } from './validate';

test('a consistent dataset passes', () => {
  assert.doesNotThrow(() => validateDataset(tinyDataset()));
});

test('scanTensor counts NaN and ±inf within the true lengths and non-zero padding after them', () => {
  const tensor = tinyDataset().splits.train.features.a!; // [5, 5, 2], sample i has length i + 1
  tensor.data[0] = NaN; // sample 0, step 0
  tensor.data[1 * 10 + 2] = NaN; // sample 1, step 1
  tensor.data[2 * 10 + 4] = -Infinity; // sample 2, step 2
  tensor.data[0 * 10 + 2] = 7; // sample 0, step 1: padding
  tensor.data[3 * 10 + 9] = NaN; // sample 3, step 4: padding
  assert.deepEqual(scanTensor(tensor), { nan: 2, infinite: 1, nonZeroPadding: 2, badLengths: 0, firstBadSample: 0 });
  tensor.lengths[4] = 6;
  assert.equal(scanTensor(tensor).badLengths, 1);
});

test('each inconsistency is one DataError line naming the split, the modality and the count', () => {
  const cases: [string, (ds: Dataset) => void, RegExp][] = [
    ['bad range', (ds) => (ds.labelRange = [1, -1]), /^tiny: bad label range \[1, -1\]$/],
    ['labels vs size', (ds) => (ds.splits.valid.labels = new Float32Array(3)), /^tiny: split valid has 3 labels for 2 samples$/],
    ['ids vs size', (ds) => ds.splits.test.ids.pop(), /^tiny: split test has 2 ids for 3 samples$/],
    ['missing modality', (ds) => delete ds.splits.test.features.v, /^tiny: split test has no vision features$/],
    [
      'ragged N',
      (ds) => {
        const audio = ds.splits.train.features.a!;
        ds.splits.train.features.a = { ...audio, shape: [4, 5, 2], data: audio.data.subarray(0, 40), lengths: audio.lengths.subarray(0, 4) };
      },
      /^tiny: split train: audio has 4 samples but the split has 5 labels$/,
    ],
    ['other L', (ds) => (ds.seqLens.t = 6), /^tiny: split train: text is \[5, 4, 3\], expected \[5, 6, 3\]$/],
    ['data size', (ds) => (ds.splits.train.features.t!.data = new Float32Array(3)), /^tiny: split train: text holds 3 values, not 5×4×3$/],
    ['length 0', (ds) => (ds.splits.valid.features.v!.lengths[1] = 0), /^tiny: split valid: vision has 1 length outside 1\.\.3 \(first: sample validvideo\$_\$1\)$/],
    [
      'NaN',
      (ds) => {
        ds.splits.test.features.a!.data[10] = NaN;
        ds.splits.test.features.a!.data[11] = NaN;
      },
      /^tiny: split test: audio features hold 2 NaN values \(first: sample testvideo\$_\$1\); features must not contain NaN$/,
    ],
    ['inf', (ds) => (ds.splits.train.features.t!.data[0] = Infinity), /^tiny: split train: text features hold 1 infinite value/],
    ['padding', (ds) => (ds.splits.train.features.t!.data[3] = 1), /^tiny: split train: text has 1 non-zero value in padding steps \(first: sample trainvideo\$_\$0\)$/],
    [
      'labels out of range',
      (ds) => {
        ds.splits.test.labels[1] = 3.5;
        ds.splits.test.labels[2] = -4;
      },
      /^tiny: split test has 2 labels outside \[-3, 3\] \(first: 3\.5 at id testvideo\$_\$1\)$/,
    ],
    ['NaN label', (ds) => (ds.splits.train.labels[4] = NaN), /^tiny: split train has 1 label outside \[-3, 3\] \(first: NaN at id trainvideo\$_\$4\)$/],
  ];
  for (const [name, mutate, pattern] of cases) {
    const dataset = tinyDataset();
    mutate(dataset);
    assert.throws(() => validateDataset(dataset), (error: unknown) => error instanceof DataError && pattern.test(error.message), name);
  }
});

test('messages name the dataset as the caller asks', () => {
  const dataset = tinyDataset();
  dataset.splits.train.labels[0] = 9;
  assert.throws(
    () => validateDataset(dataset, '/data/mosi.pkl'),
    (error: unknown) => error instanceof DataError && error.message.startsWith('/data/mosi.pkl: split train has 1 label outside'),
  );
});
