import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import fc from 'fast-check';

import {
  associatedData,
  decryptGcm,
  EnvelopeError,
  type EnvelopeErrorReason,
  IV_BYTES,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  TAG_BYTES,
} from './envelope';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const keys = new Map([
  ['k1', k1],
  ['k2', k2],
]);
const keyFor = (kid: string): Buffer | undefined => keys.get(kid);
const acme = { owner: 'subscriber:11111111-1111-4111-8111-111111111111', kind: 'company_api_key' };
const globex = { owner: 'subscriber:22222222-2222-4222-8222-222222222222', kind: 'company_api_key' };

function seal(plaintext: string, context = acme, kid = 'k1'): string {
  return sealEnvelope({ kid, key: keys.get(kid) as Buffer, context, plaintext });
}

function rejection(action: () => unknown): EnvelopeErrorReason | 'accepted' {
  try {
    action();
    return 'accepted';
  } catch (error) {
    if (error instanceof EnvelopeError) {
      return error.reason;
    }
    throw error;
  }
}

/** Rebuilds an envelope from its parts, after a change to the raw IV‖ciphertext‖tag bytes. */
function withBytes(envelope: string, change: (ivAndSealed: Buffer) => Buffer): string {
  const parsed = parseEnvelope(envelope);
  const changed = change(Buffer.concat([parsed.iv, parsed.sealed]));
  return [
    'v1',
    parsed.kid,
    changed.subarray(0, IV_BYTES).toString('base64url'),
    changed.subarray(IV_BYTES).toString('base64url'),
  ].join('.');
}

const owners = fc.oneof(
  fc.uuid().map((id) => `subscriber:${id}`),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((id) => `misp:${id}`),
);
const kinds = fc.constantFrom(
  'misp_password',
  'company_api_key',
  'company_access_token',
  'company_refresh_token',
);

describe('envelope', () => {
  it('should round-trip any Unicode string for any owner and kind (V1, 1000 runs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 4096 }), owners, kinds, (plaintext, owner, kind) => {
        const envelope = seal(plaintext, { owner, kind });
        expect(envelope.startsWith('v1.k1.')).toBe(true);
        expect(openEnvelope({ envelope, context: { owner, kind }, keyFor })).toBe(plaintext);
      }),
      { numRuns: 1000 },
    );
  });

  it('should refuse to open under another owner or kind (V2, 200 random pairs)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.tuple(owners, kinds),
        fc.tuple(owners, kinds),
        (plaintext, [ownerA, kindA], [ownerB, kindB]) => {
          fc.pre(ownerA !== ownerB || kindA !== kindB);
          const envelope = seal(plaintext, { owner: ownerA, kind: kindA });
          expect(
            rejection(() => openEnvelope({ envelope, context: { owner: ownerB, kind: kindB }, keyFor })),
          ).toBe('authentication_failed');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should refuse an envelope whose associated data was removed or where none was used', () => {
    const envelope = seal('token-123');
    const parsed = parseEnvelope(envelope);
    const ciphertext = parsed.sealed.subarray(0, -TAG_BYTES);
    const tag = parsed.sealed.subarray(-TAG_BYTES);
    expect(
      rejection(() => decryptGcm({ key: k1, iv: parsed.iv, ciphertext, tag, aad: Buffer.alloc(0) })),
    ).toBe('authentication_failed');

    // Sealed without associated data, opened with it.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', k1, iv, { authTagLength: TAG_BYTES });
    const bare = Buffer.concat([cipher.update('token-123', 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const withoutAad = ['v1', 'k1', iv.toString('base64url'), bare.toString('base64url')].join('.');
    expect(rejection(() => openEnvelope({ envelope: withoutAad, context: acme, keyFor }))).toBe(
      'authentication_failed',
    );
  });

  it('should bind version, kid, owner and kind in the associated data', () => {
    expect(associatedData('k1', acme).toString()).toBe(
      'v1|k1|subscriber:11111111-1111-4111-8111-111111111111|company_api_key',
    );
  });

  it('should reject every single-bit flip of IV, ciphertext and tag of a 64-byte token (V3)', () => {
    const envelope = seal('x'.repeat(64));
    const totalBits = (IV_BYTES + 64 + TAG_BYTES) * 8;
    let rejected = 0;
    for (let bit = 0; bit < totalBits; bit += 1) {
      const tampered = withBytes(envelope, (bytes) => {
        const copy = Buffer.from(bytes);
        copy[bit >> 3] = copy[bit >> 3] ^ (1 << (bit & 7));
        return copy;
      });
      if (
        rejection(() => openEnvelope({ envelope: tampered, context: acme, keyFor })) ===
        'authentication_failed'
      ) {
        rejected += 1;
      }
    }
    expect(totalBits).toBe(736);
    expect(rejected).toBe(736);
  });

  it('should reject a changed kid, whether it names another loaded key or an unknown one (V3)', () => {
    const envelope = seal('token-123', acme, 'k1');
    const [, , iv, sealed] = envelope.split('.');
    expect(rejection(() => openEnvelope({ envelope: `v1.k2.${iv}.${sealed}`, context: acme, keyFor }))).toBe(
      'authentication_failed',
    );
    for (const kid of ['k3', 'K1', 'k1x', 'k']) {
      expect(
        rejection(() => openEnvelope({ envelope: `v1.${kid}.${iv}.${sealed}`, context: acme, keyFor })),
      ).toBe('unknown_key');
    }
    expect(rejection(() => openEnvelope({ envelope: `v1.k|1.${iv}.${sealed}`, context: acme, keyFor }))).toBe(
      'malformed',
    );
  });

  it('should reject any other version (V3)', () => {
    const rest = seal('token-123').slice('v1'.length);
    for (const version of ['v0', 'v2', 'V1', 'v11', '', 'vault:v1']) {
      expect(rejection(() => openEnvelope({ envelope: `${version}${rest}`, context: acme, keyFor }))).toBe(
        'unsupported_version',
      );
    }
  });

  it('should reject a truncated tag in the envelope (V4)', () => {
    const envelope = seal('token-123');
    for (const cut of [4, 8, 12]) {
      const truncated = withBytes(envelope, (bytes) => bytes.subarray(0, bytes.length - cut));
      expect(rejection(() => openEnvelope({ envelope: truncated, context: acme, keyFor }))).not.toBe(
        'accepted',
      );
    }
    // Shorter than a tag altogether.
    const stub = withBytes(seal(''), (bytes) => bytes.subarray(0, IV_BYTES + TAG_BYTES - 1));
    expect(rejection(() => openEnvelope({ envelope: stub, context: acme, keyFor }))).toBe('malformed');
  });

  it('should refuse a 4, 8 or 12-byte prefix of the real tag, which Node 20 accepts without authTagLength (V4)', () => {
    const iv = randomBytes(IV_BYTES);
    const aad = associatedData('k1', acme);
    const cipher = createCipheriv('aes-256-gcm', k1, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update('token-123', 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();

    // Control: the unpinned default really does accept a short tag on this Node, so the pin matters.
    const unpinned = createDecipheriv('aes-256-gcm', k1, iv);
    unpinned.setAAD(aad);
    unpinned.setAuthTag(tag.subarray(0, 4));
    expect(Buffer.concat([unpinned.update(ciphertext), unpinned.final()]).toString()).toBe('token-123');

    for (const length of [4, 8, 12]) {
      expect(
        rejection(() => decryptGcm({ key: k1, iv, ciphertext, tag: tag.subarray(0, length), aad })),
      ).toBe('authentication_failed');
    }
    expect(decryptGcm({ key: k1, iv, ciphertext, tag, aad }).toString()).toBe('token-123');
  });

  it('should parse strictly', () => {
    const envelope = seal('token-123');
    const [version, kid, iv, sealed] = envelope.split('.') as [string, string, string, string];
    const malformed = [
      `${version}.${kid}.${iv}`,
      `${envelope}.extra`,
      `${version}.${kid}.${iv}=.${sealed}`,
      `${version}.${kid}.${iv}.${sealed}=`,
      `${version}.${kid}.${iv.replace(/^./, '+')}.${sealed}`,
      `${version}.${kid}.${randomBytes(11).toString('base64url')}.${sealed}`,
      `${version}.${kid}.${randomBytes(13).toString('base64url')}.${sealed}`,
      `${version}.${kid}.${iv}.`,
      `${version}..${iv}.${sealed}`,
      '',
    ];
    for (const text of malformed) {
      expect(rejection(() => parseEnvelope(text))).toBe('malformed');
    }
    expect(parseEnvelope(envelope)).toMatchObject({ version: 'v1', kid: 'k1' });
  });

  it('should use a fresh IV for every seal (V5: 100,000 seals of one plaintext)', () => {
    const ivs = new Set<string>();
    const envelopes = new Set<string>();
    for (let index = 0; index < 100_000; index += 1) {
      const envelope = seal('same plaintext');
      envelopes.add(envelope);
      ivs.add(envelope.split('.')[2]);
    }
    expect(ivs.size).toBe(100_000);
    expect(envelopes.size).toBe(100_000);
  });

  it('should refuse input that would not round-trip or would make the associated data ambiguous', () => {
    expect(rejection(() => seal('abc\uD800def'))).toBe('invalid_plaintext');
    expect(rejection(() => seal('x', { owner: 'subscriber:a|b', kind: 'company_api_key' }))).toBe(
      'invalid_input',
    );
    expect(rejection(() => seal('x', { owner: '', kind: 'company_api_key' }))).toBe('invalid_input');
    expect(
      rejection(() => sealEnvelope({ kid: 'k1', key: randomBytes(16), context: acme, plaintext: 'x' })),
    ).toBe('invalid_input');
    expect(rejection(() => sealEnvelope({ kid: 'k.1', key: k1, context: acme, plaintext: 'x' }))).toBe(
      'invalid_input',
    );
  });

  it('should never put the plaintext or key in an error message', () => {
    const secret = 'canary-9f8e7d6c5b4a';
    const envelope = seal(secret);
    const messages: string[] = [];
    for (const attempt of [
      () => openEnvelope({ envelope, context: globex, keyFor }),
      () => openEnvelope({ envelope: envelope.replace('v1.k1', 'v1.k9'), context: acme, keyFor }),
      () => openEnvelope({ envelope: `${envelope}x`, context: acme, keyFor }),
    ]) {
      try {
        attempt();
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages).toHaveLength(3);
    for (const message of messages) {
      expect(message).not.toContain(secret);
      expect(message).not.toContain(k1.toString('base64'));
      expect(message).not.toContain(k1.toString('hex'));
    }
  });
});
