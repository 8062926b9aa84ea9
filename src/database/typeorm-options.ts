import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import sqlite3 from 'sqlite3';
import type { DataSourceOptions } from 'typeorm';

import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

// Entities stay a glob: they live under src/, which every start path compiles or reads (dist/src/**/*.entity.js
// after `nest start` or `npm run build`, src/**/*.entity.ts under ts-node and Jest). Migrations are an explicit
// list (see migrations/index.ts for why).
const ENTITIES_GLOB = join(__dirname, '..', '**', '*.entity.{ts,js}');

/**
 * How long a statement waits for SQLite's write lock. Within one process the connection gate means it never
 * waits (see sqlite-connection-gate.ts); this covers another process on the same file, such as the CLI.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * node-sqlite3 as TypeORM gets it, minus verbose mode. TypeORM calls `verbose()`, which wraps every database
 * call to capture a stack trace and `util.inspect` its arguments (SQL parameters included) into the text of any
 * later error: about a fifth of the CPU under load, and stored values copied into error messages. Here
 * `verbose()` returns the plain module instead.
 */
const QUIET_SQLITE3: typeof sqlite3 = Object.create(sqlite3, {
  verbose: { value: () => sqlite3 },
}) as typeof sqlite3;

/**
 * The one TypeORM options builder, shared by the app (DatabaseModule) and the TypeORM CLI (data-source.ts).
 * `synchronize` is never on: the schema changes only through committed migrations.
 */
export function buildTypeOrmOptions(config: AppConfig): DataSourceOptions {
  const database = config.database;
  const common = {
    entities: [ENTITIES_GLOB],
    migrations: [...MIGRATIONS],
    migrationsRun: database.migrationsRun,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: database.logging,
  };
  if (database.kind === 'sqlite') {
    mkdirSync(dirname(database.path), { recursive: true });
    return {
      ...common,
      type: 'sqlite',
      driver: QUIET_SQLITE3,
      database: database.path,
      // WAL lets readers run beside the single writer; a busy statement waits for the write lock instead of
      // failing. TypeORM's sqlite driver turns foreign keys on by itself.
      enableWAL: true,
      busyTimeout: SQLITE_BUSY_TIMEOUT_MS,
    };
  }
  return { ...common, type: 'postgres', url: database.url, extra: { max: 10 } };
}
