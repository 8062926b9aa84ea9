// The module object itself (not a namespace copy), so a test spy on timingSafeEqual sees every call.
import crypto from 'node:crypto';

/** Standard Webhooks (https://www.standardwebhooks.com) secrets are `whsec_` + base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const SIGNATURE_VERSION = 'v1';
/** The specification's tolerance: older or newer timestamps are refused (replay window). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export function newWebhookSecret(): string {
  return SECRET_PREFIX + crypto.randomBytes(SECRET_BYTES).toString('base64');
}

function keyOf(secret: string): Buffer {
  const encodedKey = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(encodedKey, 'base64');
}

/** Base64 HMAC-SHA256 of `${id}.${timestamp}.` followed by the body bytes, keyed by the decoded secret. */
function macOf(secret: string, id: string, timestampSeconds: number | string, body: string | Buffer): Buffer {
  return crypto
    .createHmac('sha256', keyOf(secret))
    .update(`${id}.${timestampSeconds}.`)
    .update(body)
    .digest();
}

/** `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, keyed by the decoded secret. Pure. */
export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  return `${SIGNATURE_VERSION},${macOf(secret, id, timestampSeconds, body).toString('base64')}`;
}

/** The three headers of a signed Standard Webhooks request. */
export function webhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

/**
 * Compares a received MAC with an expected one in constant time. The length check comes first because
 * `timingSafeEqual` throws on buffers of different lengths (a length is not a secret).
 */
export function macMatches(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && crypto.timingSafeEqual(received, expected);
}

export type WebhookVerdict = { valid: true } | { valid: false; reason: string };

export interface SignedDelivery {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
}

/** Whole seconds since the epoch, digits only (no sign, exponent or fraction). */
export function parseTimestamp(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : null;
}

/** Refuses a timestamp more than the tolerance away from now, in either direction. */
export function timestampVerdict(timestampSeconds: number, nowMs: number): WebhookVerdict {
  return Math.abs(nowMs / 1000 - timestampSeconds) > WEBHOOK_TOLERANCE_SECONDS
    ? { valid: false, reason: 'the timestamp is outside the 5-minute tolerance' }
    : { valid: true };
}

/**
 * Verifies a Standard Webhooks delivery over its raw bytes against every active secret: the header is a
 * space-separated list of `<version>,<base64>` signatures (several during a rotation); unknown versions are
 * ignored and one `v1` match is enough. Every candidate is compared, so the work does not depend on which
 * one matched.
 */
export function verifyWebhook(
  delivery: SignedDelivery,
  secrets: readonly string[],
  nowMs: number,
): WebhookVerdict {
  const { id, signature } = delivery;
  if (id === undefined || id.length === 0 || signature === undefined || signature.length === 0) {
    return {
      valid: false,
      reason: 'the webhook-id, webhook-timestamp or webhook-signature header is missing',
    };
  }
  const timestamp = parseTimestamp(delivery.timestamp);
  if (timestamp === null) {
    return { valid: false, reason: 'the webhook-timestamp header is not a number of seconds' };
  }
  const window = timestampVerdict(timestamp, nowMs);
  if (!window.valid) {
    return window;
  }
  const candidates = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === SIGNATURE_VERSION && value !== undefined)
    .map(([, value]) => Buffer.from(value, 'base64'));
  let matched = false;
  for (const secret of secrets) {
    const expected = macOf(secret, id, delivery.timestamp as string, delivery.body);
    for (const candidate of candidates) {
      matched = macMatches(candidate, expected) || matched;
    }
  }
  return matched ? { valid: true } : { valid: false, reason: 'no signature matches' };
}
