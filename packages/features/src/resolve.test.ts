import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError, SPLITS } from './dataset';
import { writeMmsa } from './mmsa';
import { tinyDataset } from './pickle/testing';
import { loadDatasetsConfig, resolveDataset } from './resolve';
import { SYNTHETIC_DOMAINS } from './synthetic';

const dir = mkdtempSync(join(tmpdir(), 'midg-resolve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A text-only-style -1/0/+1 dataset (not SIMS) as an MMSA pickle, as in the issue. */
function threeClassFile(): string {
  const dataset = tinyDataset();
  for (const split of SPLITS) dataset.splits[split].labels = dataset.splits[split].labels.map((label) => Math.sign(label));
  const path = join(dir, 'reviews.pkl');
  writeMmsa(dataset, path);
  return path;
}

function config(text: string): string {
  const file = join(dir, `datasets-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

test('synthetic presets: mosi and mosei ([-3, 3]) get the MOSI/MOSEI metrics, sims ([-1, 1]) the SIMS ones', () => {
  const families = Object.fromEntries(SYNTHETIC_DOMAINS.map((domain) => [domain, resolveDataset(`synth:${domain}:tiny`).metricFamily]));
  assert.deepEqual(families, { mosi: 'mosi', mosei: 'mosi', sims: 'sims' });
});

test('a datasets entry: metrics declared, or defaulted from labelRange; domain only names the domain', () => {
  const path = threeClassFile();
  const file = config(
    [
      `plain: { path: ${path} }`,
      `ranged: { path: ${path}, labelRange: [-1, 1] }`,
      `ranged-mosi-domain: { path: ${path}, labelRange: [-1, 1], domain: mosi }`,
      `declared: { path: ${path}, metrics: sims, domain: reviews }`,
      `declared-mosi: { path: ${path}, labelRange: [-1, 1], metrics: mosi }`,
    ].join('\n'),
  );
  const warnings: string[] = [];
  const load = (name: string) => {
    const dataset = resolveDataset(name, { datasetsConfig: file, warn: (line) => warnings.push(line) });
    return { domain: dataset.domain, range: dataset.labelRange, metrics: dataset.metricFamily };
  };
  assert.deepEqual(load('ranged'), { domain: 'custom', range: [-1, 1], metrics: 'sims' });
  assert.deepEqual(load('ranged-mosi-domain'), { domain: 'mosi', range: [-1, 1], metrics: 'sims' });
  assert.deepEqual(load('declared'), { domain: 'reviews', range: [-1, 1], metrics: 'sims' });
  assert.deepEqual(load('declared-mosi'), { domain: 'custom', range: [-1, 1], metrics: 'mosi' });
  assert.equal(warnings.length, 0, 'declared entries load silently');
  assert.deepEqual(load('plain'), { domain: 'custom', range: [-3, 3], metrics: 'mosi' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /reviews\.pkl: every label lies in \[-1, 1\], but no label range was declared.*: plain: \{ path: .*, labelRange: \[-1, 1\] \}/);
  // mmsa:<path> is the same undeclared load.
  const direct = resolveDataset(`mmsa:${path}`, { warn: (line: string) => warnings.push(line) });
  assert.equal(direct.metricFamily, 'mosi');
  assert.equal(warnings.length, 2);
  assert.match(warnings[1]!, /mydata: \{ path: /);
});

test('a datasets entry with a bad metrics value or an unknown key is one error naming it', () => {
  const bad = (text: string, pattern: RegExp) =>
    assert.throws(() => loadDatasetsConfig(config(text)), (error: unknown) => error instanceof DataError && pattern.test(error.message));
  bad('x: { path: a.pkl, metrics: mosei }', /x\.metrics must be mosi \(the MOSI\/MOSEI metrics\) or sims \(the CH-SIMS metrics\), not "mosei"$/);
  bad('x: { path: a.pkl, metric: sims }', /x has unknown key "metric" \(known: path, domain, labelRange, metrics\)$/);
  bad('x: a.pkl', /x must be a mapping/);
  assert.deepEqual(loadDatasetsConfig(config('x: { path: /d/a.pkl, metrics: sims }')), { x: { path: '/d/a.pkl', metrics: 'sims' } });
});
