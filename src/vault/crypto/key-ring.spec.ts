import { randomBytes } from 'node:crypto';

import { KeyRing, KeyRingError, keyCheckValue } from './key-ring';

const key1 = randomBytes(32);
const key2 = randomBytes(32);
const b64 = (key: Buffer): string => key.toString('base64');

function parseError(text: string, active?: string): string {
  try {
    KeyRing.parse(text, active);
  } catch (error) {
    expect(error).toBeInstanceOf(KeyRingError);
    return (error as Error).message;
  }
  throw new Error('expected the key ring to be refused');
}

describe('KeyRing', () => {
  it('should load every key and make the last one active by default', () => {
    const ring = KeyRing.parse(`k1:${b64(key1)},k2:${b64(key2)}`);
    expect(ring.keyIds).toEqual(['k1', 'k2']);
    expect(ring.activeKeyId).toBe('k2');
    expect(ring.activeKey.key.equals(key2)).toBe(true);
    expect(ring.keyFor('k1')?.equals(key1)).toBe(true);
    expect(ring.keyFor('k3')).toBeUndefined();
  });

  it('should honour an explicit active kid', () => {
    expect(KeyRing.parse(` k1:${b64(key1)} , k2:${b64(key2)} `, 'k1').activeKeyId).toBe('k1');
  });

  it('should accept URL-safe and unpadded base64', () => {
    const ring = KeyRing.parse(`k1:${key1.toString('base64url')}`);
    expect(ring.keyFor('k1')?.equals(key1)).toBe(true);
  });

  it('should refuse a key that is not exactly 32 bytes', () => {
    expect(parseError(`k1:${b64(randomBytes(31))}`)).toBe('key k1 must decode to exactly 32 bytes (got 31)');
    expect(parseError(`k1:${b64(randomBytes(33))}`)).toBe('key k1 must decode to exactly 32 bytes (got 33)');
    expect(parseError('k1:')).toBe('key k1 is not valid base64');
  });

  it('should refuse bad base64 instead of decoding around it', () => {
    expect(parseError(`k1:${b64(key1).slice(0, 20)}!${b64(key1).slice(21)}`)).toBe(
      'key k1 is not valid base64',
    );
    expect(parseError(`k1:${b64(key1).slice(0, 42)}.`)).toBe('key k1 is not valid base64');
    // Same bytes through Buffer.from (it ignores the unused low bits of the last character), but not canonical.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const unpadded = b64(key1).replace(/=+$/, '');
    const last = alphabet.indexOf(unpadded.at(-1) as string);
    const sloppy = `${unpadded.slice(0, -1)}${alphabet[last | 1]}`;
    expect(Buffer.from(sloppy, 'base64').equals(key1)).toBe(true);
    expect(parseError(`k1:${sloppy}`)).toBe('key k1 is not valid base64');
  });

  it('should refuse a constant key such as all zero bytes', () => {
    expect(parseError(`k1:${b64(Buffer.alloc(32))}`)).toBe(
      'key k1 is a constant byte pattern, not a random key',
    );
  });

  it('should refuse a duplicate kid', () => {
    expect(parseError(`k1:${b64(key1)},k1:${b64(key2)}`)).toBe('key id k1 is listed twice');
  });

  it('should refuse an unknown active kid, naming the loaded ones', () => {
    expect(parseError(`k1:${b64(key1)},k2:${b64(key2)}`, 'k3')).toBe(
      'active key id k3 is not one of the loaded key ids (k1, k2)',
    );
  });

  it('should refuse malformed entries', () => {
    expect(parseError(b64(key1))).toBe('entry 1 must be kid:base64-of-32-bytes');
    expect(parseError(`k1:${b64(key1)},`)).toBe('entry 2 must be kid:base64-of-32-bytes');
    expect(parseError(`k.1:${b64(key1)}`)).toBe('entry 1 has an invalid key id (1-32 of A-Z a-z 0-9 _ -)');
    expect(parseError(`:${b64(key1)}`)).toBe('entry 1 has an invalid key id (1-32 of A-Z a-z 0-9 _ -)');
  });

  it('should never include key material in an error message', () => {
    const text = `k1:${b64(key1)},k2:${b64(randomBytes(16))}`;
    const message = parseError(text);
    expect(message).not.toContain(b64(key1));
    expect(message).not.toContain(b64(key1).slice(0, 8));
  });

  it('should give each key a stable check value that is not the key', () => {
    const ring = KeyRing.parse(`k1:${b64(key1)},k2:${b64(key2)}`);
    expect(ring.checkValue('k1')).toBe(keyCheckValue(key1));
    expect(ring.checkValue('k1')).toMatch(/^[0-9a-f]{32}$/);
    expect(ring.checkValue('k1')).not.toBe(ring.checkValue('k2'));
    expect(key1.toString('hex')).not.toContain(ring.checkValue('k1'));
    expect(KeyRing.parse(`k1:${b64(key1)}`).checkValue('k1')).toBe(ring.checkValue('k1'));
    expect(() => ring.checkValue('k3')).toThrow(KeyRingError);
  });

  it('should generate a loadable development ring', () => {
    const text = KeyRing.generateText('dev1');
    const ring = KeyRing.parse(text);
    expect(ring.activeKeyId).toBe('dev1');
    expect(KeyRing.generateText('dev1')).not.toBe(text);
  });
});
