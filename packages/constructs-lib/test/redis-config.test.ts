import { ConfigValidationError, validateEnvironmentConfig } from '../src/config/validate';
import { redisMaxmemoryBytes } from '../src/config/redis-schema';
import { production } from '../src/environments';

const prod = (change: (c: any) => void) => {
  const c = structuredClone(production) as any;
  change(c);
  return c;
};
function violations(input: unknown) {
  try {
    validateEnvironmentConfig(input);
    return [];
  } catch (e) {
    if (e instanceof ConfigValidationError) return [...e.violations];
    throw e;
  }
}

describe('Redis config', () => {
  test('maxmemory is a share of the memory limit, in whole MiB', () => {
    expect(redisMaxmemoryBytes({ resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } }, maxmemoryPercent: 60 })).toBe(1228 * 1024 ** 2);
  });

  test('the render fails when maxmemory leaves too little headroom', () => {
    expect(violations(prod((c) => (c.redis.maxmemoryPercent = 85)))).toContainEqual({
      field: 'redis.maxmemoryPercent',
      message: expect.stringMatching(/maxmemory at 85 % of 2Gi leaves 308 MiB: too little headroom/),
    });
    // Small containers fail on the absolute floor even at a modest share.
    expect(violations(prod((c) => (c.redis.resources = { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '512Mi' } })))).toContainEqual({
      field: 'redis.maxmemoryPercent',
      message: expect.stringMatching(/leaves 205 MiB/),
    });
  });

  test('production needs a replica per primary; cluster mode needs 3 primaries', () => {
    expect(violations(prod((c) => (c.redis.replicasPerPrimary = 0))).map((v) => v.field)).toContain('redis.replicasPerPrimary');
    expect(violations(prod((c) => (c.redis.primaries = 2))).map((v) => v.field)).toContain('redis.primaries');
  });
});
