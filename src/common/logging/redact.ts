export const REDACTED = '[Redacted]';

// Key names whose values are secrets wherever they appear (headers, bodies, error details, nested objects).
const SECRET_KEY = /authorization|cookie|password|passwd|token|secret|api[-_]?key|credential|signature/i;

const MAX_DEPTH = 8;

/**
 * Returns a copy of a log payload with secret-looking keys masked at any depth. Written by hand because
 * pino's built-in `redact` needs every path spelled out and cannot match "any key containing token".
 * Non-plain objects (errors, streams, sockets) are left to pino's serializers.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => redactSecrets(item, depth + 1));
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    return value;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(inner, depth + 1);
  }
  return copy;
}
