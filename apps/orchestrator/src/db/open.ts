import { isPostgresUrl, PostgresStore } from './postgres/store';
import { SqliteStore } from './sqlite/store';
import type { OpenOptions, ResultsReader, ResultsStore } from './store';

/**
 * Opens the results store at location: a `postgresql://` URL (PostgreSQL) or a file path (SQLite). Opening for
 * writing creates what is missing and migrates the schema; opening read-only changes nothing and refuses a store
 * whose schema is older than this code.
 */
export function openStore(location: string, options: OpenOptions & { readonly: true }): Promise<ResultsReader>;
export function openStore(location: string, options?: OpenOptions): Promise<ResultsStore>;
export async function openStore(location: string, options: OpenOptions = {}): Promise<ResultsStore> {
  if (location.trim() === '') throw new Error('--db: expected a file path or a postgresql:// URL');
  if (isPostgresUrl(location)) return PostgresStore.open(location, options);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme) throw new Error(`--db ${location}: unsupported database URL scheme "${scheme}"; expected a file path or a postgresql:// URL`);
  return SqliteStore.open(location, options);
}
