import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { DataSourceOptions } from 'typeorm';

import type { AppConfig } from '../config/app-config';

// Compiled: dist/src/database → dist/migrations; under ts-node/jest: src/database → migrations.
const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');
const ENTITIES_GLOB = join(__dirname, '..', '**', '*.entity.{ts,js}');

/**
 * How long a statement waits for SQLite's write lock. Within one process the connection gate means it never
 * waits (see sqlite-connection-gate.ts); this covers another process on the same file, such as the CLI.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * The one TypeORM options builder, shared by the app (DatabaseModule) and the TypeORM CLI (data-source.ts).
 * `synchronize` is never on: the schema changes only through committed migrations.
 */
export function buildTypeOrmOptions(config: AppConfig): DataSourceOptions {
  const database = config.database;
  const common = {
    entities: [ENTITIES_GLOB],
    migrations: [MIGRATIONS_GLOB],
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
      database: database.path,
      // WAL lets readers run beside the single writer; a busy statement waits for the write lock instead of
      // failing. TypeORM's sqlite driver turns foreign keys on by itself.
      enableWAL: true,
      busyTimeout: SQLITE_BUSY_TIMEOUT_MS,
    };
  }
  return { ...common, type: 'postgres', url: database.url, extra: { max: 10 } };
}
