import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AccessGuard } from './access.guard';
import { AccessTokenKey } from './access-token-key';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthController } from './auth.controller';
import { FirstAdminService, Terminal } from './first-admin.service';
import { JwtStrategy } from './jwt.strategy';
import { LocalStrategy } from './local.strategy';
import { LoginFailureEntity } from './login-failure.entity';
import { LoginFailuresRepository } from './login-failures.repository';
import { LoginGuard } from './login.guard';
import { LoginThrottleService } from './login-throttle.service';
import { LoginMetrics } from './login.metrics';
import { LoginService } from './login.service';
import { SessionsService } from './sessions.service';
import { StaffController } from './staff.controller';
import { StaffAccessService } from './staff-access.service';
import { StaffModule } from './staff.module';

/**
 * Staff sign-in (JWT + rotating refresh tokens), API keys, roles, and the global deny-by-default guard.
 * The signing key is passed per call (AccessTokenKey), so JwtModule only pins the algorithm.
 */
@Module({
  imports: [
    StaffModule,
    TypeOrmModule.forFeature([ApiKeyEntity, LoginFailureEntity]),
    JwtModule.register({ signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } }),
  ],
  controllers: [AuthController, StaffController, ApiKeysController],
  providers: [
    AccessTokenKey,
    SessionsService,
    LoginService,
    LoginThrottleService,
    LoginMetrics,
    LoginFailuresRepository,
    ApiKeysService,
    StaffAccessService,
    ApiKeysRepository,
    JwtStrategy,
    ApiKeyStrategy,
    LocalStrategy,
    LoginGuard,
    FirstAdminService,
    Terminal,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}
