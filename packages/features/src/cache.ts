/**
 * The dataset cache: parsed datasets kept on disk in a form that is read back straight into Float32Array views, so a
 * worker pays for the MMSA pickle parse or the synthetic generation once, not once per run.
 *
 * One file per entry, `<label>-<key hash>.bin`: an 8-byte magic, the header's byte length (uint32 LE, then 4 bytes
 * of padding), the header as JSON (the key it was made for, the caller's metadata, and per split its size, ids, raw
 * texts and where each array lies), padding to 8 bytes, then the arrays (float32 features and labels, int32 lengths),
 * little-endian, each 8-byte aligned. Entries are written to a temporary name and renamed, so a reader sees a whole
 * entry or none; one that does not decode (truncated, another format) is a miss and is replaced.
 *
 * Keys: an MMSA file by its absolute path, size, mtime and inode; a synthetic domain by domain, preset, seed and a
 * hash of the generator's source files (a change to the generator is a miss). A file modified in the last two
 * seconds is not cached: a second write within the clock's granularity could leave size and mtime unchanged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, MODALITIES, SPLITS, type Dataset, type Modality, type ModalityTensor, type Split, type SplitName } from './dataset';
import { readMmsaContents, type MmsaContents } from './mmsa';
import { generateSyntheticDomain, type SyntheticDomain, type SyntheticPreset } from './synthetic';

/** The environment variable naming the cache directory; `off` turns the cache off. */
export const DATA_CACHE_ENV = 'MIDG_DATA_CACHE';
/** Bumped whenever the file layout changes: older entries are then misses. */
const CACHE_FORMAT = 1;
const MAGIC = Buffer.from('MIDGDS\x00\x01', 'latin1');
const PREFIX_BYTES = 16;
/** The cache's default size bound: past it, the least recently used entries go. */
export const DEFAULT_CACHE_MAX_BYTES = 4 * 2 ** 30;
/** A source modified this recently is not cached (see the module comment). */
const RACY_WINDOW_MS = 2000;
/** Temporary files older than this were left by a killed writer and are removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface DataCacheOptions {
  /** Where entries live. */
  dir: string;
  /** Size bound of the whole cache (default DEFAULT_CACHE_MAX_BYTES); an entry over a quarter of it is not kept. */
  maxBytes?: number;
}

/** How a lookup went: served from the cache, built and stored, or built without storing (off, racy source, too big, no write access). */
export type CacheStatus = 'hit' | 'stored' | 'uncached';

/**
 * The cache a process uses unless told otherwise: `$MIDG_DATA_CACHE` (a directory, or `off`), else
 * `$XDG_CACHE_HOME/midg/datasets`, else `~/.cache/midg/datasets`.
 */
export function defaultDataCache(env: NodeJS.ProcessEnv = process.env): DataCacheOptions | undefined {
  const configured = env[DATA_CACHE_ENV]?.trim();
  if (configured === 'off') return undefined;
  if (configured) return { dir: resolve(configured) };
  const base = env.XDG_CACHE_HOME?.trim() || (homedir() ? join(homedir(), '.cache') : '');
  return base ? { dir: join(base, 'midg', 'datasets') } : undefined;
}

// ---------------------------------------------------------------------------------------------- the file format

interface Block {
  /** Byte offset from the start of the data section. */
  offset: number;
  /** Number of 4-byte elements. */
  length: number;
}

interface StoredTensor {
  shape: [number, number, number];
  data: Block;
  lengths: Block;
}

interface StoredSplit {
  size: number;
  ids: string[];
  rawText?: string[];
  labels: Block;
  features: Partial<Record<Modality, StoredTensor>>;
}

interface Header {
  format: number;
  key: unknown;
  meta: unknown;
  splits: Record<SplitName, StoredSplit>;
}

const align8 = (bytes: number): number => Math.ceil(bytes / 8) * 8;

/** The header and the arrays in file order; nothing is copied. */
function layout(key: unknown, meta: unknown, splits: Record<SplitName, Split>): { header: Buffer; arrays: (Float32Array | Int32Array)[]; dataBytes: number } {
  const arrays: (Float32Array | Int32Array)[] = [];
  let offset = 0;
  const place = (array: Float32Array | Int32Array): Block => {
    const block = { offset, length: array.length };
    arrays.push(array);
    offset = align8(offset + array.byteLength);
    return block;
  };
  const stored = {} as Record<SplitName, StoredSplit>;
  for (const name of SPLITS) {
    const split = splits[name];
    const features: Partial<Record<Modality, StoredTensor>> = {};
    for (const m of MODALITIES) {
      const tensor = split.features[m];
      if (tensor) features[m] = { shape: [...tensor.shape], data: place(tensor.data), lengths: place(tensor.lengths) };
    }
    stored[name] = { size: split.size, ids: split.ids, ...(split.rawText ? { rawText: split.rawText } : {}), labels: place(split.labels), features };
  }
  const header: Header = { format: CACHE_FORMAT, key, meta, splits: stored };
  return { header: Buffer.from(JSON.stringify(header), 'utf8'), arrays, dataBytes: offset };
}

/** The splits an entry holds, as views into `bytes`; undefined when the bytes are not a whole entry for `key`. */
function decode(bytes: Buffer, key: unknown): { meta: unknown; splits: Record<SplitName, Split> } | undefined {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const headerBytes = bytes.readUInt32LE(MAGIC.length);
  const dataStart = align8(PREFIX_BYTES + headerBytes);
  if (dataStart > bytes.length) return undefined;
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes)) as Header;
  } catch {
    return undefined;
  }
  if (header.format !== CACHE_FORMAT || JSON.stringify(header.key) !== JSON.stringify(key)) return undefined;
  // Typed-array views need 4-byte aligned offsets; a buffer that starts unaligned is copied once.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
  const fits = (block: Block): boolean => block.offset % 4 === 0 && dataStart + block.offset + block.length * 4 <= aligned.length;
  const floats = (block: Block): Float32Array => new Float32Array(aligned.buffer, aligned.byteOffset + dataStart + block.offset, block.length);
  const ints = (block: Block): Int32Array => new Int32Array(aligned.buffer, aligned.byteOffset + dataStart + block.offset, block.length);
  const splits = {} as Record<SplitName, Split>;
  for (const name of SPLITS) {
    const stored = header.splits?.[name];
    if (!stored || !fits(stored.labels)) return undefined;
    const features: Partial<Record<Modality, ModalityTensor>> = {};
    for (const [m, tensor] of Object.entries(stored.features) as [Modality, StoredTensor][]) {
      if (!fits(tensor.data) || !fits(tensor.lengths)) return undefined;
      features[m] = { data: floats(tensor.data), shape: tensor.shape, lengths: ints(tensor.lengths) };
    }
    splits[name] = { size: stored.size, features, labels: floats(stored.labels), ids: stored.ids, ...(stored.rawText ? { rawText: stored.rawText } : {}) };
  }
  return { meta: header.meta, splits };
}

type Layout = ReturnType<typeof layout>;

const fileBytes = ({ header, dataBytes }: Layout): number => align8(PREFIX_BYTES + header.length) + dataBytes;

/** Writes an entry under a temporary name and renames it into place. */
function writeEntry(file: string, { header, arrays, dataBytes }: Layout): void {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const staging = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(staging, 'w');
  try {
    let position = 0;
    const put = (chunk: Uint8Array, at: number): void => {
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written, chunk.length - written, at + written);
      position = Math.max(position, at + chunk.length);
    };
    put(prefix, 0);
    put(header, PREFIX_BYTES);
    const dataStart = align8(PREFIX_BYTES + header.length);
    let offset = 0;
    for (const array of arrays) {
      put(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dataStart + offset);
      offset = align8(offset + array.byteLength);
    }
    // The last array's padding, so that the size check on reading holds for every block.
    if (position < dataStart + dataBytes) put(new Uint8Array(dataStart + dataBytes - position), position);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(staging, file);
  } catch (error) {
    rmSync(staging, { force: true });
    throw error;
  }
}

/** Drops the least recently used entries until the cache fits `maxBytes`, and temporary files a killed writer left. */
function prune(dir: string, maxBytes: number): void {
  const now = Date.now();
  const entries: { file: string; size: number; used: number }[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const stats = statSync(file, { throwIfNoEntry: false });
    if (!stats?.isFile()) continue;
    if (name.includes('.tmp-')) {
      if (now - stats.mtimeMs > STALE_TEMP_MS) rmSync(file, { force: true });
    } else if (name.endsWith('.bin')) {
      entries.push({ file, size: stats.size, used: stats.mtimeMs });
    }
  }
  let total = entries.reduce((sum, entry) => sum + entry.size, 0);
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    rmSync(entry.file, { force: true });
    total -= entry.size;
  }
}

/**
 * The cached splits for `key`, or the built ones (stored when `store` allows). Any cache failure (no write access, a
 * full disk) only costs the cache: the built value is returned.
 */
function lookup<M>(
  cache: DataCacheOptions | undefined,
  label: string,
  key: unknown,
  build: () => { meta: M; splits: Record<SplitName, Split> },
  store: () => boolean = () => true,
): { meta: M; splits: Record<SplitName, Split>; status: CacheStatus } {
  if (!cache || endianness() !== 'LE') return { ...build(), status: 'uncached' };
  const file = join(cache.dir, `${label.replace(/[^\w.-]+/g, '_')}-${createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 24)}.bin`);
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(file);
  } catch {
    bytes = undefined;
  }
  let found: ReturnType<typeof decode>;
  try {
    found = bytes ? decode(bytes, key) : undefined;
  } catch {
    // A header of another shape: a miss like any other entry that does not decode.
    found = undefined;
  }
  if (found) {
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // Only the eviction order suffers.
    }
    return { meta: found.meta as M, splits: found.splits, status: 'hit' };
  }
  const built = build();
  const maxBytes = cache.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!store()) return { ...built, status: 'uncached' };
  const entry = layout(key, built.meta, built.splits);
  if (fileBytes(entry) > maxBytes / 4) return { ...built, status: 'uncached' };
  try {
    mkdirSync(cache.dir, { recursive: true });
    writeEntry(file, entry);
    prune(cache.dir, maxBytes);
    return { ...built, status: 'stored' };
  } catch {
    return { ...built, status: 'uncached' };
  }
}

// ------------------------------------------------------------------------------------------------------ MMSA files

interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

function identify(path: string): FileIdentity {
  const stats = statSync(path);
  return { path: resolve(path), size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
}

/** An MMSA pickle's parsed contents (readMmsaContents), from the cache when the file is unchanged. */
export function cachedMmsaContents(path: string, cache: DataCacheOptions | undefined): { contents: MmsaContents; status: CacheStatus } {
  const before = statSync(path, { throwIfNoEntry: false });
  // A missing file, or a directory: the loader's own checks say so.
  if (!before?.isFile()) return { contents: readMmsaContents(path), status: 'uncached' };
  const key = { kind: 'mmsa', ...identify(path) };
  const stable = (): boolean => Date.now() - key.mtimeMs >= RACY_WINDOW_MS && JSON.stringify({ kind: 'mmsa', ...identify(path) }) === JSON.stringify(key);
  const label = `mmsa-${path.split(/[\\/]/).pop()!.replace(/\.pkl$/, '')}`;
  const found = lookup(
    cache,
    label,
    key,
    () => {
      const contents = readMmsaContents(path);
      return { meta: { modalities: contents.modalities, failures: contents.failures }, splits: contents.splits };
    },
    stable,
  );
  const meta = found.meta as Pick<MmsaContents, 'modalities' | 'failures'>;
  return { contents: { splits: found.splits, modalities: meta.modalities, failures: meta.failures }, status: found.status };
}

// ---------------------------------------------------------------------------------------------- synthetic domains

const SYNTHETIC_SOURCES = new URL('./synthetic/', import.meta.url);
let generatorFingerprint: string | null | undefined;

/**
 * A hash of the synthetic generator's source files (and of the Dataset types it fills), so that a change to the
 * generator is a cache miss; null when the sources are not on disk (a bundled build), which turns the synthetic cache off.
 */
export function syntheticGeneratorFingerprint(dir: string | URL = SYNTHETIC_SOURCES): string | null {
  try {
    const folder = typeof dir === 'string' ? dir : fileURLToPath(dir);
    const files = readdirSync(folder)
      .filter((name) => /\.(ts|js|mjs)$/.test(name) && !/\.test\./.test(name))
      .sort()
      .map((name) => join(folder, name));
    files.push(fileURLToPath(new URL('./dataset.ts', import.meta.url)));
    const hash = createHash('sha256');
    for (const file of files) hash.update(basename(file)).update('\0').update(readFileSync(file)).update('\0');
    return hash.digest('hex').slice(0, 24);
  } catch {
    return null;
  }
}

export interface SyntheticCacheKey {
  domain: SyntheticDomain;
  preset: SyntheticPreset;
  seed: number;
}

/**
 * A synthetic domain with every modality, from the cache when the generator is unchanged. `fingerprint` stands for
 * the generator's source hash (default: syntheticGeneratorFingerprint(), computed once per process).
 */
export function cachedSyntheticDomain(
  { domain, preset, seed }: SyntheticCacheKey,
  cache: DataCacheOptions | undefined,
  fingerprint: string | null = generatorFingerprint === undefined ? (generatorFingerprint = syntheticGeneratorFingerprint()) : generatorFingerprint,
): { dataset: Dataset; status: CacheStatus } {
  const generate = (): Dataset => generateSyntheticDomain(domain, { preset, seed });
  if (fingerprint === null) return { dataset: generate(), status: 'uncached' };
  const key = { kind: 'synthetic', domain, preset, seed, generator: fingerprint };
  const found = lookup(cache, `synth-${domain}-${preset}-${seed}`, key, () => {
    const { splits, ...meta } = generate();
    return { meta, splits };
  });
  return { dataset: { ...(found.meta as Omit<Dataset, 'splits'>), splits: found.splits }, status: found.status };
}

/** The dataset with only `modalities` (in t, a, v order), sharing its arrays. */
export function selectModalities(dataset: Dataset, modalities: readonly Modality[]): Dataset {
  const kept = MODALITIES.filter((m) => modalities.includes(m));
  const missing = modalities.filter((m) => !dataset.modalities.includes(m));
  if (kept.length === 0 || missing.length > 0) {
    throw new DataError(`bad modalities [${modalities.join(', ')}] for ${dataset.name}: use a non-empty subset of ${dataset.modalities.join(', ')}`);
  }
  const pick = <T>(record: Partial<Record<Modality, T>>): Partial<Record<Modality, T>> => Object.fromEntries(kept.map((m) => [m, record[m]!]));
  const splits = Object.fromEntries(SPLITS.map((name) => [name, { ...dataset.splits[name], features: pick(dataset.splits[name].features) }])) as Record<SplitName, Split>;
  return { ...dataset, dims: pick(dataset.dims), seqLens: pick(dataset.seqLens), modalities: kept, splits };
}
