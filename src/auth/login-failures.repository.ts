import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';

import { isUniqueViolation } from '../database/unique-violation';
import { LoginFailureEntity } from './login-failure.entity';
import type { FailureCounter } from './login-throttle';

function toCounter(entity: LoginFailureEntity): FailureCounter {
  return {
    failures: entity.failures,
    windowStartedAt: entity.windowStartedAt.getTime(),
    blockedUntil: entity.blockedUntil?.getTime() ?? null,
  };
}

function toEntity(key: string, counter: FailureCounter): LoginFailureEntity {
  return {
    key,
    failures: counter.failures,
    windowStartedAt: new Date(counter.windowStartedAt),
    blockedUntil: counter.blockedUntil === null ? null : new Date(counter.blockedUntil),
  };
}

@Injectable()
export class LoginFailuresRepository {
  constructor(
    @InjectRepository(LoginFailureEntity) private readonly failures: Repository<LoginFailureEntity>,
  ) {}

  async find(key: string): Promise<FailureCounter | null> {
    const entity = await this.failures.findOneBy({ key });
    return entity === null ? null : toCounter(entity);
  }

  /**
   * Writes `next` only if the row still holds `expected` (null: no row yet). False when another request or
   * instance changed it first; the caller reads again and retries, so no failure is lost.
   */
  async compareAndSet(key: string, expected: FailureCounter | null, next: FailureCounter): Promise<boolean> {
    if (expected === null) {
      try {
        await this.failures.insert(toEntity(key, next));
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) {
          return false;
        }
        throw error;
      }
    }
    const result = await this.failures
      .createQueryBuilder()
      .update(LoginFailureEntity)
      .set(toEntity(key, next))
      .where('"key" = :key AND failures = :failures AND window_started_at = :windowStartedAt', {
        key,
        failures: expected.failures,
        windowStartedAt: expected.windowStartedAt,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async delete(key: string): Promise<void> {
    await this.failures.delete({ key });
  }
}
