import { Injectable } from '@nestjs/common';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { Clock } from '../common/time/clock';
import { SubscribersService } from '../subscribers/subscribers.service';
import { VaultService } from '../vault/vault.service';
import { mispOwner, subscriberOwner } from '../vault/vault.types';
import type { CompanyCredentialEntity, CredentialKind, CredentialStatus } from './company-credential.entity';
import { CredentialsRepository } from './credentials.repository';
import type { MispAccountEntity } from './misp-account.entity';

export type { CredentialKind, CredentialStatus };

/**
 * What staff see of a credential: `stored` (never checked against iPaaS.com, e.g. saved with `verify=false`),
 * `valid` (iPaaS.com accepted it at `lastVerifiedAt`) or `invalid` (refused since).
 */
export type CredentialViewStatus = 'stored' | CredentialStatus;

export interface CredentialView {
  subscriberId: string;
  kind: CredentialKind;
  last4: string;
  keyId: string;
  expiresAt: Date | null;
  lastVerifiedAt: Date | null;
  status: CredentialViewStatus;
  invalidReason: string | null;
  updatedAt: Date;
}

export interface MispAccountView {
  email: string;
  vendorUserId: number | null;
  keyId: string;
  verifiedAt: Date | null;
  updatedAt: Date;
}

export type StoredCompanyCredential =
  | {
      kind: 'api_key';
      apiKey: string;
      /** When the key expires at iPaaS.com, if staff said (null: never / unknown). */
      expiresAt: Date | null;
      status: CredentialStatus;
      invalidReason: string | null;
    }
  | {
      kind: 'company_session';
      accessToken: string;
      refreshToken: string | null;
      expiresAt: Date;
      status: CredentialStatus;
      invalidReason: string | null;
    };

/** The MiSP has one iPaaS.com login; the table allows more, so the id is explicit. */
export const MISP_ACCOUNT_ID = 'default';

const MAX_SECRET_LENGTH = 8192;
const MAX_REASON_LENGTH = 500;
// A hint from a short secret would give away too much of it.
const MIN_LENGTH_FOR_HINT = 12;

function lastFour(secret: string): string {
  const characters = Array.from(secret);
  return characters.length >= MIN_LENGTH_FOR_HINT ? characters.slice(-4).join('') : '';
}

function checkSecret(field: string, value: string): void {
  if (value.length === 0 || value.length > MAX_SECRET_LENGTH) {
    throw AppError.validation([{ field, message: `${field} must be 1-${MAX_SECRET_LENGTH} characters` }]);
  }
}

function toView(entity: CompanyCredentialEntity): CredentialView {
  return {
    subscriberId: entity.subscriberId,
    kind: entity.kind,
    last4: entity.last4,
    keyId: entity.keyId,
    expiresAt: entity.expiresAt,
    lastVerifiedAt: entity.lastVerifiedAt,
    status: entity.status === 'valid' && entity.lastVerifiedAt === null ? 'stored' : entity.status,
    invalidReason: entity.invalidReason,
    updatedAt: entity.updatedAt,
  };
}

function toMispView(entity: MispAccountEntity): MispAccountView {
  return {
    email: entity.email,
    vendorUserId: entity.vendorUserId,
    keyId: entity.keyId,
    verifiedAt: entity.verifiedAt,
    updatedAt: entity.updatedAt,
  };
}

/**
 * What Tenantry stores to act at iPaaS.com: the MiSP login and one token per subscriber company. Secrets go
 * in and out only through the vault; views carry metadata only. Decrypted values exist in memory only.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly subscribers: SubscribersService,
    private readonly vault: VaultService,
    private readonly clock: Clock,
  ) {}

  async getMispAccount(): Promise<MispAccountView | null> {
    const entity = await this.credentials.findMispAccount(MISP_ACCOUNT_ID);
    return entity === null ? null : toMispView(entity);
  }

  async saveMispLogin(input: {
    email: string;
    password: string;
    vendorUserId: number | null;
    verifiedAt: Date | null;
  }): Promise<MispAccountView> {
    checkSecret('password', input.password);
    const now = this.clock.now();
    const entity: MispAccountEntity = {
      id: MISP_ACCOUNT_ID,
      email: input.email,
      passwordSealed: this.vault.seal(
        { owner: mispOwner(MISP_ACCOUNT_ID), kind: 'misp_password' },
        input.password,
      ),
      vendorUserId: input.vendorUserId,
      verifiedAt: input.verifiedAt,
      keyId: this.vault.activeKeyId,
      // On replace the upsert keeps the row's created_at (it is not among the overwritten columns).
      createdAt: now,
      updatedAt: now,
    };
    await this.credentials.upsertMispAccount(entity);
    return toMispView(entity);
  }

  async loadMispLogin(): Promise<{ email: string; password: string; vendorUserId: number | null } | null> {
    const entity = await this.credentials.findMispAccount(MISP_ACCOUNT_ID);
    if (entity === null) {
      return null;
    }
    const password = this.vault.open(
      { owner: mispOwner(entity.id), kind: 'misp_password' },
      entity.passwordSealed,
    );
    return { email: entity.email, password, vendorUserId: entity.vendorUserId };
  }

  async getCredential(subscriberId: string): Promise<CredentialView> {
    return toView(await this.requireCredential(subscriberId));
  }

  /** Replaces any existing credential of the company (a session included) with a staff-supplied API key. */
  /** `expiresAt`: when the key expires at iPaaS.com, if the staff who stored it said (null: never / unknown). */
  async saveApiKey(
    subscriberId: string,
    apiKey: string,
    verifiedAt: Date | null,
    expiresAt: Date | null = null,
  ): Promise<CredentialView> {
    checkSecret('apiKey', apiKey);
    const owner = subscriberOwner(subscriberId);
    return this.store(subscriberId, {
      kind: 'api_key',
      apiKeySealed: this.vault.seal({ owner, kind: 'company_api_key' }, apiKey),
      accessTokenSealed: null,
      refreshTokenSealed: null,
      last4: lastFour(apiKey),
      expiresAt,
      lastVerifiedAt: verifiedAt,
    });
  }

  /** Stores a session minted through ChangeCompany (or refreshed); minting it proved it valid. */
  async saveCompanySession(
    subscriberId: string,
    session: { accessToken: string; refreshToken: string | null; expiresAt: Date },
  ): Promise<void> {
    checkSecret('accessToken', session.accessToken);
    if (session.refreshToken !== null) {
      checkSecret('refreshToken', session.refreshToken);
    }
    const owner = subscriberOwner(subscriberId);
    await this.store(subscriberId, {
      kind: 'company_session',
      apiKeySealed: null,
      accessTokenSealed: this.vault.seal({ owner, kind: 'company_access_token' }, session.accessToken),
      refreshTokenSealed:
        session.refreshToken === null
          ? null
          : this.vault.seal({ owner, kind: 'company_refresh_token' }, session.refreshToken),
      last4: lastFour(session.accessToken),
      expiresAt: session.expiresAt,
      lastVerifiedAt: this.clock.now(),
    });
  }

  /** The decrypted credential, or null when the company has none. Throws VAULT_DECRYPT_FAILED on tampering. */
  async loadCompanyCredential(subscriberId: string): Promise<StoredCompanyCredential | null> {
    const entity = await this.credentials.findBySubscriber(subscriberId);
    if (entity === null) {
      return null;
    }
    const owner = subscriberOwner(entity.subscriberId);
    const { status, invalidReason } = entity;
    switch (entity.kind) {
      case 'api_key':
        return {
          kind: 'api_key',
          apiKey: this.vault.open({ owner, kind: 'company_api_key' }, this.sealed(entity.apiKeySealed)),
          expiresAt: entity.expiresAt,
          status,
          invalidReason,
        };
      case 'company_session':
        return {
          kind: 'company_session',
          accessToken: this.vault.open(
            { owner, kind: 'company_access_token' },
            this.sealed(entity.accessTokenSealed),
          ),
          refreshToken:
            entity.refreshTokenSealed === null
              ? null
              : this.vault.open({ owner, kind: 'company_refresh_token' }, entity.refreshTokenSealed),
          // A session row is always written with its expiry; epoch 0 (already expired) forces a re-mint.
          expiresAt: entity.expiresAt ?? new Date(0),
          status,
          invalidReason,
        };
    }
  }

  /** After a vendor 401 that a refresh did not cure: no further calls for the company until staff fix it. */
  async markCredentialInvalid(subscriberId: string, reason: string): Promise<void> {
    const updated = await this.credentials.updateStatus(subscriberId, {
      status: 'invalid',
      invalidReason: Array.from(reason).slice(0, MAX_REASON_LENGTH).join(''),
      updatedAt: this.clock.now(),
    });
    if (!updated) {
      throw AppError.notFound(`Credential of subscriber ${subscriberId}`);
    }
  }

  async markCredentialVerified(subscriberId: string, at: Date): Promise<void> {
    const updated = await this.credentials.updateStatus(subscriberId, {
      status: 'valid',
      invalidReason: null,
      lastVerifiedAt: at,
      updatedAt: this.clock.now(),
    });
    if (!updated) {
      throw AppError.notFound(`Credential of subscriber ${subscriberId}`);
    }
  }

  async deleteCredential(subscriberId: string): Promise<void> {
    await this.subscribers.get(subscriberId);
    if (!(await this.credentials.delete(subscriberId))) {
      throw AppError.notFound(`Credential of subscriber ${subscriberId}`);
    }
  }

  private async requireCredential(subscriberId: string): Promise<CompanyCredentialEntity> {
    await this.subscribers.get(subscriberId);
    const entity = await this.credentials.findBySubscriber(subscriberId);
    if (entity === null) {
      throw AppError.notFound(`Credential of subscriber ${subscriberId}`);
    }
    return entity;
  }

  /** Writes the company's one credential row, valid, under the active key (insert or replace). */
  private async store(
    subscriberId: string,
    secret: Pick<
      CompanyCredentialEntity,
      | 'kind'
      | 'apiKeySealed'
      | 'accessTokenSealed'
      | 'refreshTokenSealed'
      | 'last4'
      | 'expiresAt'
      | 'lastVerifiedAt'
    >,
  ): Promise<CredentialView> {
    await this.subscribers.get(subscriberId);
    const now = this.clock.now();
    const entity: CompanyCredentialEntity = {
      subscriberId,
      ...secret,
      keyId: this.vault.activeKeyId,
      status: 'valid',
      invalidReason: null,
      // On replace the upsert keeps the row's created_at (it is not among the overwritten columns).
      createdAt: now,
      updatedAt: now,
    };
    await this.credentials.upsert(entity);
    return toView(entity);
  }

  private sealed(envelope: string | null): string {
    // The kind column says which sealed column is set; a row that disagrees is damaged, like a bad envelope.
    if (envelope === null) {
      throw new AppError(ErrorCode.VAULT_DECRYPT_FAILED, 'A stored secret could not be decrypted');
    }
    return envelope;
  }
}
