import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

import { AccessTokenKey } from './access-token-key';
import { privatePassport } from './passport-authenticate';
import type { Principal } from './principal';
import { ACCESS_TOKEN_ALGORITHM, type AccessTokenClaims, SessionsService } from './sessions.service';

/**
 * `Authorization: Bearer <access token>`. The algorithm is pinned (no `none`, no key confusion). Expiry is
 * checked in validate against the injected Clock rather than by jsonwebtoken against the wall clock.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    key: AccessTokenKey,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key.secret,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      ignoreExpiration: true,
    });
  }

  getPassportInstance(): ReturnType<typeof privatePassport> {
    return privatePassport();
  }

  /** Null fails this strategy (the guard then tries the API key, then answers 401). */
  validate(claims: Partial<AccessTokenClaims>): Promise<Principal | null> {
    return this.sessions.principalOf(claims);
  }
}
