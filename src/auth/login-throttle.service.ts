import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { LoginFailuresRepository } from './login-failures.repository';
import {
  retryAfterSeconds,
  throttleAddress,
  type ThrottleKey,
  throttleKeys,
  type ThrottleRule,
  type ThrottleScope,
} from './login-throttle';
import { LoginMetrics } from './login.metrics';

export interface LoginAttempt {
  /** Lower-cased email. */
  email: string;
  /** The client address as the socket gave it. */
  ip: string;
}

/** The slots one attempt holds, from `reserve` until it fails, succeeds or is released. */
export interface LoginReservation {
  readonly keys: readonly ThrottleKey[];
}

// Rows past their window are deleted at most this often per instance (from a sign-in, so an idle instance
// does no work).
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Throttles sign-ins per address, per account and address, and per account (see THROTTLE_SCOPES). Each
 * attempt reserves a slot in every scope before its password is checked, so however many attempts arrive at
 * once, no more passwords are checked than the limits allow; a failure keeps its slots as failures, a success
 * gives them back.
 */
@Injectable()
export class LoginThrottleService {
  private lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly failures: LoginFailuresRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: LoginMetrics,
    @InjectPinoLogger(LoginThrottleService.name) private readonly logger: PinoLogger,
  ) {}

  /** Throws RATE_LIMITED (with Retry-After) when a scope has no slot left; then nothing stays reserved. */
  async reserve(attempt: LoginAttempt): Promise<LoginReservation> {
    const now = this.clock.nowMs();
    await this.pruneIfDue(now);
    const held: ThrottleKey[] = [];
    for (const entry of throttleKeys(attempt.email, throttleAddress(attempt.ip))) {
      if (await this.failures.reserve(entry.key, this.rule(entry.scope), now)) {
        held.push(entry);
        continue;
      }
      await this.release({ keys: held });
      this.metrics.refused(entry.scope);
      const wait = retryAfterSeconds(await this.failures.find(entry.key), now, this.rule(entry.scope)) ?? 1;
      throw new AppError(ErrorCode.RATE_LIMITED, `Too many failed sign-ins; try again in ${wait} s`, {
        headers: { 'Retry-After': String(wait) },
        extensions: { retryAfterSeconds: wait },
      });
    }
    return { keys: held };
  }

  /** The checked password was wrong (or the user unknown or disabled): every slot becomes a failure. */
  async recordFailure(reservation: LoginReservation): Promise<void> {
    const now = this.clock.nowMs();
    for (const { scope, key } of reservation.keys) {
      await this.failures.recordFailure(key, this.rule(scope), now);
    }
  }

  /**
   * The password was right: the slots are given back, and the failures of this account from this address
   * are forgotten (not those of the address or of the account elsewhere: one good sign-in must not reset
   * what others tried).
   */
  async recordSuccess(reservation: LoginReservation): Promise<void> {
    for (const { scope, key } of reservation.keys) {
      await this.failures.release(key, scope === 'account_address');
    }
  }

  /** No password outcome (an error on the way): the slots are given back uncounted. */
  async release(reservation: LoginReservation): Promise<void> {
    for (const { key } of reservation.keys) {
      await this.failures.release(key);
    }
  }

  private rule(scope: ThrottleScope): ThrottleRule {
    const settings = this.config.auth.loginThrottle;
    const maxFailures = {
      address: settings.maxFailuresPerIp,
      account_address: settings.maxFailuresPerAccount,
      account: settings.accountFailureCeiling,
    }[scope];
    return { maxFailures, windowMs: settings.windowMs, lockoutMs: settings.lockoutMs };
  }

  private async pruneIfDue(now: number): Promise<void> {
    if (now - this.lastPruneMs < PRUNE_EVERY_MS) {
      return;
    }
    this.lastPruneMs = now;
    try {
      const pruned = await this.failures.prune(now, this.config.auth.loginThrottle.windowMs);
      if (pruned > 0) {
        this.logger.debug({ pruned }, 'login throttle rows past their window deleted');
      }
    } catch (error) {
      // Pruning is housekeeping: a sign-in must not fail because of it.
      this.logger.warn({ err: error }, 'could not prune the login throttle rows');
    }
  }
}
