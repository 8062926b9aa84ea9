import { Injectable } from '@nestjs/common';

import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import { roleAllows } from '../auth/roles';
import { SYSTEM_ACTOR } from '../audit/audit.types';
import { Page } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import { AlertDeliveryEntity } from './alert-delivery.entity';
import { AlertEntity } from './alert.entity';
import type { AlertInput, DeliveryOutcome } from './alert.types';
import { AlertDeliveryWorker } from './alert-delivery.worker';
import type { AlertDeliveryDto, AlertDto, AlertsQueryDto } from './alerts.dto';
import { AlertsRepository } from './alerts.repository';

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

function outcomeOf(delivery: AlertDeliveryEntity): DeliveryOutcome {
  switch (delivery.state) {
    case 'succeeded':
      return 'delivered';
    case 'failed':
      return 'failed';
    case 'pending':
      return delivery.attempts === 0 ? 'pending' : 'retrying';
  }
}

/** `5xx` for 503: enough to tell a receiver's fault from a refusal, not enough to probe a network. */
function statusClassOf(status: number | null): string | null {
  return status === null ? null : `${Math.floor(status / 100)}xx`;
}

/** A delivery as the caller may see it: admins also get the exact status and the raw error. */
export function toDeliveryView(delivery: AlertDeliveryEntity, detailed: boolean): AlertDeliveryDto {
  return {
    id: delivery.id,
    destinationId: delivery.destinationId,
    state: delivery.state,
    outcome: outcomeOf(delivery),
    statusClass: statusClassOf(delivery.lastStatus),
    attempts: delivery.attempts,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    lastAttemptAt: iso(delivery.lastAttemptAt),
    ...(detailed ? { lastStatus: delivery.lastStatus, lastError: delivery.lastError } : {}),
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

  /** Viewers see each delivery's coarse outcome; admins also its exact status and raw error. */
  async list(principal: Principal, query: AlertsQueryDto): Promise<Page<AlertDto>> {
    const detailed = roleAllows(principal.role, 'admin');
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
      deliveries: deliveries
        .filter((delivery) => delivery.alertId === alert.id)
        .map((delivery) => toDeliveryView(delivery, detailed)),
    }));
    return Page.of(items, total, query);
  }
}
