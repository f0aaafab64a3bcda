import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SqlResult } from '../records';

// better-sqlite3 ships no types (and @types/better-sqlite3 is not installed); these are the few calls used here.
interface Statement {
  readonly reader: boolean;
  columns(): { name: string }[];
  raw(toggle: boolean): Statement;
  all(): unknown[][];
}
interface Connection {
  prepare(sql: string): Statement;
  close(): void;
}
type ConnectionConstructor = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => Connection;

const Database = createRequire(import.meta.url)('better-sqlite3') as ConnectionConstructor;

/** Runs one statement that only reads, on a connection opened read-only; anything that could write is refused. */
export function runReadOnlySql(file: string, sql: string): SqlResult {
  if (!existsSync(file)) throw new Error(`results database ${file} does not exist`);
  const connection = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let statement: Statement;
    try {
      statement = connection.prepare(sql);
    } catch (error) {
      throw new Error(`--sql: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!statement.reader) throw new Error('--sql runs statements that return rows only (SELECT, WITH ... SELECT); this one would not');
    return { columns: statement.columns().map((column) => column.name), rows: statement.raw(true).all() };
  } finally {
    connection.close();
  }
}
