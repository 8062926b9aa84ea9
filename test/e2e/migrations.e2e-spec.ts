import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { DataSource, QueryFailedError } from 'typeorm';

import { loadConfig } from '../../src/config/load-config';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../scripts/lib/throwaway-database';
import { makeTempDirectory } from '../utils/test-app';
import { ON_POSTGRES, reportPostgresHalfSkipped, TEST_POSTGRES_URL } from '../utils/test-database';

const MIGRATION_FILES = readdirSync(join(__dirname, '..', '..', 'src', 'database', 'migrations')).filter(
  (file) => /^\d{13}-[A-Za-z0-9]+\.ts$/.test(file),
);

// In npm test's PostgreSQL run only PostgreSQL; otherwise SQLite, and PostgreSQL too when a throwaway server is
// given (see README "Running on PostgreSQL"). Each on a fresh, empty database.
const databases: ['SQLite' | 'PostgreSQL', string | undefined][] = ON_POSTGRES
  ? [['PostgreSQL', TEST_POSTGRES_URL]]
  : [['SQLite', undefined]];
if (ON_POSTGRES) {
  process.stdout.write(
    'migrations on SQLite: skipped in the PostgreSQL run (SQLite pragmas and driver mode are checked in the SQLite run)\n',
  );
} else if (TEST_POSTGRES_URL) {
  databases.push(['PostgreSQL', TEST_POSTGRES_URL]);
} else {
  reportPostgresHalfSkipped('migrations');
}

describe.each(databases)('migrations on %s', (name, postgresServerUrl) => {
  const directory = makeTempDirectory();
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createThrowawayDatabase(directory, postgresServerUrl);
    const config = loadConfig({ DATABASE_URL: database.url, DB_MIGRATIONS_RUN: 'false' });
    dataSource = new DataSource(buildTypeOrmOptions(config));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('applies every committed migration to an empty database', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied.map((migration) => migration.name).length).toBe(MIGRATION_FILES.length);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('leaves nothing for migration:generate to write (entities and migrations agree)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reverts every migration back to an empty schema and re-applies them', async () => {
    for (let index = 0; index < MIGRATION_FILES.length; index += 1) {
      await dataSource.undoLastMigration();
    }
    expect(await dataSource.showMigrations()).toBe(MIGRATION_FILES.length > 0);
    await dataSource.runMigrations();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });

  if (name === 'SQLite') {
    it('opens SQLite with WAL, a busy wait for other processes, and foreign keys on', async () => {
      const [journal] = await dataSource.query<{ journal_mode: string }[]>('PRAGMA journal_mode');
      const [foreignKeys] = await dataSource.query<{ foreign_keys: number }[]>('PRAGMA foreign_keys');
      const [busy] = await dataSource.query<Record<string, number>[]>('PRAGMA busy_timeout');
      expect(journal?.journal_mode).toBe('wal');
      expect(foreignKeys?.foreign_keys).toBe(1);
      // Another process on the same file (the CLI) waits for the write lock rather than failing at once.
      expect(Object.values(busy ?? {})[0]).toBe(5000);
    });

    it('keeps node-sqlite3 out of verbose mode: SQL parameters are not copied into error text', async () => {
      const error = await dataSource
        .query('SELECT * FROM no_such_table WHERE id = ?', ['parameter-marker'])
        .catch((caught: unknown) => caught as QueryFailedError<Error>);
      expect(error).toBeInstanceOf(QueryFailedError);
      // Verbose mode appends "--> in Database#all('SELECT …', [ 'parameter-marker' ])" to the driver's stack.
      expect(error.driverError.message).toContain('no such table');
      expect(error.driverError.stack).not.toContain('parameter-marker');
      expect(error.driverError.stack).not.toContain('--> in Database#');
    });
  }
});
