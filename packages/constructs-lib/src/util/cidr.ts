/**
 * IPv4 CIDR arithmetic used by config validation and by the VPC construct.
 * Pure functions; no dependency on aws-cdk-lib so the schema can run anywhere.
 */

/** A parsed IPv4 CIDR block: first and last address as unsigned 32-bit integers. */
export interface CidrRange {
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns an error string instead of throwing so the schema can report it against a field.
 * The address must be the network address (no host bits set): `10.0.0.1/16` is rejected, as AWS does.
 */
export function parseCidr(cidr: string): CidrRange | string {
  const m = CIDR_RE.exec(cidr);
  if (!m) return `'${cidr}' is not an IPv4 CIDR (expected a.b.c.d/n)`;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return `'${cidr}' has an octet above 255`;
  if (prefix > 32) return `'${cidr}' has a prefix length above 32`;
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - prefix);
  if (addr % size !== 0) return `'${cidr}' has host bits set (the network address of a /${prefix} must be a multiple of ${size})`;
  return { cidr, first: addr, last: addr + size - 1, prefix };
}

/** True when the two ranges share at least one address. */
export function cidrsOverlap(a: CidrRange, b: CidrRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: CidrRange, inner: CidrRange): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}
