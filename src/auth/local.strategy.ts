import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';

import { LoginService } from './login.service';
import { privatePassport } from './passport-authenticate';
import type { Principal } from './principal';

/** `POST /v1/auth/login` with `{email, password}`. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly login: LoginService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  getPassportInstance(): ReturnType<typeof privatePassport> {
    return privatePassport();
  }

  validate(request: Request, email: string, password: string): Promise<Principal> {
    return this.login.authenticate(email, password, request.ip ?? request.socket.remoteAddress ?? 'unknown');
  }
}
