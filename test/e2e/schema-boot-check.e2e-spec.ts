import { rmSync } from 'node:fs';

import { DataSource } from 'typeorm';

import { loadConfig } from '../../src/config/load-config';
import { MIGRATIONS, MIGRATIONS_LIST_PATH } from '../../src/database/migrations';
import { checkSchemaAtBoot, SchemaNotReadyError } from '../../src/database/schema-boot-check';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';
import type { ThrowawayDatabase } from '../../scripts/lib/throwaway-database';
import { makeTempDirectory } from '../utils/test-app';
import { freshTestDatabase } from '../utils/test-database';

/**
 * The boot check of the schema (src/database/schema-boot-check.ts) on a real data source of the run's database
 * (a SQLite file, or a fresh PostgreSQL database in the PostgreSQL run). boot.e2e-spec.ts proves that its
 * message is what `npm start` prints.
 */
describe('the schema check at boot', () => {
  const directory = makeTempDirectory('tenantry-schema-check-');
  let database: ThrowawayDatabase;
  const open: DataSource[] = [];

  async function dataSource(overrides: { migrations?: [] } = {}): Promise<DataSource> {
    const config = loadConfig({ DATABASE_URL: database.url, DB_MIGRATIONS_RUN: 'false' });
    const created = new DataSource({ ...buildTypeOrmOptions(config), ...overrides });
    open.push(created);
    return created.initialize();
  }

  beforeAll(async () => {
    database = await freshTestDatabase(directory);
  });

  afterAll(async () => {
    for (const each of open) {
      if (each.isInitialized) {
        await each.destroy();
      }
    }
    await database.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a data source without migrations, naming the list it should have had', async () => {
    const error = await checkSchemaAtBoot(await dataSource({ migrations: [] })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SchemaNotReadyError);
    expect((error as Error).message).toContain('no database migrations are loaded');
    expect((error as Error).message).toContain(MIGRATIONS_LIST_PATH);
  });

  it('refuses pending migrations, naming them, and does not create the migrations table doing so', async () => {
    const source = await dataSource();
    const error = await checkSchemaAtBoot(source).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaNotReadyError);
    const message = (error as Error).message;
    expect(message).toContain(`${MIGRATIONS.length} of ${MIGRATIONS.length} migrations`);
    expect(message).toContain('VaultAndCredentials1795884234261');
    expect(message).toContain('npm run migration:run');
    const runner = source.createQueryRunner();
    expect(await runner.hasTable('migrations')).toBe(false);
    await runner.release();
  });

  it('passes once every migration is applied', async () => {
    const source = await dataSource();
    await source.runMigrations();
    await expect(checkSchemaAtBoot(source)).resolves.toBeUndefined();
  });

  it('refuses a schema that lacks an entity table although the migrations table says all are applied', async () => {
    const source = await dataSource();
    await source.query('DROP TABLE cluster_leases');
    const error = await checkSchemaAtBoot(source).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaNotReadyError);
    expect((error as Error).message).toContain('lacks the table(s) cluster_leases');
  });
});
