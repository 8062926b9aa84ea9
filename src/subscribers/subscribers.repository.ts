import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';

import { SubscriberEntity } from './subscriber.entity';

/** SQLite reports `SQLITE_CONSTRAINT` with "UNIQUE constraint failed"; PostgreSQL SQLSTATE 23505. */
function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const driverError = error.driverError as { code?: unknown; message?: unknown } | undefined;
  return (
    driverError?.code === '23505' ||
    (driverError?.code === 'SQLITE_CONSTRAINT' && String(driverError.message).includes('UNIQUE'))
  );
}

@Injectable()
export class SubscribersRepository {
  constructor(
    @InjectRepository(SubscriberEntity) private readonly subscribers: Repository<SubscriberEntity>,
  ) {}

  findById(id: string): Promise<SubscriberEntity | null> {
    return this.subscribers.findOneBy({ id });
  }

  findByCompanyId(ipaasCompanyId: string): Promise<SubscriberEntity | null> {
    return this.subscribers.findOneBy({ ipaasCompanyId });
  }

  /** False when the company id is already registered (also when a concurrent insert won the race). */
  async insert(subscriber: SubscriberEntity): Promise<boolean> {
    try {
      await this.subscribers.insert(subscriber);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Oldest first, so pages stay stable while subscribers are added. */
  findPage(offset: number, limit: number): Promise<[SubscriberEntity[], number]> {
    return this.subscribers.findAndCount({
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async updateQuotaExhaustedUntil(id: string, until: Date | null, updatedAt: Date): Promise<boolean> {
    const result = await this.subscribers.update({ id }, { quotaExhaustedUntil: until, updatedAt });
    return (result.affected ?? 0) > 0;
  }
}
