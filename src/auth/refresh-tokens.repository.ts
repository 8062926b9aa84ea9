import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';

import { RefreshTokenEntity } from './refresh-token.entity';

@Injectable()
export class RefreshTokensRepository {
  constructor(
    @InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>,
  ) {}

  async insert(token: RefreshTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  /** Marks the token exchanged; false when it already was (a concurrent refresh won) or is revoked. */
  async markUsed(id: string, at: Date): Promise<boolean> {
    const result = await this.tokens.update({ id, usedAt: IsNull(), revokedAt: IsNull() }, { usedAt: at });
    return (result.affected ?? 0) > 0;
  }

  /** A session is live while its family has a token that is not revoked. */
  async isFamilyActive(familyId: string, staffId: string): Promise<boolean> {
    return this.tokens.existsBy({ familyId, staffId, revokedAt: IsNull() });
  }

  async revokeFamily(familyId: string, at: Date): Promise<void> {
    await this.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: at });
  }

  async revokeAllOf(staffId: string, at: Date): Promise<void> {
    await this.tokens.update({ staffId, revokedAt: IsNull() }, { revokedAt: at });
  }
}
