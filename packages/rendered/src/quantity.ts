/**
 * Kubernetes resource quantities (`500m`, `1.5`, `256Mi`, `1G`, `1e3`...), the one parser every reader uses.
 * Grammar (k8s.io/apimachinery pkg/api/resource/quantity.go): <sign><digits>[.<digits>]<suffix> with suffix one of
 * the binary SI (Ki..Ei), decimal SI (n u m k M G T P E) or a decimal exponent (e3, E-2). Parsed exactly, as a
 * fraction, so `0.5` equals `500m`; the numeric helpers round up as the API server does.
 */

/** A parsed quantity: value = num / den, den > 0. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

const BINARY_SI = new Map<string, number>([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);

const DECIMAL_SI = new Map<string, number>([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);

/** The quantity, or undefined when the value is not a valid Kubernetes quantity. */
export function parseExactQuantity(value: unknown): Quantity | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    return undefined;
  }
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix] = m;
  const [intPart, fracPart = ''] = digits.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  let exponent: number;
  const binary = BINARY_SI.get(suffix);
  if (binary !== undefined) {
    num *= 2n ** BigInt(binary);
    exponent = 0;
  } else if (DECIMAL_SI.has(suffix)) {
    exponent = DECIMAL_SI.get(suffix)!;
  } else {
    const e = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!e) return undefined;
    exponent = Number(e[1]);
  }
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else den *= 10n ** BigInt(-exponent);
  return { num: sign === '-' ? -num : num, den };
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The quantity in base units (cores, bytes). Throws on a malformed value. */
export function quantityValue(q: string | number): number {
  const p = parseExactQuantity(typeof q === 'string' ? q.trim() : q);
  if (!p) throw new Error(`'${q}' is not a Kubernetes quantity (e.g. 250m, 1.5, 512Mi, 2Gi)`);
  return Number(p.num) / Number(p.den);
}

/** Ceiling of num/den for den > 0. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

/** `250m` → 250, `1.5` → 1500, `2` → 2000 (millicores, rounded up). Throws on a malformed value. */
export function cpuMillis(q: string | number): number {
  const p = parseExactQuantity(typeof q === 'string' ? q.trim() : q);
  if (!p) throw new Error(`'${q}' is not a Kubernetes quantity (CPU, e.g. 250m, 1, 1.5)`);
  return Number(ceilDiv(p.num * 1000n, p.den));
}

/** `512Mi` → 536870912, `1G` → 1e9 (bytes, rounded up). Throws on a malformed value. */
export function memoryBytes(q: string | number): number {
  const p = parseExactQuantity(typeof q === 'string' ? q.trim() : q);
  if (!p) throw new Error(`'${q}' is not a Kubernetes quantity (memory, e.g. 512Mi, 2Gi)`);
  return Number(ceilDiv(p.num, p.den));
}

/** Storage quantities are byte quantities. */
export const storageBytes = memoryBytes;

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
