import { Injectable } from '@nestjs/common';

import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../audit/audit.types';
import { Page } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import { AlertDeliveryEntity } from './alert-delivery.entity';
import { AlertEntity } from './alert.entity';
import type { AlertInput } from './alert.types';
import { AlertDeliveryWorker } from './alert-delivery.worker';
import type { AlertDeliveryDto, AlertDto, AlertsQueryDto } from './alerts.dto';
import { AlertsRepository } from './alerts.repository';

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

function toDeliveryView(delivery: AlertDeliveryEntity): AlertDeliveryDto {
  return {
    id: delivery.id,
    destinationId: delivery.destinationId,
    state: delivery.state,
    attempts: delivery.attempts,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    lastAttemptAt: iso(delivery.lastAttemptAt),
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
  };
}

@Injectable()
export class AlertsService {
  constructor(
    private readonly repository: AlertsRepository,
    private readonly audit: AuditService,
    private readonly worker: AlertDeliveryWorker,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * Stores one alert (audited as the system) and a pending delivery per enabled destination. Delivery happens
   * in the background loop, so the caller never waits on a receiver.
   */
  async raise(input: AlertInput): Promise<void> {
    const alert = Object.assign(new AlertEntity(), {
      id: this.ids.newId(),
      subscriberId: input.subscriberId,
      kind: input.kind,
      from: input.from,
      to: input.to,
      reasons: JSON.stringify(input.reasons),
      at: input.at,
    });
    const firstAttemptAt = this.clock.now();
    const deliveries = await this.repository.insertAlert(alert, (destinationId) =>
      Object.assign(new AlertDeliveryEntity(), {
        id: this.ids.newId(),
        alertId: alert.id,
        destinationId,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: firstAttemptAt,
        lastAttemptAt: null,
        lastStatus: null,
        lastError: null,
      }),
    );
    await this.audit.record({
      actor: SYSTEM_ACTOR,
      action: 'alert.raised',
      subscriberId: input.subscriberId,
      target: alert.id,
      outcome: 'success',
      details: {
        kind: input.kind,
        from: input.from,
        to: input.to,
        reasons: input.reasons,
        deliveries: deliveries.length,
      },
    });
    if (deliveries.length > 0) {
      this.worker.wake();
    }
  }

  async list(query: AlertsQueryDto): Promise<Page<AlertDto>> {
    const [alerts, total] = await this.repository.listAlerts({
      subscriberId: query.subscriberId,
      kind: query.kind,
      offset: query.offset,
      limit: query.pageSize,
    });
    const deliveries = await this.repository.deliveriesOf(alerts.map((alert) => alert.id));
    const items = alerts.map((alert): AlertDto => ({
      id: alert.id,
      subscriberId: alert.subscriberId,
      kind: alert.kind,
      from: alert.from,
      to: alert.to,
      reasons: JSON.parse(alert.reasons) as string[],
      at: alert.at.toISOString(),
      deliveries: deliveries.filter((delivery) => delivery.alertId === alert.id).map(toDeliveryView),
    }));
    return Page.of(items, total, query);
  }
}
