import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { evalRegression, withMajority } from '@midg/metrics';
import type { TrainResult } from '@midg/trainer';
import { MIDG_BIN } from '../bin-path';
import { makeResult, makeSpec } from '../db/testing/fixtures';
import { formatMetrics, metricSetLabel, parseSetPairs, withPeakRss } from './train';

test('the majority-class ACC is printed beside the ACC, and says so when the ACC does not beat it', () => {
  const sims = { Mult_acc_2: 0.6211, Majority_acc_2: 0.8594, Mult_acc_3: 0.3633, MAE: 0.4281, Corr: 0.4154 };
  assert.equal(
    formatMetrics(sims),
    'Mult_acc_2=0.6211 (majority class 0.8594; no better than always predicting it)  Mult_acc_3=0.3633  MAE=0.4281  Corr=0.4154',
  );
  assert.equal(metricSetLabel(sims), 'SIMS metrics');
  const mosi = { Has0_acc_2: 0.75, Majority_acc_2: 0.55, Has0_F1_score: 0.7, MAE: 0.9, Corr: 0.5 };
  assert.equal(formatMetrics(mosi), 'Has0_acc_2=0.7500 (majority class 0.5500)  Has0_F1_score=0.7000  MAE=0.9000  Corr=0.5000');
  assert.equal(metricSetLabel(mosi), 'MOSI/MOSEI metrics');
  // An equal ACC (as printed) is no better either; validation records have no majority and print as they are.
  assert.match(formatMetrics({ Has0_acc_2: 0.55001, Majority_acc_2: 0.55 }), /0\.5500 \(majority class 0\.5500; no better/);
  assert.equal(formatMetrics({ Has0_acc_2: 0.5, Mult_acc_7: 0.2 }), 'Has0_acc_2=0.5000  Mult_acc_7=0.2000');
});

test('--set pairs', () => {
  assert.deepEqual(parseSetPairs(['a=1', ' b = x=y ']), { a: '1', b: 'x=y' });
  assert.throws(() => parseSetPairs(['novalue']), /bad --set "novalue": expected key=value/);
});

test('midg train --json reports the target test predictions behind its metrics, and its peak RSS', async () => {
  const run = await execa(
    process.execPath,
    [MIDG_BIN, 'train', '--source', 'synth:mosi:tiny', '--target', 'synth:sims:tiny', '--set', 'epochs=1', '--set', 'maxTrainSamples=64', '--json'],
    { reject: false },
  );
  assert.equal(run.exitCode, 0, run.stderr);
  const result: TrainResult = JSON.parse(run.stdout);
  const { predictions, labels } = result.testPredictions!;
  assert.equal(predictions.length, 256, 'every sample of the tiny SIMS test split');
  assert.equal(labels.length, predictions.length);
  // The stored values give back the reported metrics exactly (they are the float32 values, written shortest).
  assert.deepEqual(withMajority('sims', evalRegression('sims', predictions, labels), labels), result.test);
  assert.ok(labels.every((label) => label >= -1 && label <= 1 && String(label).length <= 12), 'labels on the native scale, written short');
  assert.ok(result.peakRssBytes! > 50 * 2 ** 20 && result.peakRssBytes! < 64 * 2 ** 30, `peak RSS ${result.peakRssBytes}`);
  assert.equal(result.peakRssMb! * 2 ** 20, result.peakRssBytes);
});

test('the peak RSS is maxRSS (KiB) in bytes and MiB', () => {
  const result = withPeakRss(makeResult(makeSpec(), {}, {}, {}), 300_000);
  assert.deepEqual([result.peakRssBytes, result.peakRssMb], [307_200_000, 300_000 / 1024]);
});
