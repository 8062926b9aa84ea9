import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AlertsModule } from '../alerts/alerts.module';
import { CompanyContextModule } from '../company-context/company-context.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { RelationshipsModule } from '../relationships/relationships.module';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { IdGenerator } from '../subscribers/id-generator';
import { SubscribersModule } from '../subscribers/subscribers.module';
import { HealthCheckResultEntity } from './health-check-result.entity';
import { HealthCheckService } from './health-check.service';
import { HealthChecksController } from './health-checks.controller';
import { HealthChecksRepository } from './health-checks.repository';
import { HealthSweeper } from './health-sweep';

@Module({
  imports: [
    ScheduleModule.forRoot(),
    TypeOrmModule.forFeature([HealthCheckResultEntity, SubscriberEntity]),
    AlertsModule,
    CompanyContextModule,
    CredentialsModule,
    RelationshipsModule,
    SubscribersModule,
  ],
  controllers: [HealthChecksController],
  providers: [HealthCheckService, HealthChecksRepository, HealthSweeper, IdGenerator],
  exports: [HealthSweeper, HealthCheckService],
})
export class HealthChecksModule {}
