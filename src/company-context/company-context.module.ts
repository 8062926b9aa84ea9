import { Module } from '@nestjs/common';

import { CredentialsModule } from '../credentials/credentials.module';
import { IpaasModule } from '../ipaas/ipaas.module';
import { SubscribersModule } from '../subscribers/subscribers.module';
import { CompanyContextController } from './company-context.controller';
import { CompanyContextService } from './company-context.service';
import { CompanyTokensService } from './company-tokens.service';
import { CompanyVendorService } from './company-vendor.service';

@Module({
  imports: [IpaasModule, CredentialsModule, SubscribersModule],
  controllers: [CompanyContextController],
  providers: [CompanyTokensService, CompanyVendorService, CompanyContextService],
  exports: [CompanyTokensService, CompanyVendorService],
})
export class CompanyContextModule {}
