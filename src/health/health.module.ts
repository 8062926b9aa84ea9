import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { HealthChecksModule } from '../health-checks/health-checks.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), HealthChecksModule],
  controllers: [HealthController],
})
export class HealthModule {}
