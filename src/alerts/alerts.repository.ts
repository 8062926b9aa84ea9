import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, LessThanOrEqual, type Repository } from 'typeorm';

import { Transactions } from '../database/transactions';
import { AlertDeliveryEntity } from './alert-delivery.entity';
import { AlertDestinationEntity } from './alert-destination.entity';
import { AlertEntity } from './alert.entity';
import type { AlertKind } from './alert.types';

export interface AlertFilter {
  subscriberId?: string;
  kind?: AlertKind;
  offset: number;
  limit: number;
}

@Injectable()
export class AlertsRepository {
  constructor(
    @InjectRepository(AlertDestinationEntity)
    private readonly destinations: Repository<AlertDestinationEntity>,
    @InjectRepository(AlertEntity) private readonly alerts: Repository<AlertEntity>,
    @InjectRepository(AlertDeliveryEntity) private readonly deliveries: Repository<AlertDeliveryEntity>,
    private readonly transactions: Transactions,
  ) {}

  async insertDestination(destination: AlertDestinationEntity): Promise<void> {
    await this.destinations.insert(destination);
  }

  findDestination(id: string): Promise<AlertDestinationEntity | null> {
    return this.destinations.findOneBy({ id });
  }

  listDestinations(offset: number, limit: number): Promise<[AlertDestinationEntity[], number]> {
    return this.destinations.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async replaceSecret(id: string, secretSealed: string, keyId: string, at: Date): Promise<void> {
    await this.destinations.update({ id }, { secretSealed, keyId, updatedAt: at });
  }

  /** Deletes the destination; its undelivered alerts end as failed (the log keeps them). */
  deleteDestination(id: string, at: Date): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      await manager.update(
        AlertDeliveryEntity,
        { destinationId: id, state: 'pending' },
        { state: 'failed', nextAttemptAt: null, lastAttemptAt: at, lastError: 'destination deleted' },
      );
      const result = await manager.delete(AlertDestinationEntity, { id });
      return (result.affected ?? 0) > 0;
    });
  }

  /** Stores the alert and one pending delivery per enabled destination, atomically. */
  insertAlert(
    alert: AlertEntity,
    deliveryFor: (destinationId: string) => AlertDeliveryEntity,
  ): Promise<AlertDeliveryEntity[]> {
    return this.transactions.run(async (manager: EntityManager) => {
      await manager.insert(AlertEntity, alert);
      const enabled = await manager.find(AlertDestinationEntity, {
        where: { enabled: true },
        select: { id: true },
      });
      const deliveries = enabled.map((destination) => deliveryFor(destination.id));
      if (deliveries.length > 0) {
        await manager.insert(AlertDeliveryEntity, deliveries);
      }
      return deliveries;
    });
  }

  listAlerts(filter: AlertFilter): Promise<[AlertEntity[], number]> {
    return this.alerts.findAndCount({
      where: { subscriberId: filter.subscriberId, kind: filter.kind },
      order: { at: 'DESC', id: 'ASC' },
      skip: filter.offset,
      take: filter.limit,
    });
  }

  deliveriesOf(alertIds: string[]): Promise<AlertDeliveryEntity[]> {
    if (alertIds.length === 0) {
      return Promise.resolve([]);
    }
    return this.deliveries.find({ where: { alertId: In(alertIds) }, order: { destinationId: 'ASC' } });
  }

  dueDeliveries(nowMs: number, limit: number): Promise<AlertDeliveryEntity[]> {
    return this.deliveries.find({
      where: { state: 'pending', nextAttemptAt: LessThanOrEqual(new Date(nowMs)) },
      order: { nextAttemptAt: 'ASC' },
      take: limit,
    });
  }

  /**
   * Takes a due delivery by pushing its next attempt past the attempt's own timeout; the conditional update
   * lets only one instance (or loop turn) send it.
   */
  async claim(delivery: AlertDeliveryEntity, until: Date): Promise<boolean> {
    const result = await this.deliveries.update(
      {
        id: delivery.id,
        state: 'pending',
        nextAttemptAt: delivery.nextAttemptAt === null ? IsNull() : delivery.nextAttemptAt,
      },
      { nextAttemptAt: until },
    );
    return (result.affected ?? 0) > 0;
  }

  async recordAttempt(id: string, changes: Partial<AlertDeliveryEntity>): Promise<void> {
    await this.deliveries.update({ id, state: 'pending' }, changes);
  }

  findAlert(id: string): Promise<AlertEntity | null> {
    return this.alerts.findOneBy({ id });
  }
}
