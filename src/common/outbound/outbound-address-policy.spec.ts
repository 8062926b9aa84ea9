import { addressVerdict, parseAllowedRanges, targetVerdict } from './outbound-address-policy';

const none = parseAllowedRanges('').ranges;
const loopbackAllowed = parseAllowedRanges('127.0.0.0/8, ::1').ranges;

/** The host a connection to this URL would use, after the WHATWG parser normalised it. */
function hostOf(url: string): string {
  const verdict = targetVerdict(url);
  if (!verdict.allowed) {
    throw new Error(`${url} was refused: ${verdict.reason}`);
  }
  return verdict.literal ?? verdict.hostname;
}

describe('outbound address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1) is a loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1) is a loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ])('refuses %s (%s)', (address, reason) => {
    const verdict = addressVerdict(address, none);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toContain(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'admits the public address %s',
    (address) => {
      expect(addressVerdict(address, none)).toEqual({ allowed: true });
    },
  );

  it('admits an allow-listed range, also written as IPv4-mapped IPv6, and only that range', () => {
    const onPremises = parseAllowedRanges('10.20.0.0/16,fd12::/64').ranges;
    expect(addressVerdict('10.20.3.4', onPremises)).toEqual({ allowed: true });
    expect(addressVerdict('::ffff:10.20.3.4', onPremises)).toEqual({ allowed: true });
    expect(addressVerdict('fd12::5', onPremises)).toEqual({ allowed: true });
    expect(addressVerdict('10.21.0.1', onPremises).allowed).toBe(false);
    expect(addressVerdict('127.0.0.1', onPremises).allowed).toBe(false);
    expect(addressVerdict('127.0.0.1', loopbackAllowed)).toEqual({ allowed: true });
    expect(addressVerdict('::1', loopbackAllowed)).toEqual({ allowed: true });
  });

  it('never admits metadata, multicast or unspecified addresses, even when an allowed range holds them', () => {
    const everything = parseAllowedRanges('0.0.0.0/0,::/0').ranges;
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1', 'ff02::1', '::']) {
      expect(addressVerdict(address, everything).allowed).toBe(false);
    }
    expect(addressVerdict('10.0.0.1', everything)).toEqual({ allowed: true });
  });

  it('reports entries of OUTBOUND_ALLOW_CIDRS that are not ranges', () => {
    expect(parseAllowedRanges('10.0.0.0/8, nonsense, 300.1.1.1/8, fd00::/129').problems).toHaveLength(3);
    expect(parseAllowedRanges(' 10.0.0.0/8 ,, ::1 ').problems).toEqual([]);
  });
});

describe('outbound URL rules', () => {
  it.each([
    ['http://0x7f000001/hook', '127.0.0.1'],
    ['http://2130706433/hook', '127.0.0.1'],
    ['http://017700000001/hook', '127.0.0.1'],
    ['http://0177.0.0.1/hook', '127.0.0.1'],
    ['http://127.1/hook', '127.0.0.1'],
    ['http://[::1]:8080/hook', '::1'],
    ['http://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'],
    ['http://[::127.0.0.1]/hook', '::7f00:1'],
    ['http://[fd00:ec2::254]/latest/meta-data', 'fd00:ec2::254'],
    ['http://0.0.0.0:4010/__emulator/reset', '0.0.0.0'],
  ])('normalises %s to the address %s, which is refused', (url, address) => {
    expect(hostOf(url)).toBe(address);
    expect(addressVerdict(address, none).allowed).toBe(false);
  });

  it.each([
    ['http://user:pass@hooks.example.com/x', 'userinfo'],
    ['http://user@hooks.example.com/x', 'userinfo'],
    ['https://:secret@hooks.example.com/x', 'userinfo'],
    ['ftp://hooks.example.com/x', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://127.0.0.1:6379/_FLUSHALL', 'scheme'],
    ['not a url', 'absolute URL'],
  ])('refuses %s (%s)', (url, reason) => {
    const verdict = targetVerdict(url);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toContain(reason);
  });

  it('leaves names to the resolver', () => {
    expect(targetVerdict('https://hooks.example.com/x')).toMatchObject({
      allowed: true,
      hostname: 'hooks.example.com',
      literal: null,
    });
  });
});
