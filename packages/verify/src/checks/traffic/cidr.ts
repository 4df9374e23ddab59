/**
 * IPv4 address sets for NetworkPolicy `ipBlock` (cidr minus except). IPv6 blocks are parsed as "not IPv4" and
 * contain no IPv4 address (the clusters here are IPv4: KubernetesNetworkConfig.IpFamily ipv4).
 */

import { parseCidr as parseIpv4Cidr } from '@optibid/rendered';
import { normalizeIntervals, subtractIntervals } from './intervals';

/** Inclusive ranges of IPv4 addresses as unsigned 32-bit numbers, sorted and disjoint. */
export type AddressSet = readonly (readonly [number, number])[];

/** `a.b.c.d/n` (or a bare address, as /32; host bits allowed, as Kubernetes allows in ipBlock) as an interval; undefined when not IPv4. */
export function parseCidr(cidr: string): readonly [number, number] | undefined {
  const r = parseIpv4Cidr(cidr, { allowHostBits: true, allowBareAddress: true });
  return typeof r === 'string' ? undefined : [r.first, r.last];
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
