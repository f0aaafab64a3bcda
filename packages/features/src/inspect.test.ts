import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectDataset } from './inspect';
import { tinyDataset } from './pickle/testing';

test('the report has a row per split and modality with shape, true lengths and bad-value counts', () => {
  const dataset = tinyDataset();
  // Sample i has length (i % L) + 1: train audio (L = 5, N = 5) has lengths 1..5.
  dataset.splits.train.features.a!.data[0] = NaN;
  dataset.splits.train.features.a!.data[1] = NaN;
  dataset.splits.train.features.a!.data[10] = -Infinity;
  const report = inspectDataset(dataset);
  const lines = report.split('\n');
  assert.equal(lines[0], 'tiny');
  assert.equal(lines[1], 'domain mosi, labels in [-3, 3], metrics mosi, modalities tav');
  const row = (split: string, modality: string): string[] => {
    const found = lines.find((line) => line.startsWith(`${split} `) && line.split(/\s+/)[1] === modality);
    assert.ok(found, `${split} ${modality} row`);
    return found.split(/\s{2,}/);
  };
  assert.deepEqual(row('train', 'audio'), ['train', 'audio', '[5, 5, 2]', '1', '3.00', '5', '2', '1', '0']);
  assert.deepEqual(row('train', 'vision'), ['train', 'vision', '[5, 3, 2]', '1', '1.80', '3', '0', '0', '0']);
  assert.deepEqual(row('valid', 'text'), ['valid', 'text', '[2, 4, 3]', '1', '1.50', '2', '0', '0', '0']);
  assert.deepEqual(row('test', 'text'), ['test', 'text', '[3, 4, 3]', '1', '2.00', '3', '0', '0', '0']);
});

test('the report gives label min, max, mean and std per split', () => {
  const report = inspectDataset(tinyDataset());
  const labelRows = report.split('\n').filter((line) => /^(train|valid|test)\s+\d/.test(line));
  // train labels -3, -1, 0, 1, 3: mean 0, std sqrt(20 / 5) = 2; valid ±0.5; test 2, -2, 0: std sqrt(8 / 3).
  assert.deepEqual(
    labelRows.map((line) => line.split(/\s+/)),
    [
      ['train', '5', '-3.000', '3.000', '0.000', '2.000'],
      ['valid', '2', '-0.500', '0.500', '0.000', '0.500'],
      ['test', '3', '-2.000', '2.000', '0.000', Math.sqrt(8 / 3).toFixed(3)],
    ],
  );
});

test('columns are aligned: every row of a table is as wide as its header', () => {
  const tables = inspectDataset(tinyDataset()).split('\n\n').slice(1);
  assert.equal(tables.length, 2);
  for (const table of tables) {
    const [header, ...rows] = table.split('\n');
    for (const row of rows) assert.equal(row.length, header!.length, row);
  }
});
