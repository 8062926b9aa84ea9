import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { KeyRing } from './crypto/key-ring';
import { KeyRingLoader } from './key-ring.loader';
import { SealedRowsRepository } from './sealed-rows.repository';
import { VaultBootCheck } from './vault-boot-check';
import { VaultKeyEntity } from './vault-key.entity';
import { VaultKeysRepository } from './vault-keys.repository';
import { VaultRotationService } from './vault-rotation.service';
import { VaultService } from './vault.service';

/** The token vault: the key ring, sealing/opening, the boot check and rotation. */
@Module({
  imports: [TypeOrmModule.forFeature([VaultKeyEntity])],
  providers: [
    KeyRingLoader,
    { provide: KeyRing, inject: [KeyRingLoader], useFactory: (loader: KeyRingLoader) => loader.load() },
    VaultService,
    VaultKeysRepository,
    SealedRowsRepository,
    VaultBootCheck,
    VaultRotationService,
  ],
  exports: [VaultService, VaultRotationService],
})
export class VaultModule {}
