/**
 * IPv4 CIDR blocks, the one parser for config validation (VPC, allow lists) and for readers of rendered objects
 * (NetworkPolicy `ipBlock`). IPv6 is "not IPv4" here: the clusters are IPv4 (KubernetesNetworkConfig.IpFamily ipv4).
 */

/** A parsed IPv4 block: first and last address as unsigned 32-bit integers. */
export interface CidrRange {
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

export interface CidrParseOptions {
  /**
   * Accept a block whose address has host bits set (`10.0.0.1/16` = 10.0.0.0/16), as Kubernetes does for ipBlock.
   * AWS rejects it for a VPC or subnet.
   * @default false
   */
  readonly allowHostBits?: boolean;
  /**
   * Accept a bare address as a /32.
   * @default false
   */
  readonly allowBareAddress?: boolean;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** Parses `a.b.c.d/n`; returns the range, or an error string (for a field-level message) instead of throwing. */
export function parseCidr(cidr: string, opts: CidrParseOptions = {}): CidrRange | string {
  const m = CIDR_RE.exec(opts.allowBareAddress ? cidr.trim() : cidr);
  if (!m || (m[5] === undefined && !opts.allowBareAddress)) return `'${cidr}' is not an IPv4 CIDR (expected a.b.c.d/n)`;
  const octets = m.slice(1, 5).map(Number);
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255)) return `'${cidr}' has an octet above 255`;
  if (prefix > 32) return `'${cidr}' has a prefix length above 32`;
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - prefix);
  if (addr % size !== 0 && !opts.allowHostBits) return `'${cidr}' has host bits set (the network address of a /${prefix} must be a multiple of ${size})`;
  const first = Math.floor(addr / size) * size;
  return { cidr, first, last: first + size - 1, prefix };
}

/** True when the two ranges share at least one address. */
export function cidrsOverlap(a: CidrRange, b: CidrRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: CidrRange, inner: CidrRange): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}
