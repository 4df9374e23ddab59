import { compareQuantities, cpuMillis, memoryBytes, parseExactQuantity, quantityValue } from '../src/quantity';

describe('quantities (apimachinery grammar, exact)', () => {
  test('decimal, binary and exponent suffixes; 0.5 equals 500m exactly', () => {
    expect(compareQuantities(parseExactQuantity('0.5')!, parseExactQuantity('500m')!)).toBe(0);
    expect(compareQuantities(parseExactQuantity('1Gi')!, parseExactQuantity('1G')!)).toBe(1);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue('256Mi')).toBe(256 * 2 ** 20);
    expect(quantityValue(2)).toBe(2);
  });

  test('CPU in millicores and memory in bytes, rounded up as the API server rounds', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('1.5')).toBe(1500);
    expect(cpuMillis('100u')).toBe(1);
    expect(memoryBytes('512Mi')).toBe(536870912);
    expect(memoryBytes('1.5Ki')).toBe(1536);
    expect(memoryBytes('100m')).toBe(1);
  });

  test('malformed values are refused', () => {
    for (const bad of ['', 'abc', '1.2.3', '5 Mi', '1Gb', '--1']) expect(parseExactQuantity(bad)).toBeUndefined();
    expect(() => cpuMillis('abc')).toThrow(/not a Kubernetes quantity/);
    expect(() => memoryBytes('1Gb')).toThrow(/not a Kubernetes quantity/);
  });
});
