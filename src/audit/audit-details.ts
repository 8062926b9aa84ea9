import { redactSecrets } from '../common/logging/redact';

/** Longest stored `details` JSON; larger payloads are replaced by a truncated preview. */
export const MAX_DETAILS_CHARS = 4000;

// Control characters have no business in audit text: they garble CSV and terminals, and PostgreSQL refuses NUL.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * A value as it can be stored and hashed: control characters blanked, cut to the column length, and made
 * well-formed UTF-16 (a cut surrogate pair would otherwise be stored as U+FFFD and fail its own hash).
 */
export function auditText(value: string, maxLength: number): string {
  const cut = value.replace(CONTROL_CHARACTERS, ' ').slice(0, maxLength);
  return Buffer.from(cut, 'utf8').toString('utf8');
}

export function optionalAuditText(value: string | null | undefined, maxLength: number): string | null {
  return value === null || value === undefined ? null : auditText(value, maxLength);
}

/** Details as stored: secrets masked at any depth (same rules as the logs), JSON, bounded in size. */
export function serializeDetails(details: Record<string, unknown> | undefined): string | null {
  if (details === undefined) {
    return null;
  }
  let json: string;
  try {
    json = JSON.stringify(redactSecrets(details)) ?? 'null';
  } catch {
    // Cycles or BigInts: keep the fact that there were details, not the details.
    return JSON.stringify({ unserializable: true });
  }
  if (json.length <= MAX_DETAILS_CHARS) {
    return json;
  }
  return JSON.stringify({
    truncated: true,
    length: json.length,
    preview: json.slice(0, MAX_DETAILS_CHARS - 100),
  });
}
