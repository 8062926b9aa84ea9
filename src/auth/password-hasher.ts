import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

import { Injectable } from '@nestjs/common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

// One of OWASP's equivalent scrypt settings (N=2^15, r=8, p=3): the same work as N=2^17, p=1 but 32 MiB per
// hash instead of 128 MiB, so sign-ins in parallel (and the hashes made at boot) do not balloon the process.
const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
// At most this many hashes run at once (libuv has 4 threads anyway): a burst of sign-ins queues instead of
// holding 32 MiB each.
const MAX_CONCURRENT_HASHES = 2;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Refuse stored parameters that would exhaust memory (a tampered row must not take the process down).
const MAX_MEMORY = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

let running = 0;
const waiting: (() => void)[] = [];

async function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  if (running >= MAX_CONCURRENT_HASHES) {
    // The slot is handed over by the hash that finishes (running stays the same).
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running += 1;
  }
  try {
    const options: ScryptOptions = { ...params, maxmem: MAX_MEMORY };
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(password.normalize('NFKC'), salt, length, options, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    );
  } finally {
    const next = waiting.shift();
    if (next === undefined) {
      running -= 1;
    } else {
      next();
    }
  }
}

/**
 * scrypt from node:crypto (no native add-on to build). The hash names its parameters and salt —
 * `scrypt$N=32768,r=8,p=3$<salt>$<key>` — so stronger parameters later still verify old hashes.
 */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly params: ScryptParams = DEFAULT_PARAMS) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, this.params, KEY_LENGTH);
    const { N, r, p } = this.params;
    return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** False for a wrong password and for anything that is not a hash of this format. */
  async verify(password: string, stored: string): Promise<boolean> {
    const match = FORMAT.exec(stored);
    if (match === null) {
      return false;
    }
    const [, n, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
    const expected = Buffer.from(key, 'base64url');
    try {
      const actual = await derive(
        password,
        Buffer.from(salt, 'base64url'),
        { N: Number(n), r: Number(r), p: Number(p) },
        expected.length,
      );
      return timingSafeEqual(actual, expected);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same time as checking a real password, for sign-ins with an unknown email, so response
   * times do not tell which emails have an account.
   */
  async verifyDummy(password: string): Promise<void> {
    await this.verify(password, await this.prepareDummy());
  }

  /** Makes the dummy hash ahead of the first unknown email, so even that one takes the usual time. */
  prepareDummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(18).toString('base64url'));
    return this.dummyHash;
  }
}
