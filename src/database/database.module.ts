import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AppConfig } from '../config/app-config';
import { Transactions } from './transactions';
import { buildTypeOrmOptions } from './typeorm-options';

/** The TypeORM connection and the transaction runner every feature module may use. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ ...buildTypeOrmOptions(config), retryAttempts: 0 }),
    }),
  ],
  providers: [Transactions],
  exports: [Transactions],
})
export class DatabaseModule {}
