/**
 * Sets of (protocol, port) as NetworkPolicy rules describe them: per protocol, a sorted list of disjoint inclusive
 * port ranges. Immutable values; every operation returns a new set.
 */

import { normalizeIntervals, subtractIntervals } from './intervals';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

const MIN_PORT = 1;
const MAX_PORT = 65535;

type Range = readonly [number, number];

export class PortSet {
  private constructor(private readonly byProto: ReadonlyMap<Protocol, readonly Range[]>) {}

  static empty(): PortSet {
    return new PortSet(new Map());
  }

  /** Every port of every protocol (a rule with no `ports`). */
  static all(): PortSet {
    return new PortSet(new Map(PROTOCOLS.map((p) => [p, [[MIN_PORT, MAX_PORT]] as Range[]])));
  }

  /** Every port of one protocol (a port entry with a protocol and no port). */
  static allOf(protocol: Protocol): PortSet {
    return new PortSet(new Map([[protocol, [[MIN_PORT, MAX_PORT]] as Range[]]]));
  }

  static range(protocol: Protocol, from: number, to = from): PortSet {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from > to) return PortSet.empty();
    return new PortSet(new Map([[protocol, [[Math.max(MIN_PORT, from), Math.min(MAX_PORT, to)]] as Range[]]]));
  }

  /** Parses `5432/TCP`, `53/UDP`, `8000-8100/TCP`, `*\/TCP`; the protocol defaults to TCP. */
  static parse(spec: string): PortSet {
    const [portPart, protoPart] = spec.split('/');
    const proto = (protoPart ?? 'TCP').toUpperCase() as Protocol;
    if (!PROTOCOLS.includes(proto)) throw new Error(`port spec "${spec}": unknown protocol`);
    if (portPart === '*') return PortSet.allOf(proto);
    const m = /^(\d+)(?:-(\d+))?$/.exec(portPart);
    if (!m) throw new Error(`port spec "${spec}": expected <port>[-<endPort>]/<protocol>`);
    return PortSet.range(proto, Number(m[1]), m[2] ? Number(m[2]) : Number(m[1]));
  }

  static union(sets: readonly PortSet[]): PortSet {
    return sets.reduce((acc, s) => acc.union(s), PortSet.empty());
  }

  private static normalize(ranges: readonly Range[]): Range[] {
    return normalizeIntervals(ranges);
  }

  private build(f: (p: Protocol, mine: readonly Range[]) => readonly Range[]): PortSet {
    const m = new Map<Protocol, readonly Range[]>();
    for (const p of PROTOCOLS) {
      const r = PortSet.normalize(f(p, this.byProto.get(p) ?? []));
      if (r.length) m.set(p, r);
    }
    return new PortSet(m);
  }

  union(other: PortSet): PortSet {
    return this.build((p, mine) => [...mine, ...(other.byProto.get(p) ?? [])]);
  }

  intersect(other: PortSet): PortSet {
    return this.build((p, mine) => {
      const out: Range[] = [];
      for (const [a, b] of mine) for (const [c, d] of other.byProto.get(p) ?? []) if (Math.max(a, c) <= Math.min(b, d)) out.push([Math.max(a, c), Math.min(b, d)]);
      return out;
    });
  }

  subtract(other: PortSet): PortSet {
    return this.build((p, mine) => {
      return subtractIntervals(mine, other.byProto.get(p) ?? []);
    });
  }

  isEmpty(): boolean {
    return this.byProto.size === 0;
  }

  has(port: number, protocol: Protocol = 'TCP'): boolean {
    return (this.byProto.get(protocol) ?? []).some(([a, b]) => port >= a && port <= b);
  }

  /** True when every port of `other` is in this set. */
  covers(other: PortSet): boolean {
    return other.subtract(this).isEmpty();
  }

  equals(other: PortSet): boolean {
    return this.covers(other) && other.covers(this);
  }

  isAll(): boolean {
    return this.covers(PortSet.all());
  }

  /**
   * Human notation, deterministic: `any` for every port of every protocol, else entries like `443/TCP`,
   * `30000-32767/TCP`, `any/UDP`, ordered by port then protocol.
   */
  format(): string {
    if (this.isEmpty()) return 'none';
    if (this.isAll()) return 'any';
    return this.entries().join(', ');
  }

  /** The entries `format` joins (each `<port>[-<end>]/<protocol>` or `any/<protocol>`). */
  entries(): string[] {
    const items: { key: number; proto: number; text: string }[] = [];
    PROTOCOLS.forEach((p, pi) => {
      for (const [a, b] of this.byProto.get(p) ?? []) {
        const text = a === MIN_PORT && b === MAX_PORT ? `any/${p}` : a === b ? `${a}/${p}` : `${a}-${b}/${p}`;
        items.push({ key: a === MIN_PORT && b === MAX_PORT ? 0 : a, proto: pi, text });
      }
    });
    return items.sort((x, y) => x.key - y.key || x.proto - y.proto).map((i) => i.text);
  }
}
