import { cidrContains, cidrsOverlap, CidrRange, parseCidr } from '../src/cidr';

/** Parses a CIDR that must be valid (fails the test otherwise). */
function range(cidr: string): CidrRange {
  const r = parseCidr(cidr);
  if (typeof r === 'string') throw new Error(`expected ${cidr} to parse, got: ${r}`);
  return r;
}

const ip = (a: number, b: number, c: number, d: number) => a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d;

describe('parseCidr', () => {
  it('parses a /16 into its first and last address', () => {
    expect(parseCidr('10.30.0.0/16')).toEqual({ cidr: '10.30.0.0/16', first: ip(10, 30, 0, 0), last: ip(10, 30, 255, 255), prefix: 16 });
  });

  it('parses a /32 as a single address', () => {
    const r = range('192.168.1.7/32');
    expect(r.first).toBe(ip(192, 168, 1, 7));
    expect(r.last).toBe(r.first);
    expect(r.prefix).toBe(32);
  });

  it('parses 0.0.0.0/0 as the whole IPv4 space', () => {
    expect(range('0.0.0.0/0')).toMatchObject({ first: 0, last: 2 ** 32 - 1, prefix: 0 });
  });

  it('handles addresses with the top bit set as unsigned numbers', () => {
    expect(range('255.255.255.255/32').first).toBe(2 ** 32 - 1);
    expect(range('128.0.0.0/1')).toMatchObject({ first: 2 ** 31, last: 2 ** 32 - 1 });
    expect(range('203.0.113.0/24').first).toBeGreaterThan(0);
  });

  it.each([
    ['10.0.0.1/16', /host bits set/],
    ['10.0.1.0/16', /host bits set/],
    ['1.0.0.0/0', /host bits set/],
    ['10.0.0.16/27', /host bits set/],
  ])('rejects %s (host bits set)', (cidr, rule) => {
    expect(parseCidr(cidr)).toEqual(expect.stringMatching(rule));
  });

  it('accepts the network address at every prefix length', () => {
    for (let prefix = 0; prefix <= 32; prefix++) expect(typeof parseCidr(`0.0.0.0/${prefix}`)).toBe('object');
    expect(typeof parseCidr('10.0.0.32/27')).toBe('object');
  });

  it.each([
    ['10.0.0.0/33', /prefix length above 32/],
    ['10.0.0.0/99', /prefix length above 32/],
    ['256.0.0.0/8', /octet above 255/],
    ['10.0.0.300/32', /octet above 255/],
    ['10.0.0/16', /not an IPv4 CIDR/],
    ['10.0.0.0', /not an IPv4 CIDR/],
    ['10.0.0.0/', /not an IPv4 CIDR/],
    ['10.0.0.0/-1', /not an IPv4 CIDR/],
    [' 10.0.0.0/16', /not an IPv4 CIDR/],
    ['10.0.0.0/16 ', /not an IPv4 CIDR/],
    ['a.b.c.d/16', /not an IPv4 CIDR/],
    ['', /not an IPv4 CIDR/],
    ['2001:db8::/32', /not an IPv4 CIDR/],
  ])('rejects %j', (cidr, rule) => {
    const r = parseCidr(cidr);
    expect(typeof r).toBe('string');
    expect(r).toMatch(rule);
  });

  it('names the offending CIDR in the error', () => {
    expect(parseCidr('10.0.0.1/16')).toContain("'10.0.0.1/16'");
  });
});

describe('cidrsOverlap', () => {
  it('adjacent blocks do not overlap', () => {
    expect(cidrsOverlap(range('10.0.0.0/24'), range('10.0.1.0/24'))).toBe(false);
    expect(cidrsOverlap(range('10.0.1.0/24'), range('10.0.0.0/24'))).toBe(false);
    expect(cidrsOverlap(range('10.0.0.0/32'), range('10.0.0.1/32'))).toBe(false);
    expect(cidrsOverlap(range('0.0.0.0/1'), range('128.0.0.0/1'))).toBe(false);
  });

  it('identical blocks overlap', () => {
    expect(cidrsOverlap(range('10.0.0.0/24'), range('10.0.0.0/24'))).toBe(true);
    expect(cidrsOverlap(range('10.0.0.5/32'), range('10.0.0.5/32'))).toBe(true);
  });

  it('a block overlaps the blocks it contains, in either argument order', () => {
    const big = range('10.30.0.0/19');
    const small = range('10.30.31.0/24'); // the last /24 of the /19
    expect(cidrsOverlap(big, small)).toBe(true);
    expect(cidrsOverlap(small, big)).toBe(true);
  });

  it('a /32 overlaps the block it lies in, including its first and last address', () => {
    expect(cidrsOverlap(range('10.0.0.0/32'), range('10.0.0.0/24'))).toBe(true);
    expect(cidrsOverlap(range('10.0.0.255/32'), range('10.0.0.0/24'))).toBe(true);
    expect(cidrsOverlap(range('10.0.1.0/32'), range('10.0.0.0/24'))).toBe(false);
  });

  it('/0 overlaps everything', () => {
    const all = range('0.0.0.0/0');
    for (const c of ['0.0.0.0/32', '10.0.0.0/8', '255.255.255.255/32']) expect(cidrsOverlap(all, range(c))).toBe(true);
  });

  it('disjoint blocks far apart do not overlap', () => {
    expect(cidrsOverlap(range('10.10.0.0/16'), range('10.20.0.0/16'))).toBe(false);
  });
});

describe('cidrContains', () => {
  it('a block contains itself', () => {
    expect(cidrContains(range('10.0.0.0/16'), range('10.0.0.0/16'))).toBe(true);
  });

  it('contains subnets at its first and last edge', () => {
    const vpc = range('10.30.0.0/16');
    expect(cidrContains(vpc, range('10.30.0.0/24'))).toBe(true);
    expect(cidrContains(vpc, range('10.30.255.0/24'))).toBe(true);
    expect(cidrContains(vpc, range('10.30.255.255/32'))).toBe(true);
  });

  it('is not symmetric: the smaller block does not contain the larger', () => {
    expect(cidrContains(range('10.30.0.0/24'), range('10.30.0.0/16'))).toBe(false);
  });

  it('does not contain a block that only partly overlaps or is adjacent', () => {
    expect(cidrContains(range('10.30.0.0/17'), range('10.30.0.0/16'))).toBe(false);
    expect(cidrContains(range('10.30.0.0/16'), range('10.31.0.0/24'))).toBe(false);
    expect(cidrContains(range('10.30.0.0/16'), range('10.29.255.255/32'))).toBe(false);
  });

  it('/0 contains everything, including /0', () => {
    const all = range('0.0.0.0/0');
    for (const c of ['0.0.0.0/0', '0.0.0.0/32', '255.255.255.255/32', '172.16.0.0/12']) expect(cidrContains(all, range(c))).toBe(true);
  });
});

describe('parseCidr options (NetworkPolicy ipBlock reading)', () => {
  test('host bits and bare addresses are accepted only when asked, as Kubernetes accepts them in ipBlock', () => {
    expect(parseCidr('10.0.0.1/16')).toMatch(/host bits set/);
    expect(parseCidr('10.0.0.1/16', { allowHostBits: true })).toMatchObject({ first: 0x0a000000, last: 0x0a00ffff, prefix: 16 });
    expect(parseCidr('169.254.170.23')).toMatch(/not an IPv4 CIDR/);
    expect(parseCidr('169.254.170.23', { allowBareAddress: true })).toMatchObject({ prefix: 32, first: 0xa9feaa17, last: 0xa9feaa17 });
    expect(parseCidr('fd00:ec2::23/128', { allowHostBits: true, allowBareAddress: true })).toMatch(/not an IPv4 CIDR/);
  });
});
