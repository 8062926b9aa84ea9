import { PasswordHasher } from './password-hasher';

// Small parameters keep the unit tier fast; production uses the default (N=2^15, r=8, p=3).
const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });

describe('PasswordHasher', () => {
  it('should verify the right password and refuse a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery');
    await expect(hasher.verify('correct horse battery', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horse batterY', stored)).resolves.toBe(false);
    await expect(hasher.verify('', stored)).resolves.toBe(false);
  });

  it('should write a self-describing hash with its parameters and a fresh salt, never the password', async () => {
    const first = await hasher.hash('same password 1');
    const second = await hasher.hash('same password 1');
    expect(first).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('same password');
  });

  it('should verify hashes made with other parameters (they are read from the hash)', async () => {
    const stored = await new PasswordHasher({ N: 2048, r: 4, p: 2 }).hash('older parameters');
    await expect(hasher.verify('older parameters', stored)).resolves.toBe(true);
  });

  it('should refuse malformed or tampered hashes without throwing', async () => {
    const stored = await hasher.hash('tamper with me');
    const parts = stored.split('$');
    const flipped = [
      ...parts.slice(0, 3),
      `${parts[3]?.startsWith('A') ? 'B' : 'A'}${parts[3]?.slice(1) ?? ''}`,
    ];
    await expect(hasher.verify('tamper with me', flipped.join('$'))).resolves.toBe(false);
    await expect(hasher.verify('tamper with me', 'plaintext')).resolves.toBe(false);
    await expect(hasher.verify('tamper with me', stored.replace('N=1024', 'N=1000'))).resolves.toBe(false);
    // Parameters that would need gigabytes are refused rather than attempted.
    await expect(hasher.verify('tamper with me', stored.replace('N=1024', 'N=67108864'))).resolves.toBe(
      false,
    );
  });

  it('should spend a real verification on unknown accounts', async () => {
    await expect(hasher.verifyDummy('whatever password')).resolves.toBeUndefined();
  });
});
