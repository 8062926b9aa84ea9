/**
 * `tnt_<keyId>_<secret>`: the prefix makes a leaked key easy to recognise (secret scanners, logs), the id
 * finds the row without a lookup by hash, and the secret is 32 random bytes in base64url.
 */
const API_KEY_PATTERN =
  /^tnt_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export function formatApiKey(id: string, secret: string): string {
  return `tnt_${id}_${secret}`;
}

/** Null for anything that is not exactly a Tenantry API key. */
export function parseApiKey(text: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(text);
  return match === null ? null : { id: match[1], secret: match[2] };
}
