import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import { Injectable } from '@nestjs/common';

/** Random secrets for refresh tokens and API keys, behind a class like every other side effect. */
@Injectable()
export class SecretTokens {
  /** 32 random bytes, base64url (43 characters). */
  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }
}

/**
 * SHA-256 (hex) of a generated secret. A fast hash is right here, unlike for passwords: the secret has 256
 * bits of entropy, so there is nothing to guess, and a slow hash would only slow every request.
 */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
