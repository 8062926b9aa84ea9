import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';

import { AlertsModule } from './alerts/alerts.module';
import { ClusterModule } from './cluster/cluster.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { PaginationInterceptor } from './common/http/pagination.interceptor';
import { createValidationPipe } from './common/http/validation.pipe';
import { buildLoggerParams } from './common/logging/logger.options';
import type { Clock } from './common/time/clock';
import { TimeModule } from './common/time/time.module';
import { EventsModule } from './common/events/events.module';
import type { HostResolver } from './common/outbound/host-resolver';
import { OutboundModule } from './common/outbound/outbound.module';
import { LiveStreamsModule } from './common/sse/live-streams.module';
import type { AppConfig } from './config/app-config';
import { CompanyContextModule } from './company-context/company-context.module';
import { ConfigModule } from './config/config.module';
import { CredentialsModule } from './credentials/credentials.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HealthChecksModule } from './health-checks/health-checks.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProblemsModule } from './problems/problems.module';
import { ProvisioningModule } from './provisioning/provisioning.module';
import { RelationshipsModule } from './relationships/relationships.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { SubscribersModule } from './subscribers/subscribers.module';
import { VaultModule } from './vault/vault.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Where JSON log lines go (stdout by default; tests capture them). */
  logDestination?: DestinationStream;
  /** The time source (tests pass one that follows the emulator's virtual clock). */
  clock?: Clock;
  /** How outbound calls resolve host names (tests pass one that maps names to chosen addresses). */
  hostResolver?: HostResolver;
  /** Extra modules composed into the app (tests, demos). */
  imports?: ModuleMetadata['imports'];
}

/** Composes the feature modules and the global filter, pipe and interceptors. No business providers here. */
@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        TimeModule.forRoot(options.clock),
        OutboundModule.forRoot(options.hostResolver),
        LiveStreamsModule,
        LoggerModule.forRoot(buildLoggerParams(options.config, options.logDestination)),
        DatabaseModule,
        ClusterModule,
        AuthModule,
        MetricsModule,
        HealthModule,
        HealthChecksModule,
        ProblemsModule,
        SubscribersModule,
        VaultModule,
        CredentialsModule,
        EventsModule,
        AuditModule,
        SandboxModule,
        CompanyContextModule,
        RelationshipsModule,
        ProvisioningModule,
        AlertsModule,
        WebhooksModule,
        ...(options.imports ?? []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: PaginationInterceptor },
      ],
    };
  }
}
