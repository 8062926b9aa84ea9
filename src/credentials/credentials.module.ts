import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { SubscribersModule } from '../subscribers/subscribers.module';
import { VaultModule } from '../vault/vault.module';
import { CompanyCredentialEntity } from './company-credential.entity';
import { CredentialsController } from './credentials.controller';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';
import { MispAccountController } from './misp-account.controller';
import { MispAccountEntity } from './misp-account.entity';

@Module({
  imports: [
    TypeOrmModule.forFeature([CompanyCredentialEntity, MispAccountEntity]),
    SubscribersModule,
    VaultModule,
  ],
  controllers: [CredentialsController, MispAccountController],
  providers: [CredentialsService, CredentialsRepository],
  exports: [CredentialsService],
})
export class CredentialsModule {}
