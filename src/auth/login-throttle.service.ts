import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { LoginFailuresRepository } from './login-failures.repository';
import { afterFailure, retryAfterSeconds, type ThrottleRule } from './login-throttle';

export interface LoginAttempt {
  /** Lower-cased email. */
  email: string;
  ip: string;
}

// Compare-and-set retries; only a burst of parallel failures on one key needs more than one.
const MAX_WRITE_ATTEMPTS = 20;

/** Counts failed sign-ins per account and per IP address and refuses blocked ones with 429. */
@Injectable()
export class LoginThrottleService {
  constructor(
    private readonly failures: LoginFailuresRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Throws RATE_LIMITED (with Retry-After) while the account or the address is locked out. */
  async assertAllowed(attempt: LoginAttempt): Promise<void> {
    const now = this.clock.nowMs();
    const waits = await Promise.all(
      this.rules(attempt).map(async ({ key }) => retryAfterSeconds(await this.failures.find(key), now)),
    );
    const wait = Math.max(0, ...waits.map((seconds) => seconds ?? 0));
    if (wait > 0) {
      throw new AppError(ErrorCode.RATE_LIMITED, `Too many failed sign-ins; try again in ${wait} s`, {
        headers: { 'Retry-After': String(wait) },
        extensions: { retryAfterSeconds: wait },
      });
    }
  }

  async recordFailure(attempt: LoginAttempt): Promise<void> {
    for (const { key, rule } of this.rules(attempt)) {
      await this.increment(key, rule);
    }
  }

  /** A successful sign-in clears the account's count (not the address's: one good login must not reset it). */
  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await this.failures.delete(accountKey(attempt.email));
  }

  private async increment(key: string, rule: ThrottleRule): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.failures.find(key);
      if (await this.failures.compareAndSet(key, current, afterFailure(current, this.clock.nowMs(), rule))) {
        return;
      }
    }
    throw new Error(`login failure counter ${key.split(':')[0]} kept changing under concurrent writes`);
  }

  private rules(attempt: LoginAttempt): { key: string; rule: ThrottleRule }[] {
    const { maxFailuresPerAccount, maxFailuresPerIp, windowMs, lockoutMs } = this.config.auth.loginThrottle;
    return [
      { key: accountKey(attempt.email), rule: { maxFailures: maxFailuresPerAccount, windowMs, lockoutMs } },
      { key: `ip:${attempt.ip}`, rule: { maxFailures: maxFailuresPerIp, windowMs, lockoutMs } },
    ];
  }
}

function accountKey(email: string): string {
  return `account:${email}`;
}
