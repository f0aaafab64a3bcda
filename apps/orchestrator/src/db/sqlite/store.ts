import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import type { SqlResult } from '../records';
import type { OpenOptions } from '../store';
import { entitiesFor, type Entities } from '../typeorm/entities';
import { TypeormStore } from '../typeorm/store';
import type { Tx } from '../typeorm/writer';
import { SQLITE_MIGRATIONS } from './migrations';
import { runReadOnlySql } from './sql';

/** How long a writer waits for another process's write transaction before giving up. */
const BUSY_TIMEOUT_MS = 60_000;

/**
 * The results store in one SQLite file.
 *
 * Several processes may write the same file at once. WAL lets readers run beside the writer; every write is one
 * `BEGIN IMMEDIATE` transaction, which takes the write lock up front (waiting up to the busy timeout) so that no
 * transaction ever has to upgrade a read lock, the case in which SQLite fails with "database is locked" at once.
 * The file must be on a local disk: SQLite's locks do not hold on network filesystems (use PostgreSQL there).
 */
export class SqliteStore extends TypeormStore {
  /** Chains this process's write transactions: the connection is shared, so they must not interleave. */
  private writes: Promise<unknown> = Promise.resolve();

  /** Opens (creating directories and the file, and running pending migrations) or, with readonly, opens an existing file. */
  static async open(file: string, options: OpenOptions = {}): Promise<SqliteStore> {
    const path = resolve(file);
    const readonly = options.readonly ?? false;
    if (readonly && !existsSync(path)) throw new Error(`results database ${file} does not exist`);
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    const entities = entitiesFor('sqlite');
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: path,
      entities: entities.all,
      migrations: SQLITE_MIGRATIONS,
      // Migrations run below under our own lock: TypeORM's migrationsRun checks and creates its tables outside any
      // write lock, which races when several workers open a fresh file at once.
      migrationsRun: false,
      synchronize: false,
      enableWAL: !readonly,
      timeout: BUSY_TIMEOUT_MS,
      readonly,
      fileMustExist: readonly,
      logging: false,
    });
    await dataSource.initialize();
    // In WAL mode NORMAL cannot corrupt the file; a power cut may only lose the last commits (those runs are redone).
    if (!readonly) await dataSource.query('PRAGMA synchronous = NORMAL');
    const store = new SqliteStore(dataSource, entities, path, readonly);
    try {
      if (readonly) await store.checkSchemaIsCurrent();
      else await store.transaction(() => dataSource.runMigrations({ transaction: 'none' }));
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    return store;
  }

  private constructor(dataSource: DataSource, entities: Entities, path: string, readonly: boolean) {
    super(dataSource, entities, path, readonly);
  }

  protected transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.dataSource.query('BEGIN IMMEDIATE');
      try {
        const result = await body({ manager: this.dataSource.manager, entities: this.entities });
        await this.dataSource.query('COMMIT');
        return result;
      } catch (error) {
        // The original error is the one worth reporting; a failed rollback (SQLite may have rolled back already) is not.
        await this.dataSource.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };
    const result = this.writes.then(run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  override async close(): Promise<void> {
    await this.writes;
    await super.close();
  }

  async appliedMigrations(): Promise<string[]> {
    const rows = (await this.dataSource.query('SELECT "name" FROM "migrations" ORDER BY "id"')) as { name: string }[];
    return rows.map((row) => row.name);
  }

  async sql(statement: string): Promise<SqlResult> {
    return runReadOnlySql(this.location, statement);
  }

  private async checkSchemaIsCurrent(): Promise<void> {
    const hasTable = (await this.dataSource.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`)) as unknown[];
    if (hasTable.length === 0) throw new Error(`${this.location} is not a midg results database (it has no migrations table)`);
    const applied = new Set(await this.appliedMigrations());
    const missing = SQLITE_MIGRATIONS.map((migration) => new migration().name).filter((name) => !applied.has(name));
    if (missing.length > 0) {
      throw new Error(`results database ${this.location} has an older schema (missing ${missing.join(', ')}); upgrade it with: midg db migrate --db ${this.location}`);
    }
  }
}
