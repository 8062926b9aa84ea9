import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { IdGenerator } from '../../subscribers/id-generator';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { IdempotencyService } from './idempotency.service';

/** Idempotency-Key handling for any mutating route (provisioning jobs, inbound webhooks). */
@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKeyEntity])],
  providers: [IdempotencyService, IdGenerator],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
