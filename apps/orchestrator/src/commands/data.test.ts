import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { SPLITS, generateSyntheticDomain, loadMmsa, writeMmsa } from '@midg/features';
import { MIDG_BIN } from '../bin-path';

const dir = mkdtempSync(join(tmpdir(), 'midg-data-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, ...args], { reject: false, cwd: dir, env: { CI: '1' } });

test('midg data synth writes MMSA pickles that the loader reads back exactly', async () => {
  const out = join(dir, 'synth');
  const result = await midg('data', 'synth', '--preset', 'tiny', '--out', out, '--seed', '7');
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['mosei.pkl', 'mosi.pkl', 'sims.pkl']);
  for (const domain of ['mosi', 'sims'] as const) {
    const original = generateSyntheticDomain(domain, { preset: 'tiny', seed: 7 });
    const loaded = loadMmsa(join(out, `${domain}.pkl`));
    assert.equal(loaded.domain, domain);
    assert.deepEqual(loaded.dims, original.dims);
    for (const split of SPLITS) {
      assert.deepEqual(loaded.splits[split].labels, original.splits[split].labels, `${domain} ${split} labels`);
      assert.deepEqual(loaded.splits[split].features.t!.data, original.splits[split].features.t!.data, `${domain} ${split} text`);
      assert.deepEqual(loaded.splits[split].features.a!.lengths, original.splits[split].features.a!.lengths);
    }
  }
  const again = await midg('data', 'synth', '--preset', 'tiny', '--out', out);
  assert.equal(again.exitCode, 1);
  assert.match(again.stderr, /^midg: error: refusing to overwrite .*mosi\.pkl.*\(pass --force\)$/);
});

test('midg data inspect prints per-split counts, shapes, lengths and label stats', async () => {
  const result = await midg('data', 'inspect', 'synth:sims:tiny');
  assert.equal(result.exitCode, 0, result.stderr);
  const sims = generateSyntheticDomain('sims', { preset: 'tiny' });
  for (const split of SPLITS) assert.match(result.stdout, new RegExp(`${split}\\b[^\\n]*${sims.splits[split].size}`));
  assert.match(result.stdout, /label/i);
  assert.match(result.stdout, /nan/i);
});

test('a file whose labels all lie in [-1, 1] but declares no range: one warning line; declared through an alias, none', async () => {
  const dataset = generateSyntheticDomain('sims', { preset: 'tiny' });
  for (const split of SPLITS) dataset.splits[split].labels = dataset.splits[split].labels.map((y) => (y > 0.5 ? 1 : y < -0.75 ? -1 : 0));
  const file = join(dir, 'reviews.pkl');
  writeMmsa(dataset, file);
  const undeclared = await midg('data', 'inspect', `mmsa:${file}`);
  assert.equal(undeclared.exitCode, 0, undeclared.stderr);
  assert.equal(
    undeclared.stderr,
    `midg: warning: ${file}: every label lies in [-1, 1], but no label range was declared, so the labels are read on [-3, 3] and scored ` +
      `with the MOSI/MOSEI metrics; if [-1, 1] is their scale, declare it in the datasets config (datasets.yaml): mydata: { path: ${file}, ` +
      'labelRange: [-1, 1] } (see README "Your own data")',
  );
  assert.match(undeclared.stdout, /labels in \[-3, 3\], metrics mosi/);
  writeFileSync(join(dir, 'datasets.yaml'), 'reviews: { path: reviews.pkl, labelRange: [-1, 1] }\n');
  const declared = await midg('data', 'inspect', 'reviews');
  assert.equal(declared.exitCode, 0, declared.stderr);
  assert.equal(declared.stderr, '');
  assert.match(declared.stdout, /labels in \[-1, 1\], metrics sims/);
});

test('bad data input is one error line and exit code 1', async () => {
  const truncated = join(dir, 'truncated.pkl');
  writeFileSync(truncated, Buffer.from([0x80, 0x04, 0x95, 0x10]));
  const cases: [string[], RegExp][] = [
    [['data', 'inspect', 'mmsa:missing.pkl'], /missing\.pkl/],
    [['data', 'inspect', `mmsa:${truncated}`], /truncated\.pkl/],
    [['data', 'inspect', 'synth:imdb'], /unknown synthetic domain "imdb"/],
    [['data', 'inspect', 'nosuchalias'], /unknown dataset "nosuchalias"/],
    [['train', '--source', 'synth:mosi:tiny', '--set', 'alhpa=1'], /unknown key "alhpa"/],
    [['train', '--model', 'nosuchmodel', '--source', 'synth:mosi:tiny'], /unknown model "nosuchmodel"/],
  ];
  for (const [args, pattern] of cases) {
    const result = await midg(...args);
    assert.equal(result.exitCode, 1, args.join(' '));
    assert.match(result.stderr, pattern, args.join(' '));
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line for: ${args.join(' ')}\n${result.stderr}`);
  }
  assert.equal(existsSync(join(dir, 'results')), false, 'nothing half-written');
});
