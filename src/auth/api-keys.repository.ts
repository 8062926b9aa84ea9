import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, IsNull, type Repository } from 'typeorm';

import { ApiKeyEntity } from './api-key.entity';
import type { StaffRole } from './roles';

/** A key that still works by itself: not revoked, not expired (its owner is checked separately). */
const LIVE = 'k.revokedAt IS NULL AND (k.expiresAt IS NULL OR k.expiresAt > :now)';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  private repository(manager?: EntityManager): Repository<ApiKeyEntity> {
    return manager?.getRepository(ApiKeyEntity) ?? this.keys;
  }

  async insert(key: ApiKeyEntity): Promise<void> {
    await this.keys.insert(key);
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ id });
  }

  /** Oldest first, revoked and expired keys included. */
  findPage(offset: number, limit: number): Promise<[ApiKeyEntity[], number]> {
    return this.keys.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, skip: offset, take: limit });
  }

  /** The owner's keys that are neither revoked nor expired at `now`, oldest first. */
  findLiveOf(ownerId: string, now: Date, manager?: EntityManager): Promise<ApiKeyEntity[]> {
    return (
      this.repository(manager)
        .createQueryBuilder('k')
        .where('k.ownerId = :ownerId', { ownerId })
        // Conditions compare the stored epoch milliseconds (see InstantColumn).
        .andWhere(LIVE, { now: now.getTime() })
        .orderBy('k.createdAt', 'ASC')
        .addOrderBy('k.id', 'ASC')
        .getMany()
    );
  }

  /** Sets last_used_at unless it is already later than `notAfter` (so busy keys do not write every request). */
  async touchLastUsed(id: string, at: Date, notAfter: Date): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ lastUsedAt: at })
      .where('id = :id', { id })
      // Raw SQL compares the stored epoch milliseconds (see InstantColumn).
      .andWhere('(last_used_at IS NULL OR last_used_at <= :notAfter)', { notAfter: notAfter.getTime() })
      .execute();
  }

  /** False when the key does not exist. Revoking twice keeps the first time. */
  async revoke(id: string, at: Date): Promise<boolean> {
    await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: at });
    return this.keys.existsBy({ id });
  }

  /** Revokes those of `ids` not yet revoked. */
  async revokeMany(ids: string[], at: Date, manager?: EntityManager): Promise<void> {
    if (ids.length > 0) {
      await this.repository(manager).update({ id: In(ids), revokedAt: IsNull() }, { revokedAt: at });
    }
  }

  /** Lowers the role of those of `ids` (the caller picked the keys above `role`). */
  async setRole(ids: string[], role: StaffRole, manager?: EntityManager): Promise<void> {
    if (ids.length > 0) {
      await this.repository(manager).update({ id: In(ids) }, { role });
    }
  }

  /** Gives an unrevoked key a new owner and role; false when it was revoked meanwhile (or is gone). */
  async reassign(id: string, ownerId: string, role: StaffRole, manager?: EntityManager): Promise<boolean> {
    const result = await this.repository(manager).update({ id, revokedAt: IsNull() }, { ownerId, role });
    return (result.affected ?? 0) > 0;
  }
}
