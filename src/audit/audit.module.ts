import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';

import { PROBLEM_OBSERVER } from '../common/errors/problem-details.filter';
import { IdGenerator } from '../subscribers/id-generator';
import { AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEventsListener } from './audit-events.listener';
import { AuditHttpRecorder } from './audit-http.recorder';
import { AuditController } from './audit.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/**
 * The audit trail. Global so any module can inject AuditService; HTTP mutations are recorded by the
 * interceptor and the problem filter's observer, other mutations through domain events.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, AuditChainHeadEntity])],
  controllers: [AuditController],
  providers: [
    AuditService,
    AuditRepository,
    AuditHttpRecorder,
    AuditEventsListener,
    IdGenerator,
    { provide: PROBLEM_OBSERVER, useExisting: AuditHttpRecorder },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService, PROBLEM_OBSERVER],
})
export class AuditModule {}
