import { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import type { SqlResult } from '../records';
import type { OpenOptions } from '../store';
import { entitiesFor, type Entities } from '../typeorm/entities';
import { TypeormStore } from '../typeorm/store';
import type { Tx } from '../typeorm/writer';
import { POSTGRES_MIGRATIONS } from './migrations';

const CONNECT_TIMEOUT_MS = 10_000;
/** Connections per process: a sweep writes one transaction at a time, readers read a few queries at once. */
const POOL_SIZE = 4;
/** pg_advisory_lock key under which one process at a time migrates a database ("midg" in ASCII). */
const MIGRATION_LOCK = 0x6d696467;
/** Transactions that lost a serialization or deadlock race are retried this many times. */
const RETRIES = 5;
const RETRYABLE = new Set(['40001', '40P01']);

/** True for the `postgres://` and `postgresql://` URLs `--db` accepts for PostgreSQL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL fit to print: its password replaced by `***`. */
export function redactUrl(location: string): string {
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return location.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

function parseUrl(location: string): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new Error(`bad database URL ${redactUrl(location)}: expected postgresql://[user[:password]@]host[:port]/database`);
  }
  if (!url.hostname || url.pathname.length <= 1) {
    throw new Error(`bad database URL ${redactUrl(location)}: expected postgresql://[user[:password]@]host[:port]/database`);
  }
  return url;
}

function describeConnectError(error: unknown, where: string): Error {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '3D000') return new Error(`cannot open ${where}: ${message}; create it first (createdb, or CREATE DATABASE)`);
  return new Error(`cannot connect to ${where}: ${message || code || String(error)}`);
}

/**
 * The results store in a PostgreSQL database, for sweeps whose runs write from many hosts (a cluster) or that several
 * people share. Write transactions run at READ COMMITTED; rows that a transaction decides on are locked first
 * (SELECT ... FOR UPDATE, in id order), which is what makes claims and sweep ownership exclusive.
 */
export class PostgresStore extends TypeormStore {
  static async open(location: string, options: OpenOptions = {}): Promise<PostgresStore> {
    const url = parseUrl(location);
    const shown = redactUrl(location);
    const readonly = options.readonly ?? false;
    const entities = entitiesFor('postgres');
    const dataSource = new DataSource({
      type: 'postgres',
      url: url.toString(),
      entities: entities.all,
      migrations: POSTGRES_MIGRATIONS,
      migrationsRun: false,
      synchronize: false,
      logging: false,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      applicationName: 'midg',
      poolSize: POOL_SIZE,
      installExtensions: false,
      // A reader's connections cannot write, whatever it runs (including `midg query --sql`).
      ...(readonly ? { extra: { options: '-c default_transaction_read_only=on' } } : {}),
    });
    try {
      await dataSource.initialize();
    } catch (error) {
      throw describeConnectError(error, shown);
    }
    const store = new PostgresStore(dataSource, entities, shown, readonly);
    try {
      if (readonly) await store.checkSchemaIsCurrent();
      else await store.migrate();
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    return store;
  }

  private constructor(dataSource: DataSource, entities: Entities, location: string, readonly: boolean) {
    super(dataSource, entities, location, readonly);
  }

  /** Runs pending migrations while holding an advisory lock, so that processes opening a fresh database at once take turns. */
  private async migrate(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await this.dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  private async checkSchemaIsCurrent(): Promise<void> {
    const [{ present }] = (await this.dataSource.query(`SELECT to_regclass('migrations') IS NOT NULL AS "present"`)) as { present: boolean }[];
    if (!present) throw new Error(`${this.location} is not a midg results database (it has no migrations table)`);
    const applied = new Set(await this.appliedMigrations());
    const missing = POSTGRES_MIGRATIONS.map((migration) => new migration().name).filter((name) => !applied.has(name));
    if (missing.length > 0) {
      throw new Error(`results database ${this.location} has an older schema (missing ${missing.join(', ')}); upgrade it with: midg db migrate --db ${this.location}`);
    }
  }

  protected async transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction((manager) => body({ manager, entities: this.entities }));
      } catch (error) {
        const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
        if (attempt >= RETRIES || !code || !RETRYABLE.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
      }
    }
  }

  async appliedMigrations(): Promise<string[]> {
    const rows = (await this.dataSource.query('SELECT "name" FROM "migrations" ORDER BY "id"')) as { name: string }[];
    return rows.map((row) => row.name);
  }

  /** One statement in a READ ONLY transaction that is rolled back; several statements are refused by the protocol. */
  async sql(statement: string): Promise<SqlResult> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await client.query('BEGIN READ ONLY');
      let result;
      try {
        // The extended protocol takes exactly one statement.
        result = await client.query({ text: statement, rowMode: 'array', queryMode: 'extended' } as unknown as string);
      } catch (error) {
        throw new Error(`--sql: ${(error as Error).message}`);
      }
      const { fields, rows } = result as unknown as { fields: { name: string }[] | undefined; rows: unknown[][] };
      if (!fields || fields.length === 0) throw new Error('--sql runs statements that return rows only (SELECT, WITH ... SELECT); this one would not');
      return { columns: fields.map((field) => field.name), rows };
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }
}
