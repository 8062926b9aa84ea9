import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { IdGenerator } from '../subscribers/id-generator';
import { VaultModule } from '../vault/vault.module';
import { AlertDeliveryEntity } from './alert-delivery.entity';
import { AlertDeliveryWorker } from './alert-delivery.worker';
import { AlertDestinationEntity } from './alert-destination.entity';
import { AlertDestinationsController } from './alert-destinations.controller';
import { AlertDestinationsService } from './alert-destinations.service';
import { AlertEntity } from './alert.entity';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

/** Alerts on subscriber state changes, delivered as Standard Webhooks. Import it to call AlertsService.raise. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AlertDestinationEntity, AlertEntity, AlertDeliveryEntity]),
    VaultModule,
  ],
  controllers: [AlertDestinationsController, AlertsController],
  providers: [AlertsService, AlertDestinationsService, AlertsRepository, AlertDeliveryWorker, IdGenerator],
  exports: [AlertsService],
})
export class AlertsModule {}
