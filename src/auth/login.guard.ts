import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';

import { AppError } from '../common/errors/app-error';
import { toFieldProblems } from '../common/http/validation.pipe';
import { LoginDto } from './auth.dto';
import { LocalStrategy } from './local.strategy';
import { authenticateWith } from './passport-authenticate';
import type { Principal } from './principal';

/**
 * Runs the local strategy for `POST /v1/auth/login`. Guards run before the validation pipe, so the body is
 * validated here first: a malformed body or an extra field is refused before any password is checked or
 * any failure counted, and passport-local never falls back to credentials in the query string.
 */
@Injectable()
export class LoginGuard implements CanActivate {
  constructor(private readonly local: LocalStrategy) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: Principal }>();
    const body: unknown = request.body;
    const errors = await validate(
      plainToInstance(LoginDto, typeof body === 'object' && body !== null ? body : {}),
      {
        whitelist: true,
        forbidNonWhitelisted: true,
      },
    );
    if (errors.length > 0) {
      throw AppError.validation(toFieldProblems(errors));
    }
    const principal = await authenticateWith<Principal>([this.local], request, http.getResponse<Response>());
    if (principal === null) {
      // The body was checked above, so passport-local only fails here on missing fields.
      throw AppError.validation([{ field: 'email', message: 'email and password are required' }]);
    }
    request.user = principal;
    return true;
  }
}
