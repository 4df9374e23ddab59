/** "Did you mean": the candidate closest to a misspelt name (Levenshtein distance, case-insensitive). */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/**
 * The candidate within `maxDistance` edits of `name` (default: a third of its length, at least 1), the closest
 * first; undefined when none is that close.
 */
export function closestName(name: string, candidates: Iterable<string>, maxDistance = Math.max(1, Math.floor(name.length / 3))): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}
