import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { type CheckedStatus, HealthCheckResultEntity } from './health-check-result.entity';

export interface RecentResult {
  status: CheckedStatus;
  reasons: string[];
}

export interface HealthCounts {
  status: string;
  count: number;
}

/** Health history, and the health columns of the registry row (written only by the health checks). */
@Injectable()
export class HealthChecksRepository {
  constructor(
    @InjectRepository(HealthCheckResultEntity) private readonly results: Repository<HealthCheckResultEntity>,
    @InjectRepository(SubscriberEntity) private readonly subscribers: Repository<SubscriberEntity>,
  ) {}

  async insert(result: HealthCheckResultEntity): Promise<void> {
    await this.results.insert(result);
  }

  /** The latest `limit` results of a subscriber (status and reason codes), newest first. */
  async recentResults(subscriberId: string, limit: number): Promise<RecentResult[]> {
    const rows = await this.results.find({
      select: { status: true, reasons: true },
      where: { subscriberId },
      order: { checkedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.map((row) => ({
      status: row.status,
      reasons: row.reasons === '' ? [] : row.reasons.split(','),
    }));
  }

  page(subscriberId: string, skip: number, take: number): Promise<[HealthCheckResultEntity[], number]> {
    return this.results.findAndCount({
      where: { subscriberId },
      order: { checkedAt: 'DESC', id: 'DESC' },
      skip,
      take,
    });
  }

  async pruneBefore(cutoff: Date): Promise<number> {
    // Epoch ms, not the Date: TypeORM applies column transformers to find operators in find() only, so a Date
    // here would reach PostgreSQL as a timestamp string for a bigint column.
    const result = await this.results
      .createQueryBuilder()
      .delete()
      .where('checked_at < :cutoff', { cutoff: cutoff.getTime() })
      .execute();
    return result.affected ?? 0;
  }

  async setSubscriberHealth(subscriberId: string, status: CheckedStatus, since: Date): Promise<void> {
    await this.subscribers.update(
      { id: subscriberId },
      { healthStatus: status, healthSince: since, updatedAt: since },
    );
  }

  /** Ids of the subscribers a sweep checks: active relationship only (suspended, offboarded and pending skipped). */
  async activeSubscriberIds(): Promise<string[]> {
    const rows = await this.subscribers.find({
      select: { id: true },
      where: { status: 'active' },
      order: { id: 'ASC' },
    });
    return rows.map((row) => row.id);
  }

  async countsByHealth(): Promise<HealthCounts[]> {
    const rows = await this.subscribers
      .createQueryBuilder('s')
      .select('s.health_status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('s.status = :active', { active: 'active' })
      .groupBy('s.health_status')
      .getRawMany<{ status: string; count: string | number }>();
    return rows.map((row) => ({ status: row.status, count: Number(row.count) }));
  }

  /** Unhealthy first, then degraded; the longest-broken first within each. */
  worst(limit: number): Promise<SubscriberEntity[]> {
    return this.subscribers
      .createQueryBuilder('s')
      .where('s.status = :active', { active: 'active' })
      .andWhere('s.health_status IN (:...bad)', { bad: ['unhealthy', 'degraded'] })
      .orderBy("CASE s.health_status WHEN 'unhealthy' THEN 0 ELSE 1 END", 'ASC')
      .addOrderBy('s.health_since', 'ASC')
      .limit(limit)
      .getMany();
  }
}
