import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';

import { VaultKeyEntity } from './vault-key.entity';

@Injectable()
export class VaultKeysRepository {
  constructor(@InjectRepository(VaultKeyEntity) private readonly keys: Repository<VaultKeyEntity>) {}

  findAll(): Promise<VaultKeyEntity[]> {
    return this.keys.find({ order: { kid: 'ASC' } });
  }

  /** Records a kid's check value unless one is already there (two instances may boot at once). */
  async insertIfAbsent(record: VaultKeyEntity): Promise<void> {
    await this.keys.createQueryBuilder().insert().values(record).orIgnore().execute();
  }

  findByKid(kid: string): Promise<VaultKeyEntity | null> {
    return this.keys.findOneBy({ kid });
  }
}
