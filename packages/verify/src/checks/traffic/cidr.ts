/**
 * IPv4 address sets for NetworkPolicy `ipBlock` (cidr minus except). IPv6 blocks are parsed as "not IPv4" and
 * contain no IPv4 address (the clusters here are IPv4: KubernetesNetworkConfig.IpFamily ipv4).
 */

import { normalizeIntervals, subtractIntervals } from './intervals';

/** Inclusive ranges of IPv4 addresses as unsigned 32-bit numbers, sorted and disjoint. */
export type AddressSet = readonly (readonly [number, number])[];

/** Parses `a.b.c.d/n` (or a bare address, as /32) to its range; undefined when not IPv4. */
export function parseCidr(cidr: string): readonly [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) return undefined;
  const addr = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - bits);
  const start = Math.floor(addr / size) * size;
  return [start, start + size - 1];
}

function normalize(ranges: readonly (readonly [number, number])[]): AddressSet {
  return normalizeIntervals(ranges);
}

export function addressSet(cidrs: readonly string[]): AddressSet {
  return normalize(cidrs.map(parseCidr).filter((r): r is readonly [number, number] => r !== undefined));
}

export function subtractAddresses(set: AddressSet, minus: AddressSet): AddressSet {
  return subtractIntervals(set, minus);
}

/** The addresses an ipBlock admits: its cidr minus every except. */
export function ipBlockAddresses(block: { cidr: string; except?: readonly string[] }): AddressSet {
  return subtractAddresses(addressSet([block.cidr]), addressSet(block.except ?? []));
}

/** True when every address of `inner` is in `outer` (an empty inner set is contained in nothing, by convention). */
export function containsAll(outer: AddressSet, inner: AddressSet): boolean {
  return inner.length > 0 && subtractAddresses(inner, outer).length === 0;
}

/** `cidr` or `cidr except a, b` — the display name of an ipBlock. */
export function formatIpBlock(block: { cidr: string; except?: readonly string[] }): string {
  return block.except?.length ? `${block.cidr} except ${[...block.except].join(', ')}` : block.cidr;
}
