import { createHmac, randomBytes } from 'node:crypto';

import { KEY_BYTES, KID_PATTERN } from './envelope';

/** Raised for a bad key ring; the message names the kid or position, never key bytes. */
export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

const KEY_CHECK_LABEL = 'tenantry-key-check';
const KEY_CHECK_BYTES = 16;

/**
 * A fingerprint stored per kid so the boot can tell that `k1` today is the same key as `k1` yesterday
 * (Nango's idea). An HMAC of a constant under the key: it reveals nothing usable about the key, unlike a
 * plain hash of it would if the key were ever low-entropy.
 */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key)
    .update(KEY_CHECK_LABEL)
    .digest()
    .subarray(0, KEY_CHECK_BYTES)
    .toString('hex');
}

function decodeKey(kid: string, text: string): Buffer {
  // Accept standard or URL-safe base64, padded or not, but only its canonical spelling of 32 bytes:
  // Buffer.from alone would silently skip stray characters and hand back a different key.
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]+$/.test(normalized)) {
    throw new KeyRingError(`key ${kid} is not valid base64`);
  }
  const key = Buffer.from(normalized, 'base64');
  if (key.toString('base64').replace(/=+$/, '') !== normalized) {
    throw new KeyRingError(`key ${kid} is not valid base64`);
  }
  if (key.length !== KEY_BYTES) {
    throw new KeyRingError(`key ${kid} must decode to exactly ${KEY_BYTES} bytes (got ${key.length})`);
  }
  if (key.every((byte) => byte === key[0])) {
    throw new KeyRingError(`key ${kid} is a constant byte pattern, not a random key`);
  }
  return key;
}

/** The loaded keys by kid and which one seals new values. Old kids stay loaded so old values still open. */
export class KeyRing {
  private constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {}

  /**
   * Parses `kid:base64,kid:base64` (the VAULT_KEYS format). The active kid is `activeKeyId` when given,
   * otherwise the last key listed, so appending a new key and restarting is a rotation's first step.
   */
  static parse(text: string, activeKeyId?: string): KeyRing {
    const keys = new Map<string, Buffer>();
    const entries = text.split(',').map((entry) => entry.trim());
    entries.forEach((entry, index) => {
      const separator = entry.indexOf(':');
      if (separator < 0) {
        throw new KeyRingError(`entry ${index + 1} must be kid:base64-of-32-bytes`);
      }
      const kid = entry.slice(0, separator);
      if (!KID_PATTERN.test(kid)) {
        throw new KeyRingError(`entry ${index + 1} has an invalid key id (1-32 of A-Z a-z 0-9 _ -)`);
      }
      if (keys.has(kid)) {
        throw new KeyRingError(`key id ${kid} is listed twice`);
      }
      keys.set(kid, decodeKey(kid, entry.slice(separator + 1)));
    });
    const active = activeKeyId ?? [...keys.keys()].at(-1);
    if (active === undefined || !keys.has(active)) {
      throw new KeyRingError(
        `active key id ${active ?? '(none)'} is not one of the loaded key ids (${[...keys.keys()].join(', ')})`,
      );
    }
    return new KeyRing(keys, active);
  }

  /** A fresh single-key ring in VAULT_KEYS format, for development only. */
  static generateText(kid: string): string {
    return `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  keyFor(kid: string): Buffer | undefined {
    return this.keys.get(kid);
  }

  get activeKey(): { kid: string; key: Buffer } {
    // The constructor checked that the active kid is loaded.
    return { kid: this.activeKeyId, key: this.keys.get(this.activeKeyId) as Buffer };
  }

  checkValue(kid: string): string {
    const key = this.keys.get(kid);
    if (key === undefined) {
      throw new KeyRingError(`key id ${kid} is not loaded`);
    }
    return keyCheckValue(key);
  }
}
