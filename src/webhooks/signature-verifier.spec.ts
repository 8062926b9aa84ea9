import crypto from 'node:crypto';

import fc from 'fast-check';

import { signWebhook } from '../common/standard-webhooks';
import { hmacReplayProblems } from './webhook-sources.service';
import {
  deliveryIdHeader,
  signatureCoversId,
  signedDigestOf,
  verifyDelivery,
  verifyHmac,
} from './signature-verifier';
import type { HmacScheme } from './webhook.types';

const GITHUB: HmacScheme = {
  signatureHeader: 'X-Hub-Signature-256',
  prefix: 'sha256=',
  encoding: 'hex',
  idHeader: 'X-GitHub-Delivery',
};
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const NOW_MS = 1_800_000_000_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const standard = { scheme: 'standard_webhooks' as const, hmac: null };

function standardHeaders(id: string, timestamp: number, body: Buffer, secret = SECRET) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

describe('HMAC-SHA256 header verification (GitHub style)', () => {
  const body = Buffer.from('Hello, World!');

  it('accepts the GitHub test vector', () => {
    const delivery = { headers: { 'x-hub-signature-256': GITHUB_SIGNATURE }, body };
    expect(verifyHmac(delivery, GITHUB, [GITHUB_SECRET], NOW_MS)).toEqual({ valid: true });
  });

  it.each([
    ['no header', {}],
    ['no prefix', { 'x-hub-signature-256': GITHUB_SIGNATURE.slice('sha256='.length) }],
    ['only the prefix', { 'x-hub-signature-256': 'sha256=' }],
    ['one hex digit changed', { 'x-hub-signature-256': GITHUB_SIGNATURE.replace(/7$/, '8') }],
  ])('rejects %s', (_name, headers) => {
    expect(verifyHmac({ headers, body }, GITHUB, [GITHUB_SECRET], NOW_MS).valid).toBe(false);
  });

  it('rejects another body and another secret', () => {
    const headers = { 'x-hub-signature-256': GITHUB_SIGNATURE };
    expect(
      verifyHmac({ headers, body: Buffer.from('Hello, World! ') }, GITHUB, [GITHUB_SECRET], NOW_MS).valid,
    ).toBe(false);
    expect(verifyHmac({ headers, body }, GITHUB, ['another secret'], NOW_MS).valid).toBe(false);
  });

  it('with a timestamp header: signs `${timestamp}.${body}` and applies the 5-minute tolerance', () => {
    const settings = { ...GITHUB, timestampHeader: 'X-Timestamp', encoding: 'base64' as const };
    const sign = (timestamp: number) =>
      'sha256=' + crypto.createHmac('sha256', 'k').update(`${timestamp}.`).update(body).digest('base64');
    const at = (timestamp: number) => ({
      headers: { 'x-hub-signature-256': sign(timestamp), 'x-timestamp': String(timestamp) },
      body,
    });
    const now = NOW_MS / 1000;
    expect(verifyHmac(at(now), settings, ['k'], NOW_MS).valid).toBe(true);
    expect(verifyHmac(at(now - 301), settings, ['k'], NOW_MS).valid).toBe(false);
    expect(verifyHmac(at(now + 301), settings, ['k'], NOW_MS).valid).toBe(false);
    expect(
      verifyHmac({ ...at(now), headers: { 'x-hub-signature-256': sign(now) } }, settings, ['k'], NOW_MS)
        .valid,
    ).toBe(false);
  });
});

describe('verifyDelivery', () => {
  it('refuses a signature header larger than 8 KB before comparing anything', () => {
    const body = Buffer.from('{}');
    const headers = standardHeaders('msg_1', NOW_MS / 1000, body);
    headers['webhook-signature'] = `${headers['webhook-signature']} v1,${'A'.repeat(8 * 1024)}`;
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(verifyDelivery({ headers, body }, standard, [SECRET], NOW_MS)).toEqual({
        valid: false,
        reason: 'the signature header is larger than 8 KB',
      });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('W6: compares every candidate of the right length with timingSafeEqual, and skips other lengths', () => {
    const body = Buffer.from('{"a":1}');
    const timestamp = NOW_MS / 1000;
    const good = standardHeaders('msg_2', timestamp, body)['webhook-signature'];
    const sameLength = `v1,${Buffer.alloc(32, 7).toString('base64')}`;
    const shorter = `v1,${Buffer.alloc(16, 7).toString('base64')}`;
    const headers = {
      ...standardHeaders('msg_2', timestamp, body),
      'webhook-signature': [sameLength, shorter, good, sameLength].join(' '),
    };
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(
        verifyDelivery({ headers, body }, standard, [SECRET, 'whsec_b3RoZXJzZWNyZXQ='], NOW_MS).valid,
      ).toBe(true);
      // 3 candidates of 32 bytes × 2 secrets, including the ones after the match.
      expect(spy).toHaveBeenCalledTimes(6);
      for (const [received, expected] of spy.mock.calls) {
        expect((received as Buffer).length).toBe((expected as Buffer).length);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('W3: 1000 random signed deliveries are accepted; any single-byte change to body, id or timestamp is not', () => {
    const windowSeconds = fc.integer({ min: -300, max: 300 });
    const webhookId = fc.string({ minLength: 1, maxLength: 40 }).filter((id) => !id.includes(' '));
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'grapheme', maxLength: 200 }).map((text) => Buffer.from(text)),
    );
    const nowSeconds = NOW_MS / 1000;
    fc.assert(
      fc.property(webhookId, windowSeconds, body, (id, offset, bytes) => {
        const headers = standardHeaders(id, nowSeconds + offset, bytes);
        return verifyDelivery({ headers, body: bytes }, standard, [SECRET], NOW_MS).valid;
      }),
      { numRuns: 1000 },
    );
    const mutation = fc.record({
      id: webhookId,
      offset: windowSeconds,
      bytes: body,
      target: fc.constantFrom('body', 'id', 'timestamp'),
      position: fc.nat(),
      flip: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(mutation, ({ id, offset, bytes, target, position, flip }) => {
        const timestamp = nowSeconds + offset;
        const headers = standardHeaders(id, timestamp, bytes);
        const change = (text: Buffer): Buffer => {
          const copy = Buffer.from(text);
          if (copy.length === 0) {
            return Buffer.from([flip]);
          }
          copy[position % copy.length] ^= flip;
          return copy;
        };
        let sentBody: Buffer = bytes;
        if (target === 'body') {
          sentBody = change(bytes);
        } else if (target === 'id') {
          headers['webhook-id'] = change(Buffer.from(id, 'latin1')).toString('latin1');
        } else {
          // Another digit at one position: still a number of seconds, but not the signed one.
          const digits = String(timestamp).split('');
          const index = position % digits.length;
          digits[index] = String((Number(digits[index]) + (flip % 9) + 1) % 10);
          headers['webhook-timestamp'] = digits.join('');
        }
        if (target === 'id' && headers['webhook-id'] === id) {
          return true;
        }
        return !verifyDelivery({ headers, body: sentBody }, standard, [SECRET], NOW_MS).valid;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Svix header names (same scheme as Standard Webhooks)', () => {
  const body = Buffer.from('{"type":"customer.signed_up"}');
  const timestamp = NOW_MS / 1000;
  const svix = (headers: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.replace('webhook-', 'svix-'), value]),
    );

  it('verifies svix-id, svix-timestamp and svix-signature, and takes the id from svix-id', () => {
    const headers = svix(standardHeaders('msg_svix', timestamp, body));
    expect(verifyDelivery({ headers, body }, standard, [SECRET], NOW_MS)).toEqual({ valid: true });
    expect(deliveryIdHeader(headers, standard)).toBe('msg_svix');
  });

  it('never mixes the two families: a webhook-id with svix-* signature headers is not verified', () => {
    const headers = { ...svix(standardHeaders('msg_1', timestamp, body)), 'webhook-id': 'msg_1' };
    expect(verifyDelivery({ headers, body }, standard, [SECRET], NOW_MS).valid).toBe(false);
  });
});

describe('replay protection of HMAC sources', () => {
  const hmac = (settings: Partial<HmacScheme>) => ({
    scheme: 'hmac_sha256' as const,
    hmac: { signatureHeader: 'X-Signature', prefix: '', encoding: 'hex' as const, ...settings },
  });

  it('knows which configurations sign the delivery id', () => {
    expect(signatureCoversId(standard)).toBe(true);
    expect(signatureCoversId(hmac({ idField: 'id' }))).toBe(true);
    expect(signatureCoversId(hmac({ idHeader: 'X-Delivery', timestampHeader: 'X-Timestamp' }))).toBe(false);
  });

  it('refuses a configuration whose signature covers neither a timestamp nor the id', () => {
    expect(hmacReplayProblems({ ...hmac({}).hmac, idHeader: 'X-GitHub-Delivery' })).toEqual([
      { field: 'hmac', message: expect.stringContaining('covers neither a timestamp nor the delivery id') },
    ]);
    expect(hmacReplayProblems({ ...hmac({}).hmac, idHeader: 'X-Delivery', idField: 'id' })).toHaveLength(1);
    expect(hmacReplayProblems({ ...hmac({}).hmac })).toHaveLength(1);
    expect(hmacReplayProblems({ ...hmac({}).hmac, idField: 'id' })).toEqual([]);
    expect(hmacReplayProblems({ ...hmac({}).hmac, idHeader: 'X', timestampHeader: 'T' })).toEqual([]);
  });

  it('digests exactly the signed bytes when the id is unsigned: a new id header does not change it', () => {
    const source = hmac({ idHeader: 'X-Delivery', timestampHeader: 'X-Timestamp' });
    const body = Buffer.from('{"a":1}');
    const first = signedDigestOf(source, { 'x-delivery': 'd1', 'x-timestamp': '1800000000' }, body);
    expect(first).toBe(crypto.createHash('sha256').update('1800000000.').update(body).digest('hex'));
    expect(signedDigestOf(source, { 'x-delivery': 'd2', 'x-timestamp': '1800000000' }, body)).toBe(first);
    expect(signedDigestOf(source, { 'x-delivery': 'd1', 'x-timestamp': '1800000001' }, body)).not.toBe(first);
    expect(signedDigestOf(hmac({ idField: 'id' }), {}, body)).toBeNull();
    expect(signedDigestOf(standard, {}, body)).toBeNull();
  });
});
