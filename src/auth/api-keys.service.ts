import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import type { AuditContext } from '../audit/audit-context';
import { AuditService } from '../audit/audit.service';
import { AppError, type FieldProblem } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import type { ApiKeyEntity } from './api-key.entity';
import { formatApiKey, parseApiKey } from './api-key-format';
import { ApiKeysRepository } from './api-keys.repository';
import type { Principal } from './principal';
import { lowerRole, roleAllows, type StaffRole } from './roles';
import { sameDigest, SecretTokens, sha256Hex } from './secret-tokens';
import type { StaffUserEntity } from './staff-user.entity';
import { StaffUsersRepository } from './staff-users.repository';

export const API_KEY_STATUSES = ['active', 'revoked', 'expired', 'ownerless', 'owner_disabled'] as const;
/** Why a key works or not: `ownerless` once its owner was deleted, `owner_disabled` while the owner is. */
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/** The owner of a key as admins see it. */
export interface ApiKeyOwnerView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
}

/** An API key as listed: never the secret or its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  /** The role stored on the key (lowered when its owner was demoted or it was transferred). */
  role: StaffRole;
  /** What the key may do right now: its role capped by its owner's; null unless `status` is active. */
  effectiveRole: StaffRole | null;
  status: ApiKeyStatus;
  createdBy: string | null;
  ownerId: string | null;
  owner: ApiKeyOwnerView | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface CreateApiKeyInput {
  name: string;
  role: StaffRole;
  expiresAt?: Date;
}

/** What to do with the keys of a staff user being deleted (`DELETE /v1/staff/{id}?keys=…`). */
export type KeyDisposal = { kind: 'revoke' } | { kind: 'transfer'; toStaffId: string };

/** One change made to a key because of its owner; audited once the change is committed. */
export interface KeyChange {
  action: 'api_key.revoked' | 'api_key.transferred' | 'api_key.capped';
  key: ApiKeyEntity;
  details: Record<string, unknown>;
}

// last_used_at is written at most this often per key, so a busy script does not write on every request.
const LAST_USED_RESOLUTION_MS = 60_000;

function ownerView(owner: StaffUserEntity): ApiKeyOwnerView {
  return { id: owner.id, email: owner.email, name: owner.name, role: owner.role, disabled: owner.disabled };
}

function statusOf(key: ApiKeyEntity, owner: StaffUserEntity | null, now: Date): ApiKeyStatus {
  if (key.revokedAt !== null) {
    return 'revoked';
  }
  if (key.expiresAt !== null && key.expiresAt <= now) {
    return 'expired';
  }
  if (owner === null) {
    return 'ownerless';
  }
  return owner.disabled ? 'owner_disabled' : 'active';
}

function toView(key: ApiKeyEntity, owner: StaffUserEntity | null, now: Date): ApiKeyView {
  const status = statusOf(key, owner, now);
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    effectiveRole: status === 'active' && owner !== null ? lowerRole(key.role, owner.role) : null,
    status,
    createdBy: key.createdBy,
    ownerId: key.ownerId,
    owner: owner === null ? null : ownerView(owner),
    expiresAt: key.expiresAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
    createdAt: key.createdAt,
  };
}

/**
 * Staff API keys. A key belongs to a staff user (its owner: the creator, unless transferred) and never does
 * more than that person may: every request re-reads the owner, refuses the key while the owner is disabled
 * or once the owner is deleted, and caps the key's role at the owner's current one.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly staff: StaffUsersRepository,
    private readonly secrets: SecretTokens,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key owned by the caller's staff user; the returned `secret` is the only time it is shown. */
  async create(input: CreateApiKeyInput, creator: Principal): Promise<ApiKeyView & { secret: string }> {
    const now = this.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw AppError.validation([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    if (!roleAllows(creator.role, input.role)) {
      throw new AppError(ErrorCode.FORBIDDEN, `A key cannot have more than your role (${creator.role})`);
    }
    const owner = creator.staffId === null ? null : await this.staff.findById(creator.staffId);
    if (owner === null) {
      throw new AppError(ErrorCode.FORBIDDEN, 'Only a caller acting for a staff user can create API keys');
    }
    const secret = this.secrets.newSecret();
    const entity: ApiKeyEntity = {
      id: this.ids.newId(),
      name: input.name,
      role: input.role,
      createdBy: owner.id,
      ownerId: owner.id,
      secretHash: sha256Hex(secret),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: now,
    };
    await this.keys.insert(entity);
    return { ...toView(entity, owner, now), secret: formatApiKey(entity.id, secret) };
  }

  async list(query: PaginationQueryDto): Promise<Page<ApiKeyView>> {
    const [items, total] = await this.keys.findPage(query.offset, query.pageSize);
    const owners = await this.ownersOf(items);
    const now = this.clock.now();
    return Page.of(
      items.map((key) => toView(key, owners.get(key.ownerId ?? '') ?? null, now)),
      total,
      query,
    );
  }

  /** Takes effect on the next request: keys are looked up on every call. */
  async revoke(id: string): Promise<void> {
    if (!(await this.keys.revoke(id, this.clock.now()))) {
      throw AppError.notFound(`API key ${id}`);
    }
  }

  /**
   * Gives a key to another staff user, e.g. the successor of someone leaving, or adopts an ownerless one. The
   * key keeps its secret; its role is capped at the new owner's. Revoked and expired keys are not transferred.
   */
  async transfer(id: string, toStaffId: string, context: AuditContext): Promise<ApiKeyView> {
    const key = await this.keys.findById(id);
    if (key === null) {
      throw AppError.notFound(`API key ${id}`);
    }
    const now = this.clock.now();
    const status = statusOf(key, null, now);
    if (status === 'revoked' || status === 'expired') {
      throw new AppError(ErrorCode.CONFLICT, `API key ${id} is ${status}; create a new key instead`);
    }
    const target = await this.enabledStaff(toStaffId, {
      field: 'ownerId',
      message: 'ownerId must name an enabled staff user',
    });
    const role = lowerRole(key.role, target.role);
    if (!(await this.keys.reassign(key.id, target.id, role))) {
      throw new AppError(ErrorCode.CONFLICT, `API key ${id} was revoked meanwhile`);
    }
    await this.recordChanges([this.transferChange(key, target, role, 'transferred')], context);
    const moved = { ...key, ownerId: target.id, role };
    return toView(moved, target, now);
  }

  /** The principal of an `X-API-Key` value, or null when it is malformed, unknown, wrong, revoked or expired. */
  async authenticate(presented: string): Promise<Principal | null> {
    const parsed = parseApiKey(presented);
    if (parsed === null) {
      return null;
    }
    const key = await this.keys.findById(parsed.id);
    if (key === null || !sameDigest(sha256Hex(parsed.secret), key.secretHash)) {
      return null;
    }
    const now = this.clock.now();
    if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) {
      return null;
    }
    // Read on every request, like a JWT's staff user: a disabled, deleted or demoted owner counts at once.
    const owner = key.ownerId === null ? null : await this.staff.findById(key.ownerId);
    if (owner === null || owner.disabled) {
      return null;
    }
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.touchLastUsed(key.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS));
    }
    return {
      kind: 'api_key',
      id: key.id,
      staffId: owner.id,
      label: key.name,
      role: lowerRole(key.role, owner.role),
      sessionId: null,
    };
  }

  // ---- Consequences of changes to the owner (StaffAccessService) -------------------------------------

  /** The owner's keys that are neither revoked nor expired. */
  liveKeysOf(ownerId: string, manager?: EntityManager): Promise<ApiKeyEntity[]> {
    return this.keys.findLiveOf(ownerId, this.clock.now(), manager);
  }

  /**
   * After a demotion: lowers the stored role of the owner's keys above `role`, so the listing shows what
   * authentication already enforces; re-promoting the owner does not raise them again (make a new key).
   */
  async capKeysOf(ownerId: string, role: StaffRole, context: AuditContext): Promise<void> {
    const above = (await this.liveKeysOf(ownerId)).filter((key) => !roleAllows(role, key.role));
    await this.keys.setRole(
      above.map((key) => key.id),
      role,
    );
    await this.recordChanges(
      above.map((key) => ({
        action: 'api_key.capped',
        key,
        details: { reason: 'owner_demoted', ownerId, fromRole: key.role, toRole: role },
      })),
      context,
    );
  }

  /** Records that the owner's keys stopped (disabled) or started (enabled again) working with their owner. */
  async recordOwnerDisabled(ownerId: string, disabled: boolean, context: AuditContext): Promise<void> {
    for (const key of await this.liveKeysOf(ownerId)) {
      await this.audit.record({
        actor: context.actor,
        action: disabled ? 'api_key.suspended' : 'api_key.resumed',
        target: `apiKey=${key.id}`,
        requestId: context.requestId,
        outcome: 'success',
        details: { reason: disabled ? 'owner_disabled' : 'owner_enabled', ownerId, name: key.name },
      });
    }
  }

  /**
   * Revokes or transfers the live keys of an owner about to be deleted, inside the deleting transaction;
   * returns what changed, for `recordChanges` once committed.
   */
  async disposeKeysOf(ownerId: string, disposal: KeyDisposal, manager: EntityManager): Promise<KeyChange[]> {
    const live = await this.liveKeysOf(ownerId, manager);
    if (disposal.kind === 'revoke') {
      await this.keys.revokeMany(
        live.map((key) => key.id),
        this.clock.now(),
        manager,
      );
      return live.map((key) => ({
        action: 'api_key.revoked',
        key,
        details: { reason: 'owner_deleted', ownerId, name: key.name },
      }));
    }
    const target = await this.enabledStaff(
      disposal.toStaffId,
      {
        field: 'keys',
        message: 'keys=transfer:<id> must name an enabled staff user other than the one deleted',
      },
      ownerId,
    );
    const changes: KeyChange[] = [];
    for (const key of live) {
      const role = lowerRole(key.role, target.role);
      if (await this.keys.reassign(key.id, target.id, role, manager)) {
        changes.push(this.transferChange(key, target, role, 'owner_deleted'));
      }
    }
    return changes;
  }

  async recordChanges(changes: KeyChange[], context: AuditContext): Promise<void> {
    for (const change of changes) {
      await this.audit.record({
        actor: context.actor,
        action: change.action,
        target: `apiKey=${change.key.id}`,
        requestId: context.requestId,
        outcome: 'success',
        details: change.details,
      });
    }
  }

  private transferChange(
    key: ApiKeyEntity,
    target: StaffUserEntity,
    role: StaffRole,
    reason: 'transferred' | 'owner_deleted',
  ): KeyChange {
    return {
      action: 'api_key.transferred',
      key,
      details: {
        reason,
        name: key.name,
        fromOwnerId: key.ownerId,
        toOwnerId: target.id,
        fromRole: key.role,
        toRole: role,
      },
    };
  }

  /** A staff user who may own keys: exists and is enabled (and is not `excluded`, the one leaving). */
  private async enabledStaff(id: string, problem: FieldProblem, excluded?: string): Promise<StaffUserEntity> {
    const user = id === excluded ? null : await this.staff.findById(id);
    if (user === null || user.disabled) {
      throw AppError.validation([problem]);
    }
    return user;
  }

  private async ownersOf(keys: ApiKeyEntity[]): Promise<Map<string, StaffUserEntity>> {
    const ids = [...new Set(keys.flatMap((key) => (key.ownerId === null ? [] : [key.ownerId])))];
    return new Map((await this.staff.findByIds(ids)).map((user) => [user.id, user]));
  }
}
