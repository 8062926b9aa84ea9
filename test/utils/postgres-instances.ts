import { DataSource } from 'typeorm';

import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { buildTypeOrmOptions } from '../../src/database/typeorm-options';

import { TEST_POSTGRES_URL } from './test-database';

export { describeOnPostgres, TEST_POSTGRES_URL } from './test-database';

export interface PostgresInstances {
  config: AppConfig;
  /** One connection pool per simulated Tenantry instance, on a fresh, migrated database. */
  instances: DataSource[];
  close(): Promise<void>;
}

/** Creates database `name` on the test server, migrates it, and opens `count` pools ("instances") on it. */
export async function startPostgresInstances(name: string, count = 2): Promise<PostgresInstances> {
  const admin = new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL });
  await admin.initialize();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const config = loadConfig({
    DATABASE_URL: (TEST_POSTGRES_URL ?? '').replace(/\/[^/]*$/, `/${name}`),
    DB_MIGRATIONS_RUN: 'false',
  });
  const instances = Array.from({ length: count }, () => new DataSource(buildTypeOrmOptions(config)));
  for (const instance of instances) {
    await instance.initialize();
  }
  await instances[0]?.runMigrations();
  return {
    config,
    instances,
    close: async () => {
      for (const instance of instances) {
        await instance.destroy();
      }
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.destroy();
    },
  };
}
