import { type DataSource, MigrationExecutor } from 'typeorm';

import { MIGRATIONS_LIST_PATH } from './migrations';

/** The schema is not the one this build's migrations make: boot stops before anything queries a table. */
export class SchemaNotReadyError extends Error {
  override readonly name = 'SchemaNotReadyError';
}

/**
 * Refuses a data source whose schema is not what this build's migrations make, with a message that says where
 * the migrations were looked for and what to do, instead of letting the first query fail with "no such table"
 * (as `nest start` on a fresh clone did when the migrations glob pointed at a folder that build never made).
 *
 * Runs right after `DataSource.initialize()` (which applied the migrations when DB_MIGRATIONS_RUN is on), before
 * any provider that queries is created. Three checks, in three small queries:
 * - the data source has migrations at all;
 * - none of them is still pending (DB_MIGRATIONS_RUN=false on an unmigrated database);
 * - every entity's table exists (it was dropped, or the migrations table was copied without the schema).
 * Migrations recorded in the database that this build does not know (a newer version migrated it) are not refused:
 * during a rolling deploy the older instances keep running on the newer schema.
 */
export async function checkSchemaAtBoot(dataSource: DataSource): Promise<void> {
  const migrationsRun = dataSource.options.migrationsRun === true;
  if (dataSource.migrations.length === 0) {
    throw new SchemaNotReadyError(
      `no database migrations are loaded: the data source's migration list is empty, so the schema cannot be ` +
        `created or checked. The migrations are the classes listed in ${MIGRATIONS_LIST_PATH} (MIGRATIONS), ` +
        `handed to TypeORM by src/database/typeorm-options.ts; check that this build includes that list ` +
        `(rebuild with \`npm run build\`, or start from source with \`npm start\`).`,
    );
  }
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  if (pending.length > 0) {
    const names = pending.map((migration) => migration.name);
    const shown = names.length > 3 ? [...names.slice(0, 3), `… ${names.length - 3} more`] : names;
    throw new SchemaNotReadyError(
      `the database schema is not up to date: ${pending.length} of ${dataSource.migrations.length} migrations ` +
        `(${MIGRATIONS_LIST_PATH}) are not applied (${shown.join(', ')})` +
        (migrationsRun
          ? ', although boot applied the pending migrations; check the database and its migrations table.'
          : ` and DB_MIGRATIONS_RUN=false, so boot did not apply them. Apply them with \`npm run migration:run\` ` +
            `(same DATABASE_URL), or start once with DB_MIGRATIONS_RUN=true.`),
    );
  }
  const existing = await existingTables(dataSource);
  const missing = [...new Set(dataSource.entityMetadatas.map((metadata) => metadata.tableName))]
    .filter((table) => !existing.has(table))
    .sort();
  if (missing.length > 0) {
    throw new SchemaNotReadyError(
      `the database records every migration of ${MIGRATIONS_LIST_PATH} as applied, but lacks the table(s) ` +
        `${missing.join(', ')}: the schema was changed outside the migrations. Restore the database from a ` +
        `backup, or start on an empty database.`,
    );
  }
}

/**
 * The tables of the database, in one query on either of the two supported drivers (TypeORM's portable
 * `hasTable` is one round trip per table: some 50 ms per boot on PostgreSQL, paid by every test app).
 */
async function existingTables(dataSource: DataSource): Promise<Set<string>> {
  const rows = await dataSource.query<{ name: string }[]>(
    dataSource.options.type === 'postgres'
      ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'
      : "SELECT name FROM sqlite_master WHERE type = 'table'",
  );
  return new Set(rows.map((row) => row.name));
}
