import { validateEnvironmentConfig } from '../src/config/validate';
import { ENVIRONMENT_INPUTS, production } from '../src/environments';
import { PLATFORM_SECRETS, platformNames, PlatformNames, WORKLOAD_IDENTITY_KEYS } from '../src/naming/naming';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const prodConfig = validateEnvironmentConfig(production);
const prodNames = platformNames(prodConfig);
const ACCOUNT = prodConfig.account;

const allNames: Record<string, PlatformNames> = Object.fromEntries(
  // Every environment of the index: a new one is checked against the others without touching this file.
  ENVIRONMENT_INPUTS.map((input) => {
    const cfg = validateEnvironmentConfig(input);
    return [cfg.name, platformNames(cfg)];
  }),
);

describe('production names', () => {
  it('names the cluster optibid-production', () => {
    expect(prodNames.clusterName).toBe('optibid-production');
  });

  it('puts account and region in the backup bucket names and keeps them within 63 characters', () => {
    for (const bucket of [prodNames.backup.bucketName, prodNames.backup.logBucketName]) {
      expect(bucket).toContain(ACCOUNT);
      expect(bucket).toContain('us-west-2');
      expect(bucket.length).toBeLessThanOrEqual(63);
      // S3 bucket naming rules: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
      expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    }
    expect(prodNames.backup.bucketName).not.toBe(prodNames.backup.logBucketName);
    expect(prodNames.backup.bucketArn).toBe(`arn:aws:s3:::${prodNames.backup.bucketName}`);
  });

  it('has a workload identity for every key', () => {
    expect(Object.keys(prodNames.identities).sort()).toEqual([...WORKLOAD_IDENTITY_KEYS].sort());
  });

  it.each(WORKLOAD_IDENTITY_KEYS)('identity %s has a role ARN in the account and is bound to a namespace and service account', (key) => {
    const id = prodNames.identities[key];
    expect(id.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${id.roleName}`);
    expect(id.roleName.length).toBeLessThanOrEqual(64); // IAM role name limit
    expect(id.roleName).toMatch(/^optibid-production-/);
    expect(id.namespace).toMatch(DNS1123_LABEL);
    expect(id.serviceAccount).toMatch(DNS1123_LABEL);
  });

  it('gives every identity its own role and its own service account', () => {
    const ids = Object.values(prodNames.identities);
    expect(new Set(ids.map((i) => i.roleName)).size).toBe(ids.length);
    expect(new Set(ids.map((i) => `${i.namespace}/${i.serviceAccount}`)).size).toBe(ids.length);
  });

  it('puts the backup identity in the data namespace', () => {
    expect(prodNames.identities.backup.namespace).toBe(prodNames.namespaces.data);
    expect(prodNames.namespaces.data).toBe('optibid-data');
  });

  it('binds the identities to existing platform namespaces', () => {
    const namespaces = new Set<string>(Object.values(prodNames.namespaces));
    for (const id of Object.values(prodNames.identities)) expect(namespaces).toContain(id.namespace);
  });

  it('has a secret for every platform secret key, named optibid/production/<key>', () => {
    expect(Object.keys(prodNames.secrets).sort()).toEqual(Object.keys(PLATFORM_SECRETS).sort());
    for (const [key, secret] of Object.entries(prodNames.secrets)) {
      expect(secret.name.startsWith('optibid/production/')).toBe(true);
      expect(secret.name).toBe(`optibid/production/${key}`);
    }
  });

  it('secret ARN patterns match the Secrets Manager suffix of six random characters', () => {
    for (const secret of Object.values(prodNames.secrets)) {
      expect(secret.arnPattern.endsWith('-??????')).toBe(true);
      expect(secret.arnPattern).toBe(`arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:${secret.name}-??????`);
    }
  });

  it('uses DNS-1123 labels for every Kubernetes namespace and service account', () => {
    for (const ns of Object.values(prodNames.namespaces)) expect(ns).toMatch(DNS1123_LABEL);
    for (const id of Object.values(prodNames.identities)) expect(id.serviceAccount).toMatch(DNS1123_LABEL);
    for (const svc of Object.values(prodNames.services)) expect(svc.name).toMatch(DNS1123_LABEL);
  });

  it('uses unique namespaces', () => {
    const ns = Object.values(prodNames.namespaces);
    expect(new Set(ns).size).toBe(ns.length);
  });
});

describe('names across environments', () => {
  const envs = Object.keys(allNames);

  it('covers dev, staging and production', () => {
    expect(envs.sort()).toEqual(['dev', 'production', 'staging']);
  });

  /** Every value `pick` returns, over all environments, must be distinct. */
  function expectNoCollisions(pick: (n: PlatformNames) => string[]) {
    const seen = new Map<string, string>();
    for (const env of envs) {
      for (const value of pick(allNames[env])) {
        expect({ value, usedBy: seen.get(value) }).toEqual({ value, usedBy: undefined });
        seen.set(value, env);
      }
    }
  }

  it('cluster names differ', () => expectNoCollisions((n) => [n.clusterName]));
  it('bucket names differ', () => expectNoCollisions((n) => [n.backup.bucketName, n.backup.logBucketName]));
  it('IAM role names differ', () =>
    expectNoCollisions((n) => [...Object.values(n.identities).map((i) => i.roleName), n.access.adminRoleName, n.access.readOnlyRoleName]));
  it('secret names differ', () => expectNoCollisions((n) => Object.values(n.secrets).map((s) => s.name)));
  it('stack names differ', () => expectNoCollisions((n) => Object.values(n.stacks)));
  it('KMS aliases differ', () => expectNoCollisions((n) => [n.kms.eksSecrets, n.kms.backups, n.kms.ebs, n.kms.logs]));

  it.each(ENVIRONMENT_INPUTS.map((e) => e.name))('%s prefixes its names with optibid-%s', (env) => {
    const n = allNames[env];
    expect(n.clusterName).toBe(`optibid-${env}`);
    for (const id of Object.values(n.identities)) expect(id.roleName.startsWith(`optibid-${env}-`)).toBe(true);
    for (const s of Object.values(n.secrets)) expect(s.name.startsWith(`optibid/${env}/`)).toBe(true);
  });
});
