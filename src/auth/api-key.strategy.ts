import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';

import { API_KEY_HEADER } from './auth.decorators';
import { ApiKeysService } from './api-keys.service';
import { privatePassport } from './passport-authenticate';
import type { Principal } from './principal';

type VerifyApiKey = (
  apiKey: string,
  done: (error: Error | null, principal?: Principal | null) => void,
) => void;

/**
 * Reads the `X-API-Key` header. Hand-written on passport-strategy: passport-headerapikey is unmaintained
 * and not installed, and the whole strategy is these few lines.
 */
class HeaderApiKeyStrategy extends Strategy {
  name = 'api-key';

  constructor(private readonly verify: VerifyApiKey) {
    super();
  }

  override authenticate(request: Request): void {
    const presented = request.get(API_KEY_HEADER);
    if (presented === undefined || presented === '') {
      this.fail(401);
      return;
    }
    this.verify(presented, (error, principal) => {
      if (error) {
        this.error(error);
      } else if (principal) {
        this.success(principal);
      } else {
        this.fail(401);
      }
    });
  }
}

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderApiKeyStrategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  getPassportInstance(): ReturnType<typeof privatePassport> {
    return privatePassport();
  }

  validate(apiKey: string): Promise<Principal | null> {
    return this.apiKeys.authenticate(apiKey);
  }
}
