import ipaddr from 'ipaddr.js';

/** The counter of one key, in epoch ms: failures in the window, checks in flight, the lockout. */
export interface FailureCounter {
  failures: number;
  /** Password checks reserved and not yet finished (see LoginFailuresRepository.reserve). */
  pending: number;
  windowStartedAt: number;
  blockedUntil: number | null;
}

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

/**
 * What one sign-in attempt is counted against, in the order it reserves them:
 * - `address`: every attempt from one client address (password spraying across accounts);
 * - `account_address`: one account from one address, the lock an attacker's guesses run into, which leaves
 *   the owner signing in from elsewhere alone;
 * - `account`: one account from everywhere, a higher ceiling against guessing from many addresses.
 * The address comes first so that an address over its limit creates no rows for the emails it sprays, and
 * the account ceiling last so that guesses refused on their own address never use it up.
 */
export const THROTTLE_SCOPES = ['address', 'account_address', 'account'] as const;
export type ThrottleScope = (typeof THROTTLE_SCOPES)[number];

export interface ThrottleKey {
  scope: ThrottleScope;
  key: string;
}

/** The keys of an attempt, in reservation order. `email` is lower-cased, `address` a throttleAddress(). */
export function throttleKeys(email: string, address: string): ThrottleKey[] {
  return [
    { scope: 'address', key: `ip:${address}` },
    { scope: 'account_address', key: `account-ip:${address}:${email}` },
    { scope: 'account', key: `account:${email}` },
  ];
}

/**
 * The address an attempt is counted under: IPv4 (also when IPv4-mapped, `::ffff:192.0.2.1`) as it is, IPv6 by
 * its /64, the smallest block one subscriber line gets; counting single IPv6 addresses would let one client
 * use a fresh address per guess. Anything unparsable is counted as given.
 */
export function throttleAddress(remote: string): string {
  if (!ipaddr.isValid(remote)) {
    return remote;
  }
  const address = ipaddr.process(remote);
  if (address instanceof ipaddr.IPv4) {
    return address.toString();
  }
  const [a = 0, b = 0, c = 0, d = 0] = address.parts;
  return `${new ipaddr.IPv6([a, b, c, d, 0, 0, 0, 0]).toString()}/64`;
}

/**
 * Whole seconds until the key may try again (for Retry-After), or null when nothing holds it back: a lockout
 * that has not ended, or (no lockout) every slot of the window taken by checks still running.
 */
export function retryAfterSeconds(
  counter: FailureCounter | null,
  nowMs: number,
  rule: ThrottleRule,
): number | null {
  if (counter === null) {
    return null;
  }
  if (counter.blockedUntil !== null && counter.blockedUntil > nowMs) {
    return Math.max(1, Math.ceil((counter.blockedUntil - nowMs) / 1000));
  }
  const windowOpen = nowMs - counter.windowStartedAt < rule.windowMs;
  // Checks in flight end within a second or so (one scrypt); their slots are then free or a failure.
  return windowOpen && counter.failures + counter.pending >= rule.maxFailures ? 1 : null;
}
