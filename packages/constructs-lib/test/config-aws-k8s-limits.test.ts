import { cronScheduleProblem } from '../src/config/cron';
import { Testing } from 'cdk8s';
import { ConfigValidationError, dev, loadEnvironments, platformNames, production, staging } from '../src';
import { PlatformExternalSecret } from '../src/k8s/external-secrets';

describe('CronJob schedules, as the CronJob controller (robfig/cron ParseStandard) reads them', () => {
  test.each(['0 2 * * 0', '0 2 * * 1-6', '30 3 * * *', '*/15 * * * *', '0 2 * * mon-sat', '0 0 1 jan *', '@daily', '@hourly', '0 0 ? * *'])('%s is valid', (expr) => {
    expect(cronScheduleProblem(expr)).toBeUndefined();
  });

  test.each([
    ['99 99 * * *', /got value 99 expected range 0-59/],
    ['0 24 * * *', /got value 24 expected range 0-23/],
    ['0 0 0 * *', /got value 0 expected range 1-31/],
    ['0 0 * 13 *', /got value 13 expected range 1-12/],
    ['0 0 * * 7', /uses 7, which the CronJob controller rejects/],
    ['0 0 * * 5-7', /uses 7/],
    ['0 0 L * *', /uses L, W or #/],
    ['1 2 3', /has 3 field\(s\): a CronJob schedule has five/],
    ['0 0 1 * * *', /has 6 field\(s\)/],
    ['@fortnightly', /unknown descriptor/],
    ['0 0 31 2 *', /Invalid explicit day of month/],
  ])('%s is refused', (expr, message) => {
    expect(cronScheduleProblem(expr)).toMatch(message);
  });
});

describe('production safety: an API endpoint open to the internet needs a stated reason', () => {
  const open = (extra: Record<string, unknown>) => ({ ...production, cluster: { ...production.cluster, publicAccessCidrs: ['0.0.0.0/0'], ...extra } });

  test('refused without a reason, naming the field; accepted with one; never refused for a private endpoint', () => {
    expect(() => loadEnvironments([open({})])).toThrow(ConfigValidationError);
    expect(() => loadEnvironments([open({})])).toThrow(/production\.cluster\.publicAccessCidrs|cluster\.publicAccessCidrs: the production API endpoint is open to 0\.0\.0\.0\/0/);
    expect(() => loadEnvironments([open({ openPublicAccessReason: 'vendor-managed CI with rotating egress addresses, ticket OPS-123' })])).not.toThrow();
    expect(() => loadEnvironments([open({ endpointAccess: 'private' })])).not.toThrow();
  });
});

describe('what environments may not share, and every invalid environment reported', () => {
  test('staging copied to qa and renamed: hosts, VPC, log index and the account OIDC provider collide, each named with both environments', () => {
    const qa = { ...staging, name: 'qa' };
    let err: ConfigValidationError | undefined;
    try {
      loadEnvironments([dev, staging, production, qa]);
    } catch (e) {
      err = e as ConfigValidationError;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    expect(err!.environments.map((e) => e.environment)).toEqual(['qa']);
    expect(err!.environments[0].violations.map((v) => v.field)).toEqual(['ingress.appHost', 'ingress.apiHost', 'network.vpcCidr', 'monitoring.logging.index', 'delivery.createOidcProvider']);
    for (const v of err!.environments[0].violations) expect(v.message).toContain("'staging'");
  });

  test('two invalid environments are both reported; a duplicate name is a field violation, not a crash', () => {
    const bad1 = { ...dev, cluster: { ...dev.cluster, maxTotalNodes: 1 } };
    const bad2 = { ...production, network: { ...production.network, vpcCidr: '10.0.0.0/8' } };
    expect(() => loadEnvironments([bad1, staging, bad2])).toThrow(/Invalid environment config 'dev':\n  - cluster\.maxTotalNodes: [^\n]+\nInvalid environment config 'production':\n  - network\.vpcCidr: 10\.0\.0\.0\/8: AWS allows/);
    expect(() => loadEnvironments([dev, { ...dev }])).toThrow(/Invalid environment config 'dev':\n  - name: 'dev' is the name of another environment too/);
  });
});

describe('an unknown field names the closest known one', () => {
  test('at the root, in a nested object and in an array element', () => {
    const bad = { ...dev, clustre: {}, database: { ...dev.database, poolingCapp: 3 }, cluster: { ...dev.cluster, nodeGroups: [{ ...dev.cluster.nodeGroups[0], minSzie: 1 }] } } as unknown as typeof dev;
    expect(() => loadEnvironments([bad])).toThrow(/- cluster\.nodeGroups\.0: unknown field\(s\) minSzie \(did you mean minSize\?\)\n  - database: unknown field\(s\) poolingCapp \(did you mean poolingCap\?\)\n  - \(root\): unknown field\(s\) clustre \(did you mean cluster\?\)/);
    expect(() => loadEnvironments([{ ...dev, zzzzzz: 1 } as unknown as typeof dev])).toThrow(/\(root\): unknown field\(s\) zzzzzz$/m);
  });
});

describe('an ExternalSecret reading a secret that is not a platform secret', () => {
  test('fails naming the ExternalSecret, the key and the secret, not with a TypeError', () => {
    const chart = Testing.chart();
    const names = platformNames(loadEnvironments([dev])[0]);
    expect(() => new PlatformExternalSecret(chart, 'X', { name: 'backend-secrets', namespace: 'optibid', labels: {}, names, keys: [{ key: 'STRIPE', from: 'stripee', property: 'secret_key' }] } as any)).toThrow(
      /^ExternalSecret optibid\/backend-secrets: key STRIPE reads secret 'stripee', which is not a platform secret \(PLATFORM_SECRETS: .*stripe.*\)/,
    );
  });
});
