import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments } from '@optibid/constructs-lib';
import { buildAwsApp } from '../src/app';
import { buildEnvironment, resourcesOf, testOutdir } from './support';

describe('dev is small and cheap', () => {
  const dev = buildEnvironment('dev');
  test('one NAT gateway and no interface endpoints (the S3 gateway endpoint stays)', () => {
    dev.templates.network.resourceCountIs('AWS::EC2::NatGateway', 1);
    const endpoints = resourcesOf(dev.templates.network, 'AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties.VpcEndpointType);
    expect(endpoints).toEqual(['Gateway']);
  });
  test('a single small node group from the config', () => {
    const groups = resourcesOf(dev.templates.cluster, 'AWS::EKS::Nodegroup').map(([, r]) => r.Properties);
    expect(groups).toHaveLength(1);
    expect(groups[0].ScalingConfig).toEqual({ MinSize: 2, MaxSize: 3, DesiredSize: 2 });
  });
  test('stacks are not termination-protected outside production', () => {
    for (const s of Object.values(dev.stacks)) expect(s.terminationProtection).toBe(false);
  });
});

describe('every environment', () => {
  const configs = loadEnvironments();
  const { environments } = buildAwsApp(configs, { outdir: testOutdir(), cloudFormationValidation: false, disableAssetStaging: true });

  test.each(configs.map((c) => c.name))('%s: stack names, account and region come from the config', (name) => {
    const cfg = configs.find((c) => c.name === name)!;
    for (const stack of Object.values(environments[name])) {
      expect(stack.stackName.startsWith(`optibid-${name}-`)).toBe(true);
      expect(stack.account).toBe(cfg.account);
      expect(stack.region).toBe(cfg.region);
    }
  });

  test('production stacks are termination-protected', () => {
    for (const s of Object.values(environments.production)) expect(s.terminationProtection).toBe(true);
  });

  test('physical names that YAML relies on never collide across environments', () => {
    const seen = new Map<string, string>();
    for (const [env, stacks] of Object.entries(environments)) {
      for (const stack of Object.values(stacks)) {
        const template = Template.fromStack(stack).toJSON();
        for (const res of Object.values(template.Resources) as { Properties?: Record<string, unknown> }[]) {
          for (const key of ['RoleName', 'BucketName', 'Name', 'AliasName', 'LogGroupName']) {
            const v = res.Properties?.[key];
            if (typeof v !== 'string') continue;
            const prev = seen.get(v);
            expect(prev === undefined || prev === env).toBe(true);
            seen.set(v, env);
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThan(60);
  });
});
