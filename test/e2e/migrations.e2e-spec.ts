import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { DataSource, QueryFailedError } from 'typeorm';

import { loadConfig } from '../../src/config/load-config';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';
import { makeTempDirectory } from '../utils/test-app';

const MIGRATION_FILES = readdirSync(join(__dirname, '..', '..', 'migrations')).filter((file) =>
  /^\d{13}-[A-Za-z0-9]+\.ts$/.test(file),
);

// PostgreSQL runs when a throwaway server is given (see README "Running on PostgreSQL").
const postgresUrl = process.env.TEST_POSTGRES_URL;
const databases: [string, string][] = [
  ['SQLite', `sqlite:${join(makeTempDirectory(), 'migrations.sqlite')}`],
];
if (postgresUrl) {
  databases.push(['PostgreSQL', postgresUrl]);
} else {
  process.stdout.write('migrations: PostgreSQL half skipped (set TEST_POSTGRES_URL to run it)\n');
}

describe.each(databases)('migrations on %s', (_name, databaseUrl) => {
  let dataSource: DataSource;

  beforeAll(async () => {
    const config = loadConfig({ DATABASE_URL: databaseUrl, DB_MIGRATIONS_RUN: 'false' });
    dataSource = new DataSource(buildTypeOrmOptions(config));
    await dataSource.initialize();
    // Start from an empty schema, whatever an earlier run left behind.
    await dataSource.dropDatabase();
  });

  afterAll(async () => {
    await dataSource.destroy();
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

  if (databaseUrl.startsWith('sqlite:')) {
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
