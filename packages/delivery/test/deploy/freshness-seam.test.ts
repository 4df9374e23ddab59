import type { Logger } from '../../src/deploy/log';
import { testSeamFreshness } from '../../src/deploy/freshness';

function logger() {
  const warnings: string[] = [];
  const log: Logger = { info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined, command: () => undefined, output: () => undefined };
  return { log, warnings };
}

test('honoured only with NODE_ENV=test', () => {
  const test = logger();
  expect(testSeamFreshness({ NODE_ENV: 'test', OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'fresh' }, test.log)?.check().fresh).toBe(true);
  expect(testSeamFreshness({ NODE_ENV: 'test', OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'stale' }, test.log)?.check().fresh).toBe(false);
  expect(test.warnings.every((w) => w.includes('replaced by the test seam'))).toBe(true);

  for (const NODE_ENV of [undefined, 'production', '']) {
    const real = logger();
    expect(testSeamFreshness({ NODE_ENV, OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'fresh' }, real.log)).toBeUndefined();
    expect(real.warnings).toEqual([expect.stringContaining('OPTIBID_DEPLOY_SKIP_RENDER_CHECK is ignored')]);
  }
});

test('unset: the real check, silently; an unknown value: the real check, with a warning', () => {
  const a = logger();
  expect(testSeamFreshness({ NODE_ENV: 'test' }, a.log)).toBeUndefined();
  expect(a.warnings).toEqual([]);
  const b = logger();
  expect(testSeamFreshness({ NODE_ENV: 'test', OPTIBID_DEPLOY_SKIP_RENDER_CHECK: 'yes' }, b.log)).toBeUndefined();
  expect(b.warnings).toEqual([expect.stringContaining("only 'fresh' or 'stale'")]);
});
