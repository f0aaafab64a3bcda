import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cachedMmsaContents, cachedSyntheticDomain, defaultDataCache, selectModalities, syntheticGeneratorFingerprint, type DataCacheOptions } from './cache';
import { DataError, SPLITS, type Dataset } from './dataset';
import { loadMmsa, mmsaDataset, writeMmsa } from './mmsa';
import { tinyDataset } from './pickle/testing';
import { resolveDataset } from './resolve';
import { generateSyntheticDomain } from './synthetic';

const root = mkdtempSync(join(tmpdir(), 'midg-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

/** A fresh cache directory and a fresh data directory. */
function fresh(): { cache: DataCacheOptions; data: string } {
  const base = join(root, `case-${++cases}`);
  mkdirSync(join(base, 'data'), { recursive: true });
  return { cache: { dir: join(base, 'cache') }, data: join(base, 'data') };
}

/** Writes `dataset` as an MMSA pickle whose mtime lies `ageSeconds` in the past (a file old enough to be cached). */
function writeAged(dataset: Dataset, path: string, ageSeconds = 60): void {
  writeMmsa(dataset, path);
  const then = new Date(Date.now() - ageSeconds * 1000);
  utimesSync(path, then, then);
}

const cacheFiles = (cache: DataCacheOptions): string[] => readdirSync(cache.dir).sort();

/** Everything a model reads of a dataset, as plain arrays (typed-array views and copies compare alike). */
function plain(dataset: Dataset): unknown {
  const splits = Object.fromEntries(
    SPLITS.map((name) => {
      const split = dataset.splits[name];
      const features = Object.fromEntries(
        Object.entries(split.features).map(([m, tensor]) => [m, { shape: [...tensor.shape], data: [...tensor.data], lengths: [...tensor.lengths] }]),
      );
      return [name, { size: split.size, ids: split.ids, rawText: split.rawText, labels: [...split.labels], features }];
    }),
  );
  return { ...dataset, splits };
}

test('an MMSA file is parsed once: the second load is a hit with the same dataset as a direct load', () => {
  const { cache, data } = fresh();
  const path = join(data, 'mosi.pkl');
  writeAged(tinyDataset(), path);
  const first = cachedMmsaContents(path, cache);
  const second = cachedMmsaContents(path, cache);
  assert.deepEqual([first.status, second.status], ['stored', 'hit']);
  assert.equal(cacheFiles(cache).length, 1);
  assert.ok(second.contents.splits.train.features.t!.data instanceof Float32Array);
  assert.ok(second.contents.splits.train.features.a!.lengths instanceof Int32Array);
  assert.deepEqual(plain(mmsaDataset(second.contents, path)), plain(loadMmsa(path)));
  assert.deepEqual(plain(mmsaDataset(second.contents, path, { modalities: ['v', 't'] })), plain(loadMmsa(path, { modalities: ['t', 'v'] })));
});

test('changing the file is a miss: the new contents are read, not the cached ones', () => {
  const { cache, data } = fresh();
  const path = join(data, 'mosi.pkl');
  const original = tinyDataset();
  writeAged(original, path, 120);
  const size = statSync(path).size;
  assert.equal(cachedMmsaContents(path, cache).status, 'stored');
  // Same size, same shapes: only the labels differ, and the mtime.
  const changed = tinyDataset();
  changed.splits.test.labels = changed.splits.test.labels.map((label) => -label);
  writeAged(changed, path, 60);
  assert.equal(statSync(path).size, size, 'the size alone does not tell the change');
  const reread = cachedMmsaContents(path, cache);
  assert.equal(reread.status, 'stored');
  assert.deepEqual([...reread.contents.splits.test.labels], [...changed.splits.test.labels]);
  assert.notDeepEqual([...reread.contents.splits.test.labels], [...original.splits.test.labels]);
  assert.equal(cachedMmsaContents(path, cache).status, 'hit');
});

test('a file written in the last two seconds is read but not cached (its mtime may not change on the next write)', () => {
  const { cache, data } = fresh();
  const path = join(data, 'fresh.pkl');
  writeMmsa(tinyDataset(), path);
  assert.equal(cachedMmsaContents(path, cache).status, 'uncached');
  assert.equal(cachedMmsaContents(path, cache).status, 'uncached');
});

test('an entry that does not decode (truncated, overwritten) is a miss and is replaced; no temporary file stays', () => {
  const { cache, data } = fresh();
  const path = join(data, 'mosi.pkl');
  writeAged(tinyDataset(), path);
  cachedMmsaContents(path, cache);
  const [entry] = cacheFiles(cache);
  const whole = readFileSync(join(cache.dir, entry!));
  truncateSync(join(cache.dir, entry!), whole.length - 8);
  const afterTruncation = cachedMmsaContents(path, cache);
  assert.equal(afterTruncation.status, 'stored');
  assert.deepEqual(plain(mmsaDataset(afterTruncation.contents, path)), plain(loadMmsa(path)));
  writeFileSync(join(cache.dir, entry!), 'not a cache entry');
  assert.equal(cachedMmsaContents(path, cache).status, 'stored');
  assert.deepEqual(readFileSync(join(cache.dir, entry!)), whole);
  assert.deepEqual(cacheFiles(cache), [entry]);
});

test('a modality the file cannot give fails only a load that asks for it, cached or not', () => {
  const { cache, data } = fresh();
  const dataset = tinyDataset();
  const path = join(data, 'no-vision.pkl');
  writeAged(selectModalities(dataset, ['t', 'a']), path);
  for (const status of ['stored', 'hit']) {
    const found = cachedMmsaContents(path, cache);
    assert.equal(found.status, status);
    assert.deepEqual(mmsaDataset(found.contents, path).modalities, ['t', 'a']);
    assert.throws(
      () => mmsaDataset(found.contents, path, { modalities: ['a', 'v'] }),
      (error: unknown) => error instanceof DataError && /split train has no 'vision'/.test(error.message),
    );
  }
  assert.throws(() => loadMmsa(path, { modalities: ['v'] }), /split train has no 'vision'/);
});

test('a synthetic domain is generated once per generator version and seed', () => {
  const { cache } = fresh();
  const key = { domain: 'sims', preset: 'tiny', seed: 3 } as const;
  const first = cachedSyntheticDomain(key, cache, 'generator-v1');
  const second = cachedSyntheticDomain(key, cache, 'generator-v1');
  assert.deepEqual([first.status, second.status], ['stored', 'hit']);
  assert.deepEqual(plain(second.dataset), plain(generateSyntheticDomain('sims', { preset: 'tiny', seed: 3 })));
  assert.equal(cachedSyntheticDomain(key, cache, 'generator-v2').status, 'stored', 'a changed generator is a miss');
  assert.equal(cachedSyntheticDomain({ ...key, seed: 4 }, cache, 'generator-v2').status, 'stored', 'another seed is a miss');
  assert.equal(cachedSyntheticDomain(key, cache, null).status, 'uncached', 'no generator sources on disk: no cache');
});

test("the generator fingerprint changes with any of the generator's source files, not with its tests", () => {
  const copy = join(root, 'synthetic-copy');
  cpSync(fileURLToPath(new URL('./synthetic/', import.meta.url)), copy, { recursive: true });
  const before = syntheticGeneratorFingerprint(copy);
  assert.match(before ?? '', /^[0-9a-f]{24}$/);
  writeFileSync(join(copy, 'extra.test.ts'), '// a test file\n');
  assert.equal(syntheticGeneratorFingerprint(copy), before);
  const generator = join(copy, 'generator.ts');
  writeFileSync(generator, `${readFileSync(generator, 'utf8')}\n// changed\n`);
  assert.notEqual(syntheticGeneratorFingerprint(copy), before);
  assert.equal(syntheticGeneratorFingerprint(join(root, 'no-such-dir')), null);
});

test('resolveDataset through the cache gives what it gives without it, modality subsets included', () => {
  const { cache, data } = fresh();
  const path = join(data, 'mosi.pkl');
  writeAged(tinyDataset(), path);
  for (const name of ['synth:mosei:tiny', `mmsa:${path}`]) {
    for (const modalities of [undefined, ['a', 't'] as const]) {
      const options = modalities ? { modalities: [...modalities] } : {};
      const uncached = resolveDataset(name, { ...options, dataCache: false, warn: () => undefined });
      for (let load = 0; load < 2; load++) {
        assert.deepEqual(plain(resolveDataset(name, { ...options, dataCache: cache, warn: () => undefined })), plain(uncached), `${name} load ${load}`);
      }
    }
  }
  assert.equal(cacheFiles(cache).length, 2, 'one entry per source, whatever modalities are asked for');
});

test('the cache stays under its size bound by dropping the least recently used entries', () => {
  const { cache, data } = fresh();
  const paths = [0, 1, 2, 3, 4].map((index) => join(data, `file-${index}.pkl`));
  paths.forEach((path) => writeAged(tinyDataset(), path));
  cachedMmsaContents(paths[0]!, cache);
  const [first] = cacheFiles(cache);
  const entryBytes = statSync(join(cache.dir, first!)).size;
  const old = new Date(Date.now() - 10_000);
  utimesSync(join(cache.dir, first!), old, old);
  const bounded = { ...cache, maxBytes: Math.floor(entryBytes * 4.5) };
  for (const path of paths.slice(1)) assert.equal(cachedMmsaContents(path, bounded).status, 'stored');
  assert.equal(cacheFiles(cache).length, 4);
  assert.ok(!cacheFiles(cache).includes(first!), 'the least recently used entry went');
  assert.equal(cachedMmsaContents(paths[0]!, { ...cache, maxBytes: entryBytes * 2 }).status, 'uncached', 'an entry over a quarter of the bound is not kept');
});

test('the cache directory: MIDG_DATA_CACHE, off, else the XDG cache', () => {
  assert.deepEqual(defaultDataCache({ MIDG_DATA_CACHE: '/x/y' }), { dir: '/x/y' });
  assert.equal(defaultDataCache({ MIDG_DATA_CACHE: 'off' }), undefined);
  assert.deepEqual(defaultDataCache({ XDG_CACHE_HOME: '/c' }), { dir: '/c/midg/datasets' });
});
