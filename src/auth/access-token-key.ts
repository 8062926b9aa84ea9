import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppConfig } from '../config/app-config';

/** The HS256 key of access tokens: JWT_SECRET, or outside production a random key for this process. */
@Injectable()
export class AccessTokenKey {
  readonly secret: string;

  constructor(config: AppConfig, @InjectPinoLogger(AccessTokenKey.name) logger: PinoLogger) {
    const configured = config.auth.jwtSecret;
    if (configured === undefined) {
      // loadConfig refuses a missing JWT_SECRET in production, so this is development or test only.
      logger.warn(
        'JWT_SECRET is not set: access tokens are signed with a random key that lasts as long as this process ' +
          '(every instance and every restart has its own). Set JWT_SECRET (32+ bytes) to keep sessions.',
      );
    }
    this.secret = configured ?? randomBytes(32).toString('base64url');
  }
}
