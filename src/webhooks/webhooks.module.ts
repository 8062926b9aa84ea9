import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { HealthChecksModule } from '../health-checks/health-checks.module';
import { ProvisioningModule } from '../provisioning/provisioning.module';
import { IdGenerator } from '../subscribers/id-generator';
import { RelationshipsModule } from '../relationships/relationships.module';
import { SubscribersModule } from '../subscribers/subscribers.module';
import { VaultModule } from '../vault/vault.module';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookJobOutcomesListener } from './webhook-job-outcomes.listener';
import { WebhookJobs } from './webhook-jobs';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhookReceiverService } from './webhook-receiver.service';
import { WebhookSourceSecretEntity } from './webhook-source-secret.entity';
import { WebhookSourceEntity } from './webhook-source.entity';
import { WebhookSourcesController } from './webhook-sources.controller';
import { WebhookSourcesService } from './webhook-sources.service';
import { WebhookWorker } from './webhook.worker';
import { WebhooksController } from './webhooks.controller';
import { WebhooksMetrics } from './webhooks.metrics';
import { WebhooksRepository } from './webhooks.repository';

/** Signed inbound webhooks from billing and CRM systems that onboard, offboard, re-apply or check companies. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookSourceEntity, WebhookSourceSecretEntity, WebhookEventEntity]),
    VaultModule,
    SubscribersModule,
    ProvisioningModule,
    RelationshipsModule,
    HealthChecksModule,
  ],
  controllers: [WebhookSourcesController, WebhooksController],
  providers: [
    WebhooksRepository,
    WebhookSourcesService,
    WebhookReceiverService,
    WebhookEventsService,
    WebhookDispatcher,
    WebhookJobs,
    WebhookJobOutcomesListener,
    WebhookWorker,
    WebhookRateLimiter,
    WebhooksMetrics,
    IdGenerator,
  ],
})
export class WebhooksModule {}
