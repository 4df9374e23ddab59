/** Closed integer intervals [from, to]: the arithmetic shared by port sets and IPv4 address sets. */
export type Interval = readonly [number, number];

/** `set` minus every interval of `minus` (the result keeps `set`'s order; touching pieces are not merged). */
export function subtractIntervals(set: readonly Interval[], minus: readonly Interval[]): [number, number][] {
  let cur: [number, number][] = set.map(([a, b]) => [a, b]);
  for (const [c, d] of minus) {
    const next: [number, number][] = [];
    for (const [a, b] of cur) {
      if (d < a || c > b) next.push([a, b]);
      else {
        if (a < c) next.push([a, c - 1]);
        if (d < b) next.push([d + 1, b]);
      }
    }
    cur = next;
  }
  return cur;
}

/** Sorted, with overlapping and adjacent intervals merged. */
export function normalizeIntervals(set: readonly Interval[]): [number, number][] {
  const sorted = [...set].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
