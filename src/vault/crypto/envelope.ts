import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The sealed-value format: `v1.<kid>.<iv b64url>.<ciphertext||tag b64url>`, AES-256-GCM.
 *
 * - The IV is 12 random bytes per seal. With random 96-bit IVs one key is good for 2^32 seals (NIST
 *   SP 800-38D); at one value per company plus rotations we stay many orders of magnitude below that.
 * - The associated data is `v1|<kid>|<owner>|<kind>`: the version and kid are authenticated (no downgrade or
 *   kid swap), and owner + kind bind the ciphertext to one company and one field, so a value copied into
 *   another row does not decrypt.
 * - Every decipher pins `authTagLength: 16`: Node 20 otherwise accepts a truncated tag (DEP0182).
 *
 * Pure: no Nest, no I/O. Errors never carry plaintext or key bytes.
 */
export const ENVELOPE_VERSION = 'v1';
export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

const ALGORITHM = 'aes-256-gcm';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CONTEXT_PART = /^[^|\s]{1,200}$/;

export type EnvelopeErrorReason =
  | 'malformed'
  | 'unsupported_version'
  | 'unknown_key'
  | 'authentication_failed'
  | 'invalid_plaintext'
  | 'invalid_input';

export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** Who owns a sealed value and what it is; both must match at open time. */
export interface EnvelopeContext {
  owner: string;
  kind: string;
}

export interface ParsedEnvelope {
  version: typeof ENVELOPE_VERSION;
  kid: string;
  iv: Buffer;
  /** Ciphertext followed by the 16-byte tag. */
  sealed: Buffer;
}

function decodeBase64Url(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  // Buffer.from is lenient (skips junk, accepts padding); insist on the one canonical spelling.
  if (!BASE64URL.test(text) || bytes.toString('base64url') !== text) {
    throw new EnvelopeError('malformed', `Envelope ${what} is not canonical base64url`);
  }
  return bytes;
}

/** Strict parse: four dot-separated parts, known version, valid kid, exactly 12 IV bytes, a full tag. */
export function parseEnvelope(envelope: string): ParsedEnvelope {
  const parts = envelope.split('.');
  if (parts.length !== 4) {
    throw new EnvelopeError('malformed', 'Envelope must have four dot-separated parts');
  }
  const [version, kid, ivText, sealedText] = parts as [string, string, string, string];
  if (version !== ENVELOPE_VERSION) {
    throw new EnvelopeError('unsupported_version', 'Envelope version is not supported');
  }
  if (!KID_PATTERN.test(kid)) {
    throw new EnvelopeError('malformed', 'Envelope key id is not valid');
  }
  const iv = decodeBase64Url(ivText, 'IV');
  if (iv.length !== IV_BYTES) {
    throw new EnvelopeError('malformed', `Envelope IV must be ${IV_BYTES} bytes`);
  }
  const sealed = decodeBase64Url(sealedText, 'ciphertext');
  if (sealed.length < TAG_BYTES) {
    throw new EnvelopeError('malformed', 'Envelope is shorter than its authentication tag');
  }
  return { version: ENVELOPE_VERSION, kid, iv, sealed };
}

/** The key id of an envelope, without decrypting (rotation and boot checks). */
export function envelopeKeyId(envelope: string): string {
  return parseEnvelope(envelope).kid;
}

function checkContext(context: EnvelopeContext): void {
  // A `|` or blank part would make two different contexts produce the same associated data.
  if (!CONTEXT_PART.test(context.owner) || !CONTEXT_PART.test(context.kind)) {
    throw new EnvelopeError('invalid_input', 'Owner and kind must be 1-200 characters without "|" or spaces');
  }
}

export function associatedData(kid: string, context: EnvelopeContext): Buffer {
  return Buffer.from([ENVELOPE_VERSION, kid, context.owner, context.kind].join('|'), 'utf8');
}

function checkKey(kid: string, key: Buffer): void {
  if (!KID_PATTERN.test(kid)) {
    throw new EnvelopeError('invalid_input', 'Key id is not valid');
  }
  if (key.length !== KEY_BYTES) {
    throw new EnvelopeError('invalid_input', `Key ${kid} must be ${KEY_BYTES} bytes`);
  }
}

/** Low-level GCM decrypt; exported so a test can prove a short tag is refused (the `authTagLength` pin). */
export function decryptGcm(input: {
  key: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  aad: Buffer;
}): Buffer {
  try {
    const decipher = createDecipheriv(ALGORITHM, input.key, input.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(input.aad);
    decipher.setAuthTag(input.tag);
    return Buffer.concat([decipher.update(input.ciphertext), decipher.final()]);
  } catch {
    // OpenSSL's message says nothing useful and nothing secret; keep one stable reason.
    throw new EnvelopeError('authentication_failed', 'Envelope failed authentication');
  }
}

export function sealEnvelope(input: {
  kid: string;
  key: Buffer;
  context: EnvelopeContext;
  plaintext: string;
}): string {
  checkKey(input.kid, input.key);
  checkContext(input.context);
  const bytes = Buffer.from(input.plaintext, 'utf8');
  // A lone surrogate is replaced by U+FFFD on encoding, so the value read back would differ: refuse it.
  if (bytes.toString('utf8') !== input.plaintext) {
    throw new EnvelopeError('invalid_plaintext', 'Plaintext is not well-formed Unicode');
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, input.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(input.kid, input.context));
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  const sealed = Buffer.concat([ciphertext, cipher.getAuthTag()]);
  return [ENVELOPE_VERSION, input.kid, iv.toString('base64url'), sealed.toString('base64url')].join('.');
}

export function openEnvelope(input: {
  envelope: string;
  context: EnvelopeContext;
  keyFor: (kid: string) => Buffer | undefined;
}): string {
  checkContext(input.context);
  const parsed = parseEnvelope(input.envelope);
  const key = input.keyFor(parsed.kid);
  if (key === undefined) {
    throw new EnvelopeError('unknown_key', `Envelope key id ${parsed.kid} is not loaded`);
  }
  const plaintext = decryptGcm({
    key,
    iv: parsed.iv,
    ciphertext: parsed.sealed.subarray(0, parsed.sealed.length - TAG_BYTES),
    tag: parsed.sealed.subarray(parsed.sealed.length - TAG_BYTES),
    aad: associatedData(parsed.kid, input.context),
  });
  return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
}
