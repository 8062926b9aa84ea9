import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';

import { CompanyCredentialEntity } from './company-credential.entity';
import { MispAccountEntity } from './misp-account.entity';

// Everything but the key and created_at is replaced when a row is saved again.
const CREDENTIAL_OVERWRITE = [
  'kind',
  'api_key_sealed',
  'access_token_sealed',
  'refresh_token_sealed',
  'key_id',
  'last4',
  'expires_at',
  'status',
  'invalid_reason',
  'last_verified_at',
  'updated_at',
];
const MISP_ACCOUNT_OVERWRITE = [
  'email',
  'password_sealed',
  'vendor_user_id',
  'verified_at',
  'key_id',
  'updated_at',
];

@Injectable()
export class CredentialsRepository {
  constructor(
    @InjectRepository(CompanyCredentialEntity)
    private readonly credentials: Repository<CompanyCredentialEntity>,
    @InjectRepository(MispAccountEntity) private readonly mispAccounts: Repository<MispAccountEntity>,
  ) {}

  findBySubscriber(subscriberId: string): Promise<CompanyCredentialEntity | null> {
    return this.credentials.findOneBy({ subscriberId });
  }

  /** Insert or replace in one statement, so two concurrent saves cannot both try to insert. */
  async upsert(credential: CompanyCredentialEntity): Promise<void> {
    await this.credentials
      .createQueryBuilder()
      .insert()
      .values(credential)
      .orUpdate(CREDENTIAL_OVERWRITE, ['subscriber_id'])
      .execute();
  }

  async updateStatus(
    subscriberId: string,
    patch: Pick<CompanyCredentialEntity, 'status' | 'invalidReason' | 'updatedAt'> &
      Partial<Pick<CompanyCredentialEntity, 'lastVerifiedAt'>>,
  ): Promise<boolean> {
    const result = await this.credentials.update({ subscriberId }, patch);
    return (result.affected ?? 0) > 0;
  }

  async delete(subscriberId: string): Promise<boolean> {
    const result = await this.credentials.delete({ subscriberId });
    return (result.affected ?? 0) > 0;
  }

  findMispAccount(id: string): Promise<MispAccountEntity | null> {
    return this.mispAccounts.findOneBy({ id });
  }

  async upsertMispAccount(account: MispAccountEntity): Promise<void> {
    await this.mispAccounts
      .createQueryBuilder()
      .insert()
      .values(account)
      .orUpdate(MISP_ACCOUNT_OVERWRITE, ['id'])
      .execute();
  }
}
