/**
 * The one place that makes a fresh, empty database for a test or a throwaway Tenantry: a SQLite file in a temp
 * folder, or a new database `tenantry_e2e_<random>` on a PostgreSQL server (e.g. `scripts/pg-throwaway.sh`).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { DataSource } from 'typeorm';

export interface ThrowawayDatabase {
  /** A DATABASE_URL for Tenantry. */
  url: string;
  /** Removes the database; connections still open on it (a SIGKILLed instance's) are ended first. */
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const server = new DataSource({ type: 'postgres', url: serverUrl, extra: { max: 1 } });
  await server.initialize();
  try {
    await server.query(statement);
  } finally {
    await server.destroy();
  }
}

/**
 * With `postgresServerUrl`, a new database on that server (the URL's own database is only used to connect);
 * without it, `tenantry.sqlite` in `directory` (removed with the folder by the caller).
 */
export async function createThrowawayDatabase(
  directory: string,
  postgresServerUrl?: string,
): Promise<ThrowawayDatabase> {
  if (!postgresServerUrl) {
    return { url: `sqlite:${join(directory, 'tenantry.sqlite')}`, drop: async () => {} };
  }
  const name = `tenantry_e2e_${randomBytes(8).toString('hex')}`;
  await onServer(postgresServerUrl, `CREATE DATABASE ${name}`);
  const url = new URL(postgresServerUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer(postgresServerUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
