import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { IdGenerator } from '../subscribers/id-generator';
import { PasswordHasher } from './password-hasher';
import { RefreshTokenEntity } from './refresh-token.entity';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SecretTokens } from './secret-tokens';
import { StaffUserEntity } from './staff-user.entity';
import { StaffService } from './staff.service';
import { StaffUsersRepository } from './staff-users.repository';

/** Staff users without the HTTP side: what the CLI (`staff:create`) needs, and the base of AuthModule. */
@Module({
  imports: [TypeOrmModule.forFeature([StaffUserEntity, RefreshTokenEntity])],
  providers: [
    StaffService,
    StaffUsersRepository,
    RefreshTokensRepository,
    // Built here rather than by injection: its optional constructor argument is for tests only.
    { provide: PasswordHasher, useValue: new PasswordHasher() },
    SecretTokens,
    IdGenerator,
  ],
  exports: [
    StaffService,
    StaffUsersRepository,
    RefreshTokensRepository,
    PasswordHasher,
    SecretTokens,
    IdGenerator,
  ],
})
export class StaffModule {}
