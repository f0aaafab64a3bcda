import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresTestUrl } from './services';

/** The URL of a database named name on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(postgresTestUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresTestUrl() });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A new empty database on the test server; drop() removes it (and ends any connection still open to it). */
export async function freshDatabase(prefix = 'midg_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return { url: databaseUrl(name), name, drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))) };
}
