/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds to wait, or
 * undefined when the header is absent or unreadable. Huge values are returned as they are: the caller compares
 * them with its cap and reschedules instead of sleeping.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) {
    return undefined;
  }
  const value = header.trim();
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : Number.MAX_SAFE_INTEGER;
  }
  // HTTP-date only (IMF-fixdate and the obsolete forms Date.parse accepts); plain numbers were handled above.
  if (!/[a-z]/i.test(value)) {
    return undefined;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) {
    return undefined;
  }
  return Math.max(0, at - nowMs);
}

/** Capped full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function fullJitterBackoff(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
