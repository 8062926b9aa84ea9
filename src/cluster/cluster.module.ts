import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { IpaasModule } from '../ipaas/ipaas.module';
import { ClusterLeaseEntity } from './cluster-lease.entity';
import { ClusterLeasesRepository } from './cluster-leases.repository';
import { ClusterLeases } from './cluster-leases.service';
import { FleetMembership } from './fleet-membership.service';

/** Coordination between instances on one PostgreSQL database; global because scheduled work everywhere uses it. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ClusterLeaseEntity]), IpaasModule],
  providers: [ClusterLeasesRepository, ClusterLeases, FleetMembership],
  exports: [ClusterLeases],
})
export class ClusterModule {}
