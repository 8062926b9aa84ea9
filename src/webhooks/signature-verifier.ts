import { createHmac } from 'node:crypto';

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
function signatureHeaderOf(scheme: WebhookScheme, hmac: HmacScheme | null): string {
  return scheme === 'hmac_sha256' && hmac !== null ? hmac.signatureHeader : 'webhook-signature';
}

/** Verifies a delivery under its source's scheme against the source's active secrets. */
export function verifyDelivery(
  delivery: ReceivedDelivery,
  source: { scheme: WebhookScheme; hmac: HmacScheme | null },
  secrets: readonly string[],
  nowMs: number,
): WebhookVerdict {
  const signature = header(delivery.headers, signatureHeaderOf(source.scheme, source.hmac));
  if (signature !== undefined && Buffer.byteLength(signature) > MAX_SIGNATURE_HEADER_BYTES) {
    return { valid: false, reason: 'the signature header is larger than 8 KB' };
  }
  if (source.scheme === 'hmac_sha256' && source.hmac !== null) {
    return verifyHmac(delivery, source.hmac, secrets, nowMs);
  }
  return verifyWebhook(
    {
      id: header(delivery.headers, 'webhook-id'),
      timestamp: header(delivery.headers, 'webhook-timestamp'),
      signature,
      body: delivery.body,
    },
    secrets,
    nowMs,
  );
}

/** The delivery id from a header, when the scheme has one there (otherwise the payload has it). */
export function deliveryIdHeader(
  headers: Headers,
  source: { scheme: WebhookScheme; hmac: HmacScheme | null },
): string | undefined {
  if (source.scheme === 'standard_webhooks') {
    return header(headers, 'webhook-id');
  }
  return source.hmac?.idHeader === undefined ? undefined : header(headers, source.hmac.idHeader);
}
