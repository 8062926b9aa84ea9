import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { SqliteConnectionOptions } from 'typeorm/driver/sqlite/SqliteConnectionOptions';

import { AppConfig } from '../config/app-config';
import { buildTypeOrmOptions, SQLITE_BUSY_TIMEOUT_MS } from './typeorm-options';

const SQLITE_BUSY_RETRIES = 5;
const SQLITE_BUSY_BACKOFF_MS = 20;

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown }; code?: unknown } | undefined)?.driverError?.code;
  return code === 'SQLITE_BUSY' || (error as { code?: unknown } | undefined)?.code === 'SQLITE_BUSY';
}

/**
 * Runs work in one database transaction. Every multi-statement write goes through here, never through
 * `manager.transaction()` directly, because of SQLite:
 *
 * TypeORM's sqlite driver has exactly one connection. A transaction opened on it also captures every
 * statement other requests run meanwhile (they are rolled back with it), and a second concurrent BEGIN fails
 * with "cannot start a transaction within a transaction". So on SQLite transactions run on a second,
 * dedicated connection to the same file, one at a time (an in-process queue). Statements on the main
 * connection stay autocommit and simply wait for the write lock (busy_timeout). In WAL mode a deferred
 * transaction that read before writing can still get SQLITE_BUSY without waiting when another connection
 * wrote first; the whole transaction is then retried (it was rolled back, so `work` runs again from the start
 * and must not have side effects outside the database).
 *
 * On PostgreSQL this is the pool's ordinary transaction.
 */
@Injectable()
export class Transactions implements OnApplicationShutdown {
  private sqliteConnection: Promise<DataSource> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  get isSqlite(): boolean {
    return this.config.database.kind === 'sqlite';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) {
      return this.dataSource.transaction(work);
    }
    const result = this.queue.then(() => this.runOnSqlite(work));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runOnSqlite<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const connection = await this.sqlite();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await connection.transaction(work);
      } catch (error) {
        if (!isSqliteBusy(error) || attempt >= SQLITE_BUSY_RETRIES) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, SQLITE_BUSY_BACKOFF_MS * (attempt + 1)));
      }
    }
  }

  private sqlite(): Promise<DataSource> {
    const options = buildTypeOrmOptions(this.config) as SqliteConnectionOptions;
    this.sqliteConnection ??= new DataSource({
      ...options,
      migrationsRun: false,
      name: 'transactions',
      // Inside a transaction a statement-level retry cannot help (the snapshot is stale): wait in SQLite for
      // the main connection's short autocommit writes, and retry the whole transaction on SQLITE_BUSY.
      busyTimeout: SQLITE_BUSY_TIMEOUT_MS,
      busyErrorRetry: undefined,
    }).initialize();
    return this.sqliteConnection;
  }

  async onApplicationShutdown(): Promise<void> {
    const connection = await this.sqliteConnection?.catch(() => undefined);
    await this.queue;
    if (connection?.isInitialized) {
      await connection.destroy();
    }
  }
}
