import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { Page, type PaginationQueryDto } from '../common/http/pagination';
import { Clock } from '../common/time/clock';
import { IdGenerator } from '../subscribers/id-generator';
import type { ApiKeyEntity } from './api-key.entity';
import { formatApiKey, parseApiKey } from './api-key-format';
import { ApiKeysRepository } from './api-keys.repository';
import type { Principal } from './principal';
import type { StaffRole } from './roles';
import { sameDigest, SecretTokens, sha256Hex } from './secret-tokens';

/** An API key as listed: never the secret or its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: StaffRole;
  createdBy: string | null;
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

// last_used_at is written at most this often per key, so a busy script does not write on every request.
const LAST_USED_RESOLUTION_MS = 60_000;

function toView(entity: ApiKeyEntity): ApiKeyView {
  return {
    id: entity.id,
    name: entity.name,
    role: entity.role,
    createdBy: entity.createdBy,
    expiresAt: entity.expiresAt,
    lastUsedAt: entity.lastUsedAt,
    revokedAt: entity.revokedAt,
    createdAt: entity.createdAt,
  };
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly secrets: SecretTokens,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  /** Creates a key; the returned `secret` is the only time it is ever shown. */
  async create(input: CreateApiKeyInput, creator: Principal): Promise<ApiKeyView & { secret: string }> {
    const now = this.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw AppError.validation([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    const secret = this.secrets.newSecret();
    const entity: ApiKeyEntity = {
      id: this.ids.newId(),
      name: input.name,
      role: input.role,
      createdBy: creator.staffId,
      secretHash: sha256Hex(secret),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: now,
    };
    await this.keys.insert(entity);
    return { ...toView(entity), secret: formatApiKey(entity.id, secret) };
  }

  async list(query: PaginationQueryDto): Promise<Page<ApiKeyView>> {
    const [items, total] = await this.keys.findPage(query.offset, query.pageSize);
    return Page.of(items.map(toView), total, query);
  }

  /** Takes effect on the next request: keys are looked up on every call. */
  async revoke(id: string): Promise<void> {
    if (!(await this.keys.revoke(id, this.clock.now()))) {
      throw AppError.notFound(`API key ${id}`);
    }
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
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.touchLastUsed(key.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS));
    }
    return {
      kind: 'api_key',
      id: key.id,
      staffId: key.createdBy,
      label: key.name,
      role: key.role,
      sessionId: null,
    };
  }
}
