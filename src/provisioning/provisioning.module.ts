import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { CompanyContextModule } from '../company-context/company-context.module';
import { IdempotencyModule } from '../common/idempotency/idempotency.module';
import { IpaasModule } from '../ipaas/ipaas.module';
import { RelationshipsModule } from '../relationships/relationships.module';
import { IdGenerator } from '../subscribers/id-generator';
import { SubscribersModule } from '../subscribers/subscribers.module';
import { JobEvents } from './jobs/job-events';
import { JobSubmissions } from './jobs/job-submissions';
import { JobTemplates } from './jobs/job-templates';
import { JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { ItemRunner } from './ledger/item-runner';
import { JobLifecycle } from './ledger/job-lifecycle';
import { LedgerRepository } from './ledger/ledger.repository';
import { ProvisioningEventEntity } from './ledger/provisioning-event.entity';
import { ProvisioningItemEntity } from './ledger/provisioning-item.entity';
import { ProvisioningJobEntity } from './ledger/provisioning-job.entity';
import { ProvisioningStepEntity } from './ledger/provisioning-step.entity';
import { ProvisioningMetrics } from './ledger/provisioning.metrics';
import { ProvisioningWorkers } from './ledger/worker-pool';
import { StepExecutor, StepPlanner } from './steps/step.types';
import { StepServices } from './steps/step-services';
import { VendorStepExecutor } from './steps/vendor-step-executor';
import { VendorStepPlanner } from './steps/vendor-step-planner';
import { ProvisioningTemplateEntity } from './templates/provisioning-template.entity';
import { TemplatesController } from './templates/templates.controller';
import { TemplatesRepository } from './templates/templates.repository';
import { TemplatesService } from './templates/templates.service';

/** Bulk provisioning: templates, the steps that ensure them at iPaaS.com, and the job ledger. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      ProvisioningTemplateEntity,
      ProvisioningJobEntity,
      ProvisioningItemEntity,
      ProvisioningStepEntity,
      ProvisioningEventEntity,
    ]),
    IdempotencyModule,
    IpaasModule,
    CompanyContextModule,
    SubscribersModule,
    RelationshipsModule,
  ],
  controllers: [TemplatesController, JobsController],
  providers: [
    TemplatesService,
    TemplatesRepository,
    IdGenerator,
    StepServices,
    { provide: StepPlanner, useClass: VendorStepPlanner },
    { provide: StepExecutor, useClass: VendorStepExecutor },
    // The job ledger and its workers.
    LedgerRepository,
    JobLifecycle,
    ItemRunner,
    ProvisioningWorkers,
    ProvisioningMetrics,
    JobTemplates,
    JobSubmissions,
    JobsService,
    JobEvents,
  ],
  exports: [TemplatesService, StepPlanner, StepExecutor, JobsService],
})
export class ProvisioningModule {}
