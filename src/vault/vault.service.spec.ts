import { randomBytes } from 'node:crypto';

import type { PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { KeyRing } from './crypto/key-ring';
import { VaultService } from './vault.service';

const secret = 'canary-9f8e7d6c5b4a';
const acme = { owner: 'subscriber:acme' as const, kind: 'company_api_key' as const };

function makeVault(keys: string, active?: string): { vault: VaultService; logged: unknown[][] } {
  const logged: unknown[][] = [];
  const logger = { error: (...args: unknown[]) => logged.push(args) } as unknown as PinoLogger;
  return { vault: new VaultService(KeyRing.parse(keys, active), logger), logged };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('VaultService', () => {
  const k1 = `k1:${randomBytes(32).toString('base64')}`;
  const k2 = `k2:${randomBytes(32).toString('base64')}`;

  it('should seal under the active kid and open values sealed under any loaded kid', () => {
    const old = makeVault(k1).vault;
    const envelope = old.seal(acme, secret);
    expect(old.keyIdOf(envelope)).toBe('k1');

    const { vault } = makeVault(`${k1},${k2}`);
    expect(vault.activeKeyId).toBe('k2');
    expect(vault.open(acme, envelope)).toBe(secret);
    expect(vault.keyIdOf(vault.seal(acme, secret))).toBe('k2');
  });

  it('should turn any failure to open into VAULT_DECRYPT_FAILED, logging identifiers but no secret', () => {
    const { vault, logged } = makeVault(`${k1},${k2}`);
    const envelope = vault.seal(acme, secret);
    const attempts = [
      () => vault.open({ owner: 'subscriber:globex', kind: 'company_api_key' }, envelope),
      () => vault.open({ ...acme, kind: 'company_access_token' }, envelope),
      () => vault.open(acme, envelope.slice(0, -2)),
      () => makeVault(k1).vault.open(acme, envelope),
      () => vault.open(acme, 'not an envelope'),
    ];
    for (const attempt of attempts) {
      const error = thrown(attempt);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: ErrorCode.VAULT_DECRYPT_FAILED });
      expect(JSON.stringify(error)).not.toContain(secret);
      expect((error as Error).message).not.toContain(secret);
    }
    expect(logged).toHaveLength(attempts.length - 1);
    expect(logged[0]).toEqual([
      { owner: 'subscriber:globex', kind: 'company_api_key', kid: 'k2', reason: 'authentication_failed' },
      'A sealed value failed to open',
    ]);
    expect(JSON.stringify(logged)).not.toContain(secret);
    expect(JSON.stringify(logged)).not.toContain(k2.slice(3));
  });

  it('should refuse a secret that is not well-formed Unicode as UNPROCESSABLE', () => {
    const { vault } = makeVault(k1);
    expect(thrown(() => vault.seal(acme, 'key-\uD800'))).toMatchObject({ code: ErrorCode.UNPROCESSABLE });
  });
});
