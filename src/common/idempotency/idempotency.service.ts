import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';

import type { Principal } from '../../auth/principal';
import { AppConfig } from '../../config/app-config';
import { isUniqueViolation } from '../../database/unique-violation';
import { IdGenerator } from '../../subscribers/id-generator';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { Clock } from '../time/clock';
import { fingerprintOf } from '../canonical-json';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

// Visible ASCII, at most 255 characters (Stripe's limit; a v4 UUID is the usual choice).
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/**
 * An execution still `in_progress` this long after it took the key is taken to have died with its process
 * (its transaction rolled back); a retry may then take the key over. The late original, if alive after all,
 * fails to store its response (the lock token changed) and its transaction rolls back.
 */
const ABANDONED_AFTER_MS = 60_000;
/** Expired keys are deleted at most this often per instance (on the next request with a key). */
const PRUNE_EVERY_MS = 60_000;

export interface IdempotentRequest {
  /** Who sent the key (idempotencyScopeOf): keys of different callers never meet. */
  scope: string;
  /** The header value; undefined: the request is simply executed. */
  key: string | undefined;
  /** What the key stands for: method, route and body (fingerprintOf). */
  fingerprint: string;
}

export interface IdempotentResponse<T> {
  status: number;
  body: T;
}

export interface IdempotentOutcome<T> extends IdempotentResponse<T> {
  /** True when this is the stored answer of an earlier execution. */
  replayed: boolean;
}

/**
 * Stores the response in the caller's own transaction, so the effect and its replay commit or roll back
 * together (one atomic phase: a retry after a crash can never both miss the response and redo the work).
 */
export type RecordResponse = (manager: EntityManager, response: IdempotentResponse<unknown>) => Promise<void>;

/** The scope of a caller's keys. */
export function idempotencyScopeOf(principal: Pick<Principal, 'kind' | 'id'>): string {
  return `${principal.kind}:${principal.id}`;
}

/** The fingerprint of a request: the same key may only ever stand for this exact request. */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return fingerprintOf({ method, route, body: body ?? null });
}

interface Claim {
  scope: string;
  key: string;
  lockToken: string;
}

/**
 * Stripe-style idempotency keys. The first request with a key executes and its response is stored; the same
 * key with the same request replays that response (`Idempotent-Replayed: true`); with another request it is
 * refused (422 IDEMPOTENCY_KEY_REUSED); while the first is still executing, 409 IDEMPOTENCY_KEY_IN_USE. Keys
 * are kept IDEMPOTENCY_TTL_HOURS by the Clock. A request that fails stores nothing and releases its key: its
 * work rolled back with the same transaction that would have stored the response, so a retry must execute.
 */
@Injectable()
export class IdempotencyService {
  private lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** The header value, checked; undefined when absent. */
  static parseKey(header: string | string[] | undefined): string | undefined {
    if (header === undefined) {
      return undefined;
    }
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw AppError.validation([
        {
          field: IDEMPOTENCY_KEY_HEADER,
          message: `${IDEMPOTENCY_KEY_HEADER} must be 1-255 visible ASCII characters (a UUID is best)`,
        },
      ]);
    }
    return header;
  }

  /**
   * Runs `work` once per key. `work` should call `record` inside the transaction that makes its effect; when
   * it does not, the response is stored right after it returns.
   */
  async execute<T>(
    request: IdempotentRequest,
    work: (record: RecordResponse) => Promise<IdempotentResponse<T>>,
  ): Promise<IdempotentOutcome<T>> {
    if (request.key === undefined) {
      return { ...(await work(() => Promise.resolve())), replayed: false };
    }
    const claimed = await this.claim({ ...request, key: request.key });
    if ('replayed' in claimed) {
      return claimed as IdempotentOutcome<T>;
    }
    let recorded = false;
    try {
      const response = await work(async (manager, answer) => {
        await this.complete(manager, claimed, answer);
        recorded = true;
      });
      if (!recorded) {
        await this.complete(this.keys.manager, claimed, response);
      }
      return { ...response, replayed: false };
    } catch (error) {
      await this.release(claimed);
      throw error;
    }
  }

  private async claim(
    request: IdempotentRequest & { key: string },
  ): Promise<Claim | IdempotentOutcome<unknown>> {
    const now = this.clock.nowMs();
    await this.pruneExpired(now);
    const { scope, key } = request;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const lockToken = this.ids.newId();
      if (await this.tryInsert({ scope, key, fingerprint: request.fingerprint, lockToken }, now)) {
        return { scope, key, lockToken };
      }
      const existing = await this.keys.findOneBy({ scope, key });
      if (existing === null) {
        continue;
      }
      if (existing.expiresAt.getTime() <= now) {
        await this.deleteExpired(now, { scope, key });
        continue;
      }
      if (existing.fingerprint !== request.fingerprint) {
        throw new AppError(
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          `${IDEMPOTENCY_KEY_HEADER} ${key} was used with a different request; use a new key for a new request`,
        );
      }
      if (existing.state === 'completed') {
        return {
          status: existing.responseStatus ?? 200,
          body: JSON.parse(existing.responseBody ?? 'null') as unknown,
          replayed: true,
        };
      }
      if (existing.lockedAt.getTime() + ABANDONED_AFTER_MS > now) {
        throw new AppError(
          ErrorCode.IDEMPOTENCY_KEY_IN_USE,
          `A request with ${IDEMPOTENCY_KEY_HEADER} ${key} is still being processed`,
          { headers: { 'Retry-After': '1' } },
        );
      }
      const takenOver = await this.keys.update(
        { scope, key, lockToken: existing.lockToken, state: 'in_progress' },
        { lockToken, lockedAt: new Date(now) },
      );
      if ((takenOver.affected ?? 0) > 0) {
        return { scope, key, lockToken };
      }
    }
    throw new AppError(
      ErrorCode.IDEMPOTENCY_KEY_IN_USE,
      `A request with ${IDEMPOTENCY_KEY_HEADER} ${key} is being processed concurrently`,
      { headers: { 'Retry-After': '1' } },
    );
  }

  private async tryInsert(
    row: Pick<IdempotencyKeyEntity, 'scope' | 'key' | 'fingerprint' | 'lockToken'>,
    now: number,
  ): Promise<boolean> {
    try {
      await this.keys.insert({
        ...row,
        state: 'in_progress',
        lockedAt: new Date(now),
        responseStatus: null,
        responseBody: null,
        createdAt: new Date(now),
        expiresAt: new Date(now + this.config.idempotency.ttlMs),
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Stores the response, only if this execution still holds the key (else its transaction must roll back). */
  private async complete(
    manager: EntityManager,
    claim: Claim,
    response: IdempotentResponse<unknown>,
  ): Promise<void> {
    const result = await manager
      .createQueryBuilder()
      .update(IdempotencyKeyEntity)
      .set({
        state: 'completed',
        responseStatus: response.status,
        responseBody: JSON.stringify(response.body ?? null),
      })
      .where('scope = :scope AND idempotency_key = :key AND lock_token = :lockToken', claim)
      .andWhere("state = 'in_progress'")
      .execute();
    if ((result.affected ?? 0) === 0) {
      throw new AppError(
        ErrorCode.IDEMPOTENCY_KEY_IN_USE,
        `${IDEMPOTENCY_KEY_HEADER} ${claim.key} was taken over by a retry while this request ran`,
      );
    }
  }

  /** Frees a key whose execution failed (nothing was stored), unless its response is already stored. */
  private async release(claim: Claim): Promise<void> {
    await this.keys.delete({
      scope: claim.scope,
      key: claim.key,
      lockToken: claim.lockToken,
      state: 'in_progress',
    });
  }

  private async pruneExpired(now: number): Promise<void> {
    if (now - this.lastPruneMs < PRUNE_EVERY_MS) {
      return;
    }
    this.lastPruneMs = now;
    await this.deleteExpired(now);
  }

  private async deleteExpired(now: number, only?: { scope: string; key: string }): Promise<void> {
    const query = this.keys.createQueryBuilder().delete().where('expires_at <= :now', { now });
    if (only !== undefined) {
      query.andWhere('scope = :scope AND idempotency_key = :key', only);
    }
    await query.execute();
  }
}
