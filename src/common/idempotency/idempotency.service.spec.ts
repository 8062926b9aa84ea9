import { AppError } from '../errors/app-error';
import { canonicalJson } from '../canonical-json';
import { idempotencyScopeOf, IdempotencyService, requestFingerprint } from './idempotency.service';

describe('Idempotency-Key parsing and request fingerprints', () => {
  it('accepts 1-255 visible ASCII characters and nothing else', () => {
    expect(IdempotencyService.parseKey(undefined)).toBeUndefined();
    expect(IdempotencyService.parseKey('8e3c8f0e-4b9d-4f7e-9a61-0c3c2f1d5b77')).toBe(
      '8e3c8f0e-4b9d-4f7e-9a61-0c3c2f1d5b77',
    );
    expect(IdempotencyService.parseKey('k'.repeat(255))).toHaveLength(255);
    for (const bad of ['', 'k'.repeat(256), 'with space', 'tab\t', 'é', ['a', 'b']]) {
      expect(() => IdempotencyService.parseKey(bad)).toThrow(AppError);
    }
  });

  it('fingerprints the canonical request: key order does not matter, values and route do', () => {
    const body = { mode: 'apply', subscribers: [{ subscriberId: 'a', vars: { x: '1', y: '2' } }] };
    const reordered = { subscribers: [{ vars: { y: '2', x: '1' }, subscriberId: 'a' }], mode: 'apply' };
    expect(requestFingerprint('POST', '/v1/jobs', body)).toBe(
      requestFingerprint('POST', '/v1/jobs', reordered),
    );
    expect(requestFingerprint('POST', '/v1/jobs', body)).not.toBe(
      requestFingerprint('POST', '/v1/jobs', { ...body, mode: 'plan' }),
    );
    expect(requestFingerprint('POST', '/v1/jobs', body)).not.toBe(
      requestFingerprint('POST', '/v1/other', body),
    );
    expect(canonicalJson({ b: [2, { d: 1, c: undefined }], a: null })).toBe('{"a":null,"b":[2,{"d":1}]}');
  });

  it('scopes keys per caller', () => {
    expect(idempotencyScopeOf({ kind: 'api_key', id: 'k1' })).toBe('api_key:k1');
    expect(idempotencyScopeOf({ kind: 'staff', id: 'k1' })).not.toBe(
      idempotencyScopeOf({ kind: 'api_key', id: 'k1' }),
    );
  });
});
