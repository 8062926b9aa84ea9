import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';

import { AppConfig } from '../config/app-config';
import { checkSchemaAtBoot } from './schema-boot-check';
import { Transactions } from './transactions';
import { buildTypeOrmOptions } from './typeorm-options';

/** Opens the data source (applying the migrations when DB_MIGRATIONS_RUN is on) and refuses a stale schema. */
async function openCheckedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (options === undefined) {
    throw new Error('DatabaseModule: TypeORM gave the data source factory no options');
  }
  const dataSource = await new DataSource(options).initialize();
  try {
    // Here, before any provider that queries is created: a missing schema is named as such, not as the first
    // "no such table" of whichever boot step happens to query first.
    await checkSchemaAtBoot(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** The TypeORM connection and the transaction runner every feature module may use. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildTypeOrmOptions(config),
        // No retries, and no "Unable to connect to the database. Retrying (1)..." line before the real error
        // (@nestjs/typeorm logs it for every failure, a refused schema too, unless toRetry declines first).
        retryAttempts: 0,
        toRetry: () => false,
      }),
      dataSourceFactory: openCheckedDataSource,
    }),
  ],
  providers: [Transactions],
  exports: [Transactions],
})
export class DatabaseModule {}
