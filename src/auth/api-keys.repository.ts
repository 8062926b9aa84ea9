import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';

import { ApiKeyEntity } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

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
}
