import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { ApiKeyStrategy } from './api-key.strategy';
import { unauthorized } from './auth-errors';
import { ROUTE_ACCESS_KEY, type RouteAccess } from './auth.decorators';
import { JwtStrategy } from './jwt.strategy';
import { authenticateWith } from './passport-authenticate';
import type { Principal } from './principal';
import { roleAllows } from './roles';

/**
 * The global guard (APP_GUARD). Deny by default: a route needs `@Public()` or `@Roles(role)` (the handler's
 * overrides the class's); one with neither is refused to everyone. Callers authenticate with a bearer
 * access token or, failing that, an `X-API-Key`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtStrategy,
    private readonly apiKey: ApiKeyStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access?.public === true) {
      return true;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: Principal }>();
    const principal = await authenticateWith<Principal>(
      [this.jwt, this.apiKey],
      request,
      http.getResponse<Response>(),
    );
    if (principal === null) {
      throw unauthorized('Sign in and send Authorization: Bearer <access token>, or send X-API-Key');
    }
    request.user = principal;
    if (access === undefined) {
      throw new AppError(ErrorCode.FORBIDDEN, 'This route has no access rule, so it is refused to everyone');
    }
    if (!roleAllows(principal.role, access.role)) {
      throw new AppError(ErrorCode.FORBIDDEN, `This route needs the ${access.role} role`);
    }
    return true;
  }
}
