import { ConfigValidationError, ConfigViolation, validateEnvironmentConfig } from '../src/config/validate';
import type { EnvironmentConfigInput } from '../src/config/schema';
import { dev, production, staging } from '../src/environments';
import { INSTANCE_FAMILIES } from '../src/versions/instance-types';

/** A deep copy of an environment input, so each case breaks exactly one thing without touching the shipped config. */
const clone = (input: EnvironmentConfigInput = production): EnvironmentConfigInput => structuredClone(input);

/** Production input with one change applied. */
const prod = (change: (c: EnvironmentConfigInput) => void): EnvironmentConfigInput => {
  const c = clone();
  change(c);
  return c;
};

/** Runs validation and returns the error it must throw. */
function validationError(input: unknown): ConfigValidationError {
  let thrown: unknown;
  try {
    validateEnvironmentConfig(input);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigValidationError);
  return thrown as ConfigValidationError;
}

/** Asserts the config is rejected with a violation on exactly `field` whose message matches `message`. */
function expectViolation(input: unknown, field: string, message: RegExp): ConfigViolation[] {
  const err = validationError(input);
  expect(err.violations).toContainEqual({ field, message: expect.stringMatching(message) });
  expect(err.message).toContain(`${field}: `);
  return [...err.violations];
}

/** Replaces the AZ list (and the subnet lists, one per AZ) so the network stays consistent. */
function withZones(c: EnvironmentConfigInput, zones: string[]): void {
  const base = c.network.vpcCidr.split('.').slice(0, 2).join('.');
  c.availabilityZones = zones;
  c.network.publicSubnetCidrs = zones.map((_, i) => `${base}.${i}.0/24`);
  c.network.privateSubnetCidrs = zones.map((_, i) => `${base}.${32 * (i + 1)}.0/19`);
  c.network.natGateways = Math.min(c.network.natGateways, zones.length);
}

describe('edge TLS', () => {
  it('staging and production need an ACM certificate (the ALB would otherwise listen on HTTP only)', () => {
    expectViolation(prod((c) => delete c.edge!.certificateArn), 'edge.certificateArn', /is required for tier production: .*HTTP only/);
    const stg = clone(staging);
    delete stg.edge;
    expectViolation(stg, 'edge.certificateArn', /is required for tier staging/);
    expect(() => validateEnvironmentConfig(dev)).not.toThrow();
  });

  it('the certificate must be in the environment region and account', () => {
    expectViolation(prod((c) => (c.edge!.certificateArn = 'arn:aws:acm:us-east-1:333333333333:certificate/00000000-0000-4000-8000-000000000003')), 'edge.certificateArn', /is in region us-east-1; the ALB needs a certificate in us-west-2/);
    expectViolation(prod((c) => (c.edge!.certificateArn = 'arn:aws:acm:us-west-2:999999999999:certificate/00000000-0000-4000-8000-000000000003')), 'edge.certificateArn', /belongs to account 999999999999/);
  });
});

describe('shipped environments', () => {
  it.each([
    ['dev', dev],
    ['staging', staging],
    ['production', production],
  ])('%s validates', (name, input) => {
    const cfg = validateEnvironmentConfig(input);
    expect(cfg.name).toBe(name);
    expect(cfg.tier).toBe(name);
  });

  it('production carries the seed figures', () => {
    const cfg = validateEnvironmentConfig(production);
    expect(cfg.region).toBe('us-west-2');
    expect(cfg.availabilityZones).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    expect(cfg.cluster.nodeGroups.map((g) => [g.instanceType, g.minSize, g.maxSize, g.diskSizeGiB])).toEqual([
      ['m5.xlarge', 3, 6, 100],
      ['m5.2xlarge', 3, 6, 100],
    ]);
    expect(cfg.cluster.maxTotalNodes).toBe(10);
    expect(cfg.app).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(cfg.database.volumeSizeGiB).toBe(100);
    expect(cfg.network.natGateways).toBe(3);
  });

  it('fills in defaults', () => {
    const input = prod((c) => {
      delete c.project;
      delete c.cluster.endpointAccess;
      delete c.cluster.trustedPrincipalArns;
      delete c.network.flowLogRetentionDays;
      c.edge = { certificateArn: production.edge!.certificateArn };
      c.backups = { expirationDays: 400 };
      c.cluster.nodeGroups.forEach((g) => delete g.diskSizeGiB);
    });
    const cfg = validateEnvironmentConfig(input);
    expect(cfg.project).toBe('optibid');
    expect(cfg.cluster.endpointAccess).toBe('public-and-private');
    expect(cfg.cluster.trustedPrincipalArns).toEqual([]);
    expect(cfg.network.flowLogRetentionDays).toBe(90);
    expect(cfg.edge).toEqual({ rateLimitPer5Minutes: 2000, certificateArn: production.edge!.certificateArn });
    expect(cfg.backups).toEqual({ transitionToInfrequentAccessDays: 30, transitionToGlacierDays: 90, expirationDays: 400 });
    expect(cfg.cluster.nodeGroups.map((g) => g.diskSizeGiB)).toEqual([100, 100]);
  });

  it('validation does not modify its input', () => {
    const input = clone();
    const before = structuredClone(input);
    validateEnvironmentConfig(input);
    expect(input).toEqual(before);
  });

  it('a valid clone of production with a change that keeps it valid is accepted', () => {
    expect(() => validateEnvironmentConfig(prod((c) => (c.cluster.nodeGroups[0].desiredSize = 4)))).not.toThrow();
  });
});

describe('node groups and scaling', () => {
  it('rejects minSize above maxSize', () => {
    expectViolation(
      prod((c) => Object.assign(c.cluster.nodeGroups[0], { minSize: 5, maxSize: 4 })),
      'cluster.nodeGroups.0.minSize',
      /minSize \(5\) must not exceed maxSize \(4\)/,
    );
  });

  it.each([2, 7])('rejects desiredSize %i outside [minSize, maxSize] = [3, 6]', (desired) => {
    expectViolation(
      prod((c) => (c.cluster.nodeGroups[1].desiredSize = desired)),
      'cluster.nodeGroups.1.desiredSize',
      new RegExp(`desiredSize \\(${desired}\\) must lie between minSize \\(3\\) and maxSize \\(6\\)`),
    );
  });

  it('rejects app.minReplicas above app.maxReplicas', () => {
    expectViolation(
      prod((c) => ((c.app.minReplicas = 5), (c.app.maxReplicas = 4))),
      'app.minReplicas',
      /minReplicas \(5\) must not exceed maxReplicas \(4\)/,
    );
  });

  it('rejects node group minimums that sum above cluster.maxTotalNodes', () => {
    expectViolation(
      prod((c) => (c.cluster.maxTotalNodes = 5)),
      'cluster.maxTotalNodes',
      /minimums sum to 6, above .*maxTotalNodes \(5\)/,
    );
  });

  it('accepts node group minimums that sum exactly to maxTotalNodes', () => {
    expect(() => validateEnvironmentConfig(prod((c) => (c.cluster.maxTotalNodes = 6)))).not.toThrow();
  });

  it('rejects an HA tier node group whose minSize is below the AZ count', () => {
    expectViolation(
      prod((c) => (c.cluster.nodeGroups[1].minSize = 2)),
      'cluster.nodeGroups.1.minSize',
      /tier 'production' needs at least one node per availability zone: minSize \(2\) must be >= 3/,
    );
  });

  it('rejects an HA tier with fewer than 2 application replicas', () => {
    expectViolation(
      prod((c) => (c.app.minReplicas = 1)),
      'app.minReplicas',
      /tier 'production' needs at least 2 replicas/,
    );
  });

  it('rejects duplicate node group names', () => {
    expectViolation(
      prod((c) => (c.cluster.nodeGroups[1].name = 'general')),
      'cluster.nodeGroups.1.name',
      /duplicate node group name 'general'/,
    );
  });

  it('rejects an unknown instance type family and lists the known families', () => {
    const violations = expectViolation(
      prod((c) => (c.cluster.nodeGroups[0].instanceType = 'x9.large')),
      'cluster.nodeGroups.0.instanceType',
      /unknown instance type family 'x9'/,
    );
    const message = violations.find((v) => v.field === 'cluster.nodeGroups.0.instanceType')!.message;
    for (const family of INSTANCE_FAMILIES) expect(message).toContain(family);
  });

  it('rejects an unknown size in a known family', () => {
    expectViolation(
      prod((c) => (c.cluster.nodeGroups[0].instanceType = 'm5.24xlarge')),
      'cluster.nodeGroups.0.instanceType',
      /unknown instance type 'm5\.24xlarge' \(known in family m5: .*m5\.xlarge/,
    );
  });

  it.each(['1.27', '1.99'])('rejects kubernetesVersion %s, which has no kubectl layer', (version) => {
    expectViolation(
      prod((c) => (c.cluster.kubernetesVersion = version)),
      'cluster.kubernetesVersion',
      new RegExp(`'${version.replace('.', '\\.')}' has no kubectl layer`),
    );
  });
});

describe('availability zones', () => {
  it.each([
    ['staging', staging],
    ['production', production],
  ])('%s needs at least 3 availability zones', (tier, input) => {
    const c = clone(input);
    withZones(c, ['us-west-2a', 'us-west-2b']);
    expectViolation(c, 'availabilityZones', new RegExp(`tier '${tier}' needs at least 3 availability zones .*got 2`));
  });

  it('dev with 2 availability zones is accepted', () => {
    const c = clone(dev);
    withZones(c, ['us-west-2a', 'us-west-2b']);
    c.cluster.nodeGroups[0].minSize = 1;
    const cfg = validateEnvironmentConfig(c);
    expect(cfg.availabilityZones).toEqual(['us-west-2a', 'us-west-2b']);
  });

  it('rejects a zone that is not in the region', () => {
    expectViolation(
      prod((c) => (c.availabilityZones[2] = 'us-east-1c')),
      'availabilityZones.2',
      /'us-east-1c' is not an availability zone of region us-west-2/,
    );
  });

  it('rejects a repeated zone', () => {
    expectViolation(
      prod((c) => (c.availabilityZones[2] = 'us-west-2a')),
      'availabilityZones',
      /must not repeat a zone/,
    );
  });
});

describe('network', () => {
  it.each([
    ['10.0.0.0/33', /prefix length above 32/],
    ['10.0.0/16', /not an IPv4 CIDR/],
    ['10.0.0.1/16', /host bits set/],
    ['10.256.0.0/16', /octet above 255/],
  ])('rejects malformed network.vpcCidr %s', (cidr, rule) => {
    expectViolation(
      prod((c) => (c.network.vpcCidr = cidr)),
      'network.vpcCidr',
      new RegExp(`malformed CIDR: .*${rule.source}`),
    );
  });

  it.each([
    ['10.30.0.0/33', /prefix length above 32/],
    ['10.30.0/24', /not an IPv4 CIDR/],
    ['10.30.0.1/24', /host bits set/],
  ])('rejects malformed subnet %s', (cidr, rule) => {
    expectViolation(
      prod((c) => (c.network.privateSubnetCidrs[1] = cidr)),
      'network.privateSubnetCidrs.1',
      new RegExp(`malformed CIDR: .*${rule.source}`),
    );
  });

  it('rejects overlapping subnets, reporting the later one and naming both CIDRs', () => {
    // 10.30.0.0/19 (private, index 0) covers the public 10.30.0.0/24.
    expectViolation(
      prod((c) => (c.network.privateSubnetCidrs[0] = '10.30.0.0/19')),
      'network.privateSubnetCidrs.0',
      /10\.30\.0\.0\/19 overlaps 10\.30\.0\.0\/24/,
    );
  });

  it('rejects overlapping subnets within the same list', () => {
    expectViolation(
      prod((c) => (c.network.publicSubnetCidrs[2] = '10.30.1.0/24')),
      'network.publicSubnetCidrs.2',
      /10\.30\.1\.0\/24 overlaps 10\.30\.1\.0\/24/,
    );
  });

  it('rejects a subnet outside the VPC', () => {
    expectViolation(
      prod((c) => (c.network.publicSubnetCidrs[1] = '10.31.1.0/24')),
      'network.publicSubnetCidrs.1',
      /10\.31\.1\.0\/24 is outside the VPC CIDR 10\.30\.0\.0\/16/,
    );
  });

  it.each(['publicSubnetCidrs', 'privateSubnetCidrs'] as const)('rejects %s without exactly one subnet per AZ', (key) => {
    expectViolation(
      prod((c) => c.network[key].pop()),
      `network.${key}`,
      /must list one CIDR per availability zone \(3\), got 2/,
    );
  });

  it('rejects more NAT gateways than availability zones', () => {
    expectViolation(
      prod((c) => (c.network.natGateways = 4)),
      'network.natGateways',
      /at most the number of availability zones \(3\), got 4/,
    );
  });

  it.each([100, 0, 366])('rejects flowLogRetentionDays %i (not a CloudWatch Logs retention period)', (days) => {
    expectViolation(
      prod((c) => (c.network.flowLogRetentionDays = days)),
      'network.flowLogRetentionDays',
      /must be a CloudWatch Logs retention period/,
    );
  });
});

describe('account, region and names', () => {
  it.each(['12345', 'abcdefghijkl', '1234567890123'])('rejects account id %s', (account) => {
    expectViolation(
      prod((c) => (c.account = account)),
      'account',
      /12-digit AWS account id/,
    );
  });

  it.each(['us-west', 'moon-1', 'US-WEST-2'])('rejects region %s', (region) => {
    expectViolation(
      prod((c) => (c.region = region)),
      'region',
      /must be an AWS region name/,
    );
  });

  it.each([
    ['name', 'Prod_1', (c: EnvironmentConfigInput, v: string) => (c.name = v)],
    ['cluster.nodeGroups.0.name', 'General', (c: EnvironmentConfigInput, v: string) => (c.cluster.nodeGroups[0].name = v)],
    ['project', 'Opti.Bid', (c: EnvironmentConfigInput, v: string) => (c.project = v)],
    ['name', '-prod', (c: EnvironmentConfigInput, v: string) => (c.name = v)],
    ['name', 'prod-', (c: EnvironmentConfigInput, v: string) => (c.name = v)],
  ])('rejects %s = %s (not a DNS-1123 label)', (field, value, set) => {
    expectViolation(
      prod((c) => set(c, value)),
      field,
      /must be a DNS-1123 label/,
    );
  });

  it('rejects a project + name so long that the bucket name exceeds 63 characters', () => {
    const input = prod((c) => {
      c.project = 'optibidplatf'; // 12, the most `project` allows
      c.name = 'production-eu-canary'; // 20, the most `name` allows
    });
    expectViolation(input, 'name', /bucket name '[a-z0-9-]+' has (6[4-9]|[7-9]\d) characters \(S3 allows 63\)/);
  });

  it('accepts a name whose bucket names are exactly at the 63-character limit', () => {
    // optibid-<20>-backup-logs-333333333333-us-west-2 = 7 + 1 + 20 + 13 + 12 + 1 + 9 = 63
    expect(() => validateEnvironmentConfig(prod((c) => (c.name = 'production-eu-canary')))).not.toThrow();
  });

  it('rejects a name longer than 20 characters', () => {
    expectViolation(
      prod((c) => (c.name = 'production-eu-canary1')),
      'name',
      /at most 20 characters/,
    );
  });
});

describe('strict objects', () => {
  it('rejects an unknown top-level field, naming it', () => {
    const input = { ...clone(), nodeCount: 3 };
    const err = validationError(input);
    expect(err.violations).toContainEqual({ field: '(root)', message: expect.stringMatching(/unknown field\(s\) nodeCount/) });
  });

  it('rejects an unknown nested field, naming it and its object', () => {
    const input = prod((c) => Object.assign(c.cluster.nodeGroups[0], { spotInstances: true }));
    expectViolation(input, 'cluster.nodeGroups.0', /unknown field\(s\) spotInstances/);
  });
});

describe('backups lifecycle', () => {
  it('rejects a Glacier transition not after the Standard-IA transition', () => {
    expectViolation(
      prod((c) => (c.backups = { transitionToInfrequentAccessDays: 90, transitionToGlacierDays: 90, expirationDays: 400 })),
      'backups.transitionToGlacierDays',
      /must be after transitionToInfrequentAccessDays \(90\)/,
    );
  });

  it('rejects an expiry not after the Glacier transition', () => {
    expectViolation(
      prod((c) => (c.backups = { transitionToInfrequentAccessDays: 30, transitionToGlacierDays: 90, expirationDays: 60 })),
      'backups.expirationDays',
      /must be after transitionToGlacierDays \(90\)/,
    );
  });
});

describe('error reporting', () => {
  it('lists every violation at once, in .violations and in the message', () => {
    const input = prod((c) => {
      c.account = '12345';
      c.cluster.nodeGroups[0].minSize = 7; // above maxSize 6
      c.network.natGateways = 4;
    });
    const err = validationError(input);
    const fields = err.violations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(['account', 'cluster.nodeGroups.0.minSize', 'network.natGateways']));
    expect(err.message).toMatch(/^Invalid environment config 'production':\n/);
    expect(err.message).toContain('  - account: must be a 12-digit AWS account id');
    expect(err.message).toContain('  - cluster.nodeGroups.0.minSize: minSize (7) must not exceed maxSize (6)');
    expect(err.message).toContain('  - network.natGateways: must be at most the number of availability zones (3), got 4');
    expect(err.environment).toBe('production');
    expect(err.name).toBe('ConfigValidationError');
  });

  it('reports an error, not a crash, for a non-object input', () => {
    const err = validationError(undefined);
    expect(err.environment).toBe('(unnamed)');
    expect(err.violations.length).toBeGreaterThan(0);
  });
});
