import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createThrowawayDatabase, type ThrowawayDatabase } from '../../scripts/lib/throwaway-database';

/** The throwaway PostgreSQL server of the README (`scripts/pg-throwaway.sh start`), if one was given. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL;

/**
 * `npm test` runs the e2e tier twice; in its PostgreSQL run (TEST_DATABASE=postgres) every test app and
 * throwaway instance gets its own fresh database on TEST_POSTGRES_URL instead of a SQLite file.
 */
export const ON_POSTGRES = process.env.TEST_DATABASE === 'postgres';

if (ON_POSTGRES && !TEST_POSTGRES_URL) {
  throw new Error(
    'TEST_DATABASE=postgres needs TEST_POSTGRES_URL (scripts/pg-throwaway.sh start prints one)',
  );
}

/** A fresh database of the run's kind; a SQLite one lives in `directory`. */
export function freshTestDatabase(directory: string): Promise<ThrowawayDatabase> {
  return createThrowawayDatabase(directory, ON_POSTGRES ? TEST_POSTGRES_URL : undefined);
}

/** `describe`, or in the PostgreSQL run `describe.skip` after a line saying what was skipped and why. */
export function describeOnSqlite(what: string, why: string): jest.Describe {
  if (ON_POSTGRES) {
    process.stdout.write(`${what}: skipped in the PostgreSQL run (${why})\n`);
    return describe.skip;
  }
  return describe;
}

/** Prints that the PostgreSQL half of `what` is skipped, and why (no server given, or npm test's SQLite run). */
export function reportPostgresHalfSkipped(what: string): void {
  const why =
    process.env.TEST_DATABASE === 'sqlite'
      ? "runs in npm test's PostgreSQL run"
      : 'set TEST_POSTGRES_URL to run it';
  process.stdout.write(`${what}: PostgreSQL half skipped (${why})\n`);
}

/** `describe` when TEST_POSTGRES_URL is set, else `describe.skip` after a line saying what was skipped. */
export function describeOnPostgres(what: string): jest.Describe {
  if (!TEST_POSTGRES_URL) {
    reportPostgresHalfSkipped(what);
    return describe.skip;
  }
  return describe;
}

/** Databases of the folders made by makeDatabaseDirectory: every boot and CLI run on one folder shares it. */
const directoryDatabases = new Map<string, ThrowawayDatabase>();

/** A temp folder with its own fresh database, for tests that boot or spawn Tenantry on it several times. */
export async function makeDatabaseDirectory(prefix: string): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  directoryDatabases.set(directory, await freshTestDatabase(directory));
  return directory;
}

/** The DATABASE_URL of a folder made by makeDatabaseDirectory. */
export function databaseUrlOf(directory: string): string {
  const database = directoryDatabases.get(directory);
  if (!database) {
    throw new Error(`${directory} was not made by makeDatabaseDirectory()`);
  }
  return database.url;
}

/** Drops the databases of every folder made by makeDatabaseDirectory (call in a file's last afterAll). */
export async function dropDirectoryDatabases(): Promise<void> {
  for (const [directory, database] of directoryDatabases) {
    await database.drop();
    directoryDatabases.delete(directory);
  }
}
