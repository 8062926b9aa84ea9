import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';

import { queryRows } from '../database/raw-sql';
import { LoginFailureEntity } from './login-failure.entity';
import type { FailureCounter, ThrottleRule } from './login-throttle';

// The window of a row has ended when it started at or before :windowStart (= now - window).
const WINDOW_ENDED = 'login_failures.window_started_at <= :windowStart';

/**
 * Takes one slot of the key for a password check, or nothing. One statement (an upsert whose update is
 * conditional), so concurrent sign-ins, on one instance or several, can never take more slots than the rule
 * has: SQLite runs it alone, PostgreSQL locks the row for it. A row whose window ended starts a new one
 * (dropping slots a crashed check may have left taken). A key under lockout takes no slot.
 */
const RESERVE_SQL = `/* reserve */ INSERT INTO login_failures ("key", failures, pending, window_started_at, blocked_until)
  VALUES (:key, 0, 1, :now, NULL)
  ON CONFLICT ("key") DO UPDATE SET
    failures = CASE WHEN ${WINDOW_ENDED} THEN 0 ELSE login_failures.failures END,
    pending = CASE WHEN ${WINDOW_ENDED} THEN 1 ELSE login_failures.pending + 1 END,
    window_started_at = CASE WHEN ${WINDOW_ENDED} THEN :now ELSE login_failures.window_started_at END
  WHERE (login_failures.blocked_until IS NULL OR login_failures.blocked_until <= :now)
    AND (${WINDOW_ENDED} OR login_failures.failures + login_failures.pending < :maxFailures)
  RETURNING "key"`;

// Every SET expression reads the row as it was before the statement (SQL semantics on both databases).
const FREE_SLOT = 'pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END';
const REACHES_LIMIT = 'failures + 1 >= :maxFailures';

/**
 * The slot becomes a failure. Reaching the limit locks the key out for the lockout and starts a fresh count,
 * so each lockout needs a full new series.
 */
const FAILURE_SQL = `UPDATE login_failures SET
    failures = CASE WHEN ${REACHES_LIMIT} THEN 0 ELSE failures + 1 END,
    window_started_at = CASE WHEN ${REACHES_LIMIT} THEN :now ELSE window_started_at END,
    blocked_until = CASE WHEN ${REACHES_LIMIT} THEN :blockedUntil ELSE blocked_until END,
    ${FREE_SLOT}
  WHERE "key" = :key`;

const RELEASE_SQL = `UPDATE login_failures SET ${FREE_SLOT} WHERE "key" = :key`;
const RELEASE_AND_CLEAR_SQL = `UPDATE login_failures SET failures = 0, ${FREE_SLOT} WHERE "key" = :key`;

/**
 * Rows that no longer hold anything back: window ended, no lockout running, and no check in flight (a slot
 * left by a crashed check counts as ended after a second window).
 */
const PRUNABLE = `window_started_at <= :windowStart
  AND (blocked_until IS NULL OR blocked_until <= :now)
  AND (pending = 0 OR window_started_at <= :staleBefore)`;

function toCounter(entity: LoginFailureEntity): FailureCounter {
  return {
    failures: entity.failures,
    pending: entity.pending,
    windowStartedAt: entity.windowStartedAt.getTime(),
    blockedUntil: entity.blockedUntil?.getTime() ?? null,
  };
}

/** The sign-in counters (`login_failures`); every change is one atomic statement. */
@Injectable()
export class LoginFailuresRepository {
  constructor(
    @InjectRepository(LoginFailureEntity) private readonly failures: Repository<LoginFailureEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async find(key: string): Promise<FailureCounter | null> {
    const entity = await this.failures.findOneBy({ key });
    return entity === null ? null : toCounter(entity);
  }

  /** True when a slot was taken: the caller may check one password and must then fail, succeed or release. */
  async reserve(key: string, rule: ThrottleRule, nowMs: number): Promise<boolean> {
    const rows = await queryRows(this.dataSource, RESERVE_SQL, {
      key,
      now: nowMs,
      windowStart: nowMs - rule.windowMs,
      maxFailures: rule.maxFailures,
    });
    return rows.length > 0;
  }

  async recordFailure(key: string, rule: ThrottleRule, nowMs: number): Promise<void> {
    await queryRows(this.dataSource, FAILURE_SQL, {
      key,
      now: nowMs,
      blockedUntil: nowMs + rule.lockoutMs,
      maxFailures: rule.maxFailures,
    });
  }

  /** Frees the slot without counting a failure; `clearFailures` also forgets the failures of the window. */
  async release(key: string, clearFailures = false): Promise<void> {
    await queryRows(this.dataSource, clearFailures ? RELEASE_AND_CLEAR_SQL : RELEASE_SQL, { key });
  }

  /** Deletes the rows that no longer count for anything; returns how many. */
  async prune(nowMs: number, windowMs: number): Promise<number> {
    const result = await this.failures
      .createQueryBuilder()
      .delete()
      .from(LoginFailureEntity)
      .where(PRUNABLE, {
        now: nowMs,
        windowStart: nowMs - windowMs,
        staleBefore: nowMs - 2 * windowMs,
      })
      .execute();
    return result.affected ?? 0;
  }
}
