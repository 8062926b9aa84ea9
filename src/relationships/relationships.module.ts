import { Module } from '@nestjs/common';

import { CompanyContextModule } from '../company-context/company-context.module';
import { CredentialsModule } from '../credentials/credentials.module';
import { IpaasModule } from '../ipaas/ipaas.module';
import { SubscribersModule } from '../subscribers/subscribers.module';
import { CompanyRegistration } from './company-registration';
import { MispListing } from './misp-listing';
import { MispVendorService } from './misp-vendor.service';
import { RelationshipsController } from './relationships.controller';
import { RelationshipsService } from './relationships.service';

@Module({
  imports: [IpaasModule, CompanyContextModule, CredentialsModule, SubscribersModule],
  controllers: [RelationshipsController],
  providers: [RelationshipsService, MispVendorService, MispListing, CompanyRegistration],
  exports: [MispVendorService, RelationshipsService, CompanyRegistration],
})
export class RelationshipsModule {}
