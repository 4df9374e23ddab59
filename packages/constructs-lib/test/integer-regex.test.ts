import { integerGreaterThanRegex, nginxSizeBytes, WAF_REGEX_MAX_LENGTH } from '../src';

/** The regex against the arithmetic it stands for, around every boundary of several limits. */
describe.each([0, 1, 9, 10, 99, 100, 8192, 999_999, 1_048_576, 10_485_760, 99_999_999, 104_857_600])('integerGreaterThanRegex(%i)', (n) => {
  const re = new RegExp(integerGreaterThanRegex(n));
  const probes = new Set<number>();
  for (const base of [n, 10 ** String(n).length, 10 ** (String(n).length - 1)]) for (let d = -12; d <= 12; d++) if (base + d >= 0) probes.add(base + d);
  // A fixed pseudo-random sweep (LCG), so a failure reproduces.
  let seed = n + 1;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    probes.add(seed % (n * 3 + 100));
  }
  it(`matches exactly the probed integers above ${n} (${probes.size} probes around the boundaries and at random)`, () => {
    const wrong = [...probes].filter((x) => re.test(String(x)) !== x > n);
    expect(wrong).toEqual([]);
  });
  it('rejects what is no Content-Length', () => {
    for (const s of ['', '-1', '1e9', ' 99999999999', '0x10', `${n + 1} `]) expect(re.test(s)).toBe(false);
  });
  it('fits AWS WAF', () => {
    expect(integerGreaterThanRegex(n).length).toBeLessThanOrEqual(WAF_REGEX_MAX_LENGTH);
    expect(integerGreaterThanRegex(n)).not.toMatch(/\\d|\(|\)/);
  });
});

test('NGINX sizes', () => {
  expect(nginxSizeBytes('10m')).toBe(10_485_760);
  expect(nginxSizeBytes('512k')).toBe(524_288);
  expect(nginxSizeBytes('1024')).toBe(1024);
  expect(() => nginxSizeBytes('10mb')).toThrow(/not an NGINX size/);
});

test('exhaustively for every n below 1200: matches exactly the x in 0..2500 with x > n', () => {
  const wrong: string[] = [];
  for (let n = 0; n < 1200; n++) {
    const re = new RegExp(integerGreaterThanRegex(n));
    for (let x = 0; x <= 2500; x++) if (re.test(String(x)) !== x > n) wrong.push(`${n}:${x}`);
  }
  expect(wrong).toEqual([]);
});

test('leading zeros never match (Content-Length as clients send it has none; NGINX refuses a padded oversize value)', () => {
  const re = new RegExp(integerGreaterThanRegex(10_485_760));
  expect(re.test('10485761')).toBe(true);
  expect(re.test('010485761')).toBe(false);
  expect(re.test('0')).toBe(false);
});

test('the 10m regex', () => {
  expect(integerGreaterThanRegex(10_485_760)).toBe('^[1-9][0-9]{8,}$|^[2-9][0-9]{7}$|^1[1-9][0-9]{6}$|^10[5-9][0-9]{5}$|^1049[0-9]{4}$|^1048[6-9][0-9]{3}$|^10485[8-9][0-9]{2}$|^104857[7-9][0-9]$|^1048576[1-9]$');
});

test('rejects what is no non-negative safe integer', () => {
  for (const n of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => integerGreaterThanRegex(n)).toThrow(/not a non-negative safe integer/);
});
