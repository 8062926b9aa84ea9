import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';

import { isUniqueViolation } from '../database/unique-violation';
import { ClusterLeaseEntity } from './cluster-lease.entity';

@Injectable()
export class ClusterLeasesRepository {
  constructor(
    @InjectRepository(ClusterLeaseEntity) private readonly leases: Repository<ClusterLeaseEntity>,
  ) {}

  /**
   * Takes `name` for `owner` until `until` when it is free, expired or already the owner's (a renewal).
   * One conditional UPDATE, else one INSERT: of several instances racing for a free name, the unique key lets
   * exactly one insert; on PostgreSQL the UPDATE's row lock makes a racing renewal re-check its condition.
   */
  async acquire(name: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const taken = await this.leases
      .createQueryBuilder()
      .update()
      .set({ owner, expiresAt: until })
      .where('name = :name AND (expires_at < :now OR owner = :owner)', { name, now: now.getTime(), owner })
      .execute();
    if ((taken.affected ?? 0) > 0) {
      return true;
    }
    try {
      await this.leases.insert({ name, owner, expiresAt: until });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  async release(name: string, owner: string): Promise<void> {
    await this.leases.delete({ name, owner });
  }

  /** Unexpired leases whose name starts with `prefix`. */
  countLive(prefix: string, now: Date): Promise<number> {
    return this.leases
      .createQueryBuilder('lease')
      .where('lease.name LIKE :pattern', { pattern: `${prefix}%` })
      .andWhere('lease.expires_at > :now', { now: now.getTime() })
      .getCount();
  }

  async pruneExpiredBefore(before: Date): Promise<number> {
    const result = await this.leases
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before', { before: before.getTime() })
      .execute();
    return result.affected ?? 0;
  }
}
