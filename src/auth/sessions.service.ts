import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { IdGenerator } from '../subscribers/id-generator';
import { AccessTokenKey } from './access-token-key';
import { unauthorized } from './auth-errors';
import { staffPrincipal, type Principal } from './principal';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { STAFF_ROLES, type StaffRole } from './roles';
import { SecretTokens, sha256Hex } from './secret-tokens';
import { StaffUsersRepository } from './staff-users.repository';

export const ACCESS_TOKEN_ALGORITHM = 'HS256';

/** What `POST /v1/auth/login` and `/refresh` answer (OAuth 2.0 token response names). */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** The claims of an access token. */
export interface AccessTokenClaims {
  sub: string;
  role: StaffRole;
  /** The session: the refresh-token family, so logout or theft detection ends the token at once. */
  sid: string;
  iat: number;
  exp: number;
}

const INVALID_REFRESH = 'The refresh token is not valid; sign in again';

/** Sign-in sessions: access tokens (JWT), rotating refresh tokens, logout. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly staff: StaffUsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly jwt: JwtService,
    private readonly key: AccessTokenKey,
    private readonly secrets: SecretTokens,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @InjectPinoLogger(SessionsService.name) private readonly logger: PinoLogger,
  ) {}

  /** Starts a session (a new refresh-token family) for a user whose password was just checked. */
  async start(user: { id: string; role: StaffRole }): Promise<TokenPair> {
    return this.issue(user, this.ids.newId());
  }

  /**
   * Exchanges a refresh token for a new pair. A token that was already exchanged means it was copied: the
   * whole family is revoked, so both the thief and the user must sign in again.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const token = await this.refreshTokens.findByHash(sha256Hex(refreshToken));
    const now = this.clock.now();
    if (token === null || token.revokedAt !== null || token.expiresAt <= now) {
      throw this.invalidRefresh();
    }
    if (token.usedAt !== null || !(await this.refreshTokens.markUsed(token.id, now))) {
      await this.refreshTokens.revokeFamily(token.familyId, now);
      this.logger.warn(
        { staffId: token.staffId, sessionId: token.familyId },
        'A refresh token was used twice: the session is revoked (possible token theft)',
      );
      throw this.invalidRefresh();
    }
    const user = await this.staff.findById(token.staffId);
    if (user === null || user.disabled) {
      await this.refreshTokens.revokeFamily(token.familyId, now);
      throw this.invalidRefresh();
    }
    return this.issue(user, token.familyId);
  }

  async end(sessionId: string): Promise<void> {
    await this.refreshTokens.revokeFamily(sessionId, this.clock.now());
  }

  /**
   * The principal of a verified access token, or null when it expired (by the injected clock), the user is
   * gone or disabled, or the session was revoked. Read on every request, so revocation takes effect at once.
   */
  async principalOf(claims: Partial<AccessTokenClaims>): Promise<Principal | null> {
    const { sub, sid, exp } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') {
      return null;
    }
    if (exp * 1000 <= this.clock.nowMs()) {
      return null;
    }
    const user = await this.staff.findById(sub);
    if (user === null || user.disabled || !STAFF_ROLES.includes(user.role)) {
      return null;
    }
    if (!(await this.refreshTokens.isFamilyActive(sid, user.id))) {
      return null;
    }
    // The role comes from the row, not the token, so a changed role applies to tokens already issued.
    return staffPrincipal(user, sid);
  }

  private async issue(user: { id: string; role: StaffRole }, familyId: string): Promise<TokenPair> {
    const now = this.clock.now();
    const { accessTokenTtlSeconds, refreshTokenTtlMs } = this.config.auth;
    const refreshToken = this.secrets.newSecret();
    await this.refreshTokens.insert({
      id: this.ids.newId(),
      staffId: user.id,
      familyId,
      tokenHash: sha256Hex(refreshToken),
      expiresAt: new Date(now.getTime() + refreshTokenTtlMs),
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    const iat = Math.floor(now.getTime() / 1000);
    const claims: AccessTokenClaims = {
      sub: user.id,
      role: user.role,
      sid: familyId,
      iat,
      exp: iat + accessTokenTtlSeconds,
    };
    const accessToken = await this.jwt.signAsync(claims, {
      secret: this.key.secret,
      algorithm: ACCESS_TOKEN_ALGORITHM,
    });
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: accessTokenTtlSeconds,
    };
  }

  private invalidRefresh(): AppError {
    return unauthorized(INVALID_REFRESH);
  }
}
