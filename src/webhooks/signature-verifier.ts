import { createHash, createHmac } from 'node:crypto';

import {
  macMatches,
  parseTimestamp,
  timestampVerdict,
  verifyWebhook,
  type WebhookVerdict,
} from '../common/standard-webhooks';
import type { HmacScheme, WebhookScheme } from './webhook.types';

/** A signature header longer than this is refused before any work (no sender needs several KB of MACs). */
export const MAX_SIGNATURE_HEADER_BYTES = 8 * 1024;

type Headers = Record<string, string | string[] | undefined>;

export interface ReceivedDelivery {
  headers: Headers;
  body: Buffer;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The Standard Webhooks headers of a delivery: `webhook-id`, `webhook-timestamp`, `webhook-signature`, or
 * the same scheme under Svix's names (`svix-id`, …), which Svix-delivered billing and CRM systems send. One
 * family is read whole (the `webhook-*` one when any of its headers is present), never a mix.
 */
export function standardHeaders(headers: Headers): {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
} {
  const family = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].some(
    (name) => header(headers, name) !== undefined,
  )
    ? 'webhook'
    : ['svix-id', 'svix-timestamp', 'svix-signature'].some((name) => header(headers, name) !== undefined)
      ? 'svix'
      : 'webhook';
  return {
    id: header(headers, `${family}-id`),
    timestamp: header(headers, `${family}-timestamp`),
    signature: header(headers, `${family}-signature`),
  };
}

/**
 * Does the signature cover the delivery id? Standard Webhooks signs `{id}.{timestamp}.{body}`; an HMAC
 * source signs only the body (and the timestamp when it has one), so its id is covered only when it is a
 * payload field (`idField`), never when it comes from a header.
 */
export function signatureCoversId(source: { scheme: WebhookScheme; hmac: HmacScheme | null }): boolean {
  return (
    source.scheme === 'standard_webhooks' ||
    (source.hmac?.idField !== undefined && source.hmac.idHeader === undefined)
  );
}

/**
 * For a verified delivery whose id the signature does not cover: the sha256 (hex) of exactly the bytes the
 * signature covers (`{timestamp}.` and the body). Resending them under a new id header gives the same digest,
 * so the unique (source, digest) index makes it a duplicate; a genuine new event has a new timestamp or body.
 * Null when the id is signed (the id deduplicates).
 */
export function signedDigestOf(
  source: { scheme: WebhookScheme; hmac: HmacScheme | null },
  headers: Headers,
  body: Buffer,
): string | null {
  if (signatureCoversId(source) || source.hmac === null) {
    return null;
  }
  const hash = createHash('sha256');
  if (source.hmac.timestampHeader !== undefined) {
    hash.update(`${header(headers, source.hmac.timestampHeader) ?? ''}.`);
  }
  return hash.update(body).digest('hex');
}

/** `X-Hub-Signature-256: sha256=<hex>` style: one HMAC-SHA256 of the body (or `${timestamp}.${body}`). */
export function verifyHmac(
  delivery: ReceivedDelivery,
  settings: HmacScheme,
  secrets: readonly string[],
  nowMs: number,
): WebhookVerdict {
  const signature = header(delivery.headers, settings.signatureHeader);
  if (
    signature === undefined ||
    !signature.startsWith(settings.prefix) ||
    signature.length === settings.prefix.length
  ) {
    return { valid: false, reason: `the ${settings.signatureHeader} header is missing or malformed` };
  }
  let timestamp: string | undefined;
  if (settings.timestampHeader !== undefined) {
    timestamp = header(delivery.headers, settings.timestampHeader);
    const seconds = parseTimestamp(timestamp);
    if (seconds === null) {
      return { valid: false, reason: `the ${settings.timestampHeader} header is not a number of seconds` };
    }
    const window = timestampVerdict(seconds, nowMs);
    if (!window.valid) {
      return window;
    }
  }
  const received = Buffer.from(signature.slice(settings.prefix.length), settings.encoding);
  let matched = false;
  for (const secret of secrets) {
    const mac = createHmac('sha256', secret);
    if (timestamp !== undefined) {
      mac.update(`${timestamp}.`);
    }
    matched = macMatches(received, mac.update(delivery.body).digest()) || matched;
  }
  return matched ? { valid: true } : { valid: false, reason: 'the signature does not match' };
}

/** The header that carries the signature under a scheme (for the size check). */
function signatureOf(headers: Headers, scheme: WebhookScheme, hmac: HmacScheme | null): string | undefined {
  return scheme === 'hmac_sha256' && hmac !== null
    ? header(headers, hmac.signatureHeader)
    : standardHeaders(headers).signature;
}

/** Verifies a delivery under its source's scheme against the source's active secrets. */
export function verifyDelivery(
  delivery: ReceivedDelivery,
  source: { scheme: WebhookScheme; hmac: HmacScheme | null },
  secrets: readonly string[],
  nowMs: number,
): WebhookVerdict {
  const signature = signatureOf(delivery.headers, source.scheme, source.hmac);
  if (signature !== undefined && Buffer.byteLength(signature) > MAX_SIGNATURE_HEADER_BYTES) {
    return { valid: false, reason: 'the signature header is larger than 8 KB' };
  }
  if (source.scheme === 'hmac_sha256' && source.hmac !== null) {
    return verifyHmac(delivery, source.hmac, secrets, nowMs);
  }
  const { id, timestamp } = standardHeaders(delivery.headers);
  return verifyWebhook({ id, timestamp, signature, body: delivery.body }, secrets, nowMs);
}

/** The delivery id from a header, when the scheme has one there (otherwise the payload has it). */
export function deliveryIdHeader(
  headers: Headers,
  source: { scheme: WebhookScheme; hmac: HmacScheme | null },
): string | undefined {
  if (source.scheme === 'standard_webhooks') {
    return standardHeaders(headers).id;
  }
  return source.hmac?.idHeader === undefined ? undefined : header(headers, source.hmac.idHeader);
}
