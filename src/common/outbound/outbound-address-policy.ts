import { isIP } from 'node:net';

import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** One entry of OUTBOUND_ALLOW_CIDRS: an address range the operator admits for on-premises receivers. */
export type AllowedRange = [Address, number];

export type Verdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Cloud instance-metadata endpoints (AWS/GCP/Azure/Oracle 169.254.169.254, AWS ECS 169.254.170.2, AWS IPv6
 * fd00:ec2::254, Alibaba 100.100.100.200). Never admitted, even inside an allow-listed range: they hand out the
 * host's credentials to whoever asks.
 */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'].map(
  (text) => ipaddr.parse(text).toNormalizedString(),
);

/** Ranges no receiver can live in: never admitted, whatever the allow-list says. */
const NEVER_ADMITTED = new Set(['unspecified', 'broadcast', 'multicast']);

/** How a refused range is named in the reason (ipaddr.js range names are camelCase identifiers). */
const RANGE_LABELS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (RFC 1918)',
  uniqueLocal: 'unique local (fc00::/7)',
  deprecatedSiteLocal: 'site-local',
  rfc6052: 'NAT64 (embeds an IPv4 address)',
  rfc6145: 'IPv4-translated (embeds an IPv4 address)',
  '6to4': '6to4 (embeds an IPv4 address)',
  teredo: 'Teredo (embeds an IPv4 address)',
};

/**
 * Parses OUTBOUND_ALLOW_CIDRS: comma-separated CIDRs (`10.20.0.0/16`, `fd12::/64`) or single addresses.
 * Returns the problems instead when any entry is not one (config validation lists them).
 */
export function parseAllowedRanges(text: string): { ranges: AllowedRange[]; problems: string[] } {
  const ranges: AllowedRange[] = [];
  const problems: string[] = [];
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)) {
    if (entry.includes('/') && ipaddr.isValidCIDR(entry)) {
      ranges.push(ipaddr.parseCIDR(entry));
    } else if (isIP(entry) !== 0) {
      const address = ipaddr.parse(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else {
      problems.push(`${entry} is not a CIDR such as 10.20.0.0/16 or an IP address`);
    }
  }
  return { ranges, problems };
}

/** `::a.b.c.d` (IPv4-compatible, deprecated by RFC 4291): the first 96 bits zero, and not `::` or `::1`. */
function isIpv4Compatible(address: ipaddr.IPv6): boolean {
  const parts = address.parts;
  return parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || parts[7] > 1);
}

/**
 * IPv6 text in pure hex, as the WHATWG URL parser writes it: ipaddr.js reads a dotted tail as IPv4-mapped
 * whatever precedes it (`::127.0.0.1` would become `::ffff:127.0.0.1`), so it gets no dotted tail.
 */
function canonical(text: string): string {
  return isIP(text) === 6 ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
}

function inAllowList(address: Address, allowList: readonly AllowedRange[]): boolean {
  return allowList.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}

/**
 * May the server connect to this IP address? Only global unicast addresses are admitted, plus the
 * operator's allow-list; loopback, private, link-local, CGNAT, unique-local, reserved, multicast, unspecified
 * and metadata addresses are refused, also when written as IPv4-mapped (`::ffff:127.0.0.1`) or
 * IPv4-compatible (`::127.0.0.1`) IPv6. The ranges come from ipaddr.js (its special-range tables), not from
 * hand-written patterns.
 */
export function addressVerdict(text: string, allowList: readonly AllowedRange[]): Verdict {
  if (isIP(text) === 0) {
    return { allowed: false, reason: `${text} is not an IP address` };
  }
  let address: Address = ipaddr.parse(canonical(text));
  let written = text;
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      address = v6.toIPv4Address();
      written = `${text} (IPv4-mapped ${address.toString()})`;
    } else if (isIpv4Compatible(v6)) {
      const embedded = new ipaddr.IPv4(v6.toByteArray().slice(12));
      return {
        allowed: false,
        reason: `${text} is an IPv4-compatible IPv6 address (deprecated; embeds ${embedded.toString()})`,
      };
    }
  }
  const range = address.range();
  if (METADATA_ADDRESSES.includes(address.toNormalizedString())) {
    return { allowed: false, reason: `${written} is a cloud metadata address` };
  }
  if (NEVER_ADMITTED.has(range)) {
    return { allowed: false, reason: `${written} is a ${RANGE_LABELS[range]} address` };
  }
  if (inAllowList(address, allowList)) {
    return { allowed: true };
  }
  if (range === 'unicast') {
    return { allowed: true };
  }
  return {
    allowed: false,
    reason: `${written} is a ${RANGE_LABELS[range] ?? `reserved (${range})`} address (not in OUTBOUND_ALLOW_CIDRS)`,
  };
}

export type TargetVerdict =
  { allowed: true; url: URL; hostname: string; literal: string | null } | { allowed: false; reason: string };

/**
 * The URL-level rules, before any resolution: http(s) only, no userinfo, a host. The WHATWG parser has
 * already normalised numeric hosts (`0x7f000001`, `2130706433`, `017700000001` → `127.0.0.1`), so the literal
 * check below sees what a connection would use.
 */
export function targetVerdict(text: string): TargetVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { allowed: false, reason: 'it is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { allowed: false, reason: `the scheme ${url.protocol} is not http or https` };
  }
  if (url.username !== '' || url.password !== '') {
    return { allowed: false, reason: 'it carries a user name or password (userinfo)' };
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname.length === 0) {
    return { allowed: false, reason: 'it has no host' };
  }
  return { allowed: true, url, hostname, literal: isIP(hostname) === 0 ? null : hostname };
}
