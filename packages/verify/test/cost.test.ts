import { costCheck } from '../src/checks/cost';
import { costModel, gp3Extras } from '../src/checks/cost/lines';
import { supportTier } from '../src/checks/cost/kubernetes-support';
import { PRICES_CHECKED, EC2_ON_DEMAND_PER_HOUR } from '../src/data/prices-us-west-2';
import { instanceFigures, knownInstanceTypes } from '../src/data/instance-types';
import type { CfnTemplate } from '../src/types';
import { broken, rendered, ENVIRONMENTS } from './support';

const ENVS = ENVIRONMENTS;
const clusterOf = (t: CfnTemplate) => Object.values(t.Resources).find((r) => r.Type === 'AWS::EKS::Cluster')!;
const line = (env: ReturnType<typeof costModel>, start: string) => env.lines.find((l) => l.item.startsWith(start));

describe('cost over the committed renders', () => {
  test.each(ENVS)('%s: no findings; the totals are the sums of the lines, at both scales', (env) => {
    const r = costCheck.run(rendered(env));
    expect(r.findings).toEqual([]);
    const m = costModel(rendered(env));
    for (const s of ['min', 'max'] as const) {
      const sum = Math.round(m.lines.reduce((a, l) => a + l.usd[s] * 100, 0)) / 100;
      expect(m.total[s]).toBe(sum);
    }
    expect(m.total.max).toBeGreaterThan(m.total.min);
  });

  test('production costs more than staging, staging more than dev, at both scales', () => {
    const [dev, staging, production] = ENVS.map((e) => costModel(rendered(e)));
    for (const s of ['min', 'max'] as const) {
      expect(production.total[s]).toBeGreaterThan(staging.total[s]);
      expect(staging.total[s]).toBeGreaterThan(dev.total[s]);
    }
  });

  test('resources are counted from the templates', () => {
    const p = costModel(rendered('production'));
    expect(p.nodes).toEqual({ min: 6, max: 10 });
    expect(line(p, 'EC2 general')!.detail).toEqual({ min: '3 × 730 h × $0.192', max: '5 × 730 h × $0.192' });
    expect(line(p, 'EC2 large')!.usd).toEqual({ min: 840.96, max: 1401.6 });
    expect(line(p, 'EKS control plane')!.item).toContain('standard support');
    expect(line(p, 'EKS control plane')!.usd.min).toBe(73);
    expect(line(p, 'NAT gateways')!.detail.min).toBe('3 × 730 h × $0.045');
    expect(line(p, 'Interface endpoints')!.detail.min).toBe('15 endpoint-AZs × 730 h × $0.01');
    expect(line(p, 'ALB (1)')).toBeDefined();
    // 1 web ACL + 6 rules: 3 managed groups, the content-length rule, the login and per-IP rate limits.
    expect(line(p, 'WAF web ACLs')!.usd.min).toBe(11);
    expect(line(p, 'KMS keys')!.detail.min).toBe('4 × $1.00');
    expect(line(p, 'Secrets Manager')!.detail.min).toBe('22 × $0.40');
    expect(line(p, 'EBS general root volumes')!.detail.min).toBe('3 × 100 GB × $0.08');
    // postgres 2×100 + redis 6×20 + prometheus 2×50 + jaeger 20 + restore PVC 100
    expect(line(p, 'EBS persistent volumes (gp3)')!.detail.min).toBe('540 GB × $0.08');
    expect(line(p, 'S3 backups')!.assumption).toBe(true);
    const d = costModel(rendered('dev'));
    expect(line(d, 'NAT gateways')!.detail.min).toBe('1 × 730 h × $0.045');
    expect(line(d, 'Interface endpoints')).toBeUndefined();
  });

  test('the table says the prices are dated list prices to re-check; cost.md carries date, sources and assumptions', () => {
    const r = costCheck.run(rendered('production'));
    expect(r.summary).toContain(`List prices on ${PRICES_CHECKED}`);
    expect(r.summary).toContain('must be re-checked');
    expect(r.summary).toMatch(/Total\s+\$1,786\.68\s+\$2,712\.28/);
    const md = r.reports!['cost.md'];
    expect(md).toContain(`List prices on ${PRICES_CHECKED}`);
    expect(md).toContain('## Usage assumptions');
    expect(md).toContain('https://aws.amazon.com/ec2/pricing/on-demand/');
    expect(md).toMatch(/\| Total \|  \| \$1,786\.68 \|  \| \$2,712\.28 \|/);
  });
});

describe('extended support and missing prices', () => {
  test('an old Kubernetes version is priced at the extended-support rate', () => {
    const env = broken((e) => {
      clusterOf(e.templates['optibid-production-cluster']).Properties.Version = '1.28';
    });
    const m = costModel(env);
    const cp = line(m, 'EKS control plane')!;
    expect(cp.item).toContain('extended support');
    expect(cp.detail.min).toBe('1 × 730 h × $0.60');
    expect(cp.usd).toEqual({ min: 438, max: 438 });
    expect(m.total.min - costModel(rendered('production')).total.min).toBeCloseTo(365, 2);
    expect(m.notes.join('\n')).toMatch(/left standard support on 2024-11-26 and extended support on 2025-11-26/);
    expect(costCheck.run(env).findings).toEqual([]);
  });

  test('price-missing: an instance type without a price names the node group and the field', () => {
    const env = broken((e) => {
      const t = e.templates['optibid-production-cluster'];
      const ng = Object.values(t.Resources).find((r) => r.Type === 'AWS::EKS::Nodegroup' && r.Properties.Labels['optibid.io/node-group'] === 'general')!;
      ng.Properties.InstanceTypes = ['x9.mega'];
    });
    const f = costCheck.run(env).findings;
    expect(f.map((x) => ({ rule: x.rule, object: x.object, field: x.field }))).toEqual([{ rule: 'price-missing', object: 'optibid-production-cluster/EksClusterNodegroupNodeGroupgeneralF817DB49', field: 'InstanceTypes[0]' }]);
    expect(f[0].message).toMatch(/instance type x9.mega of node group optibid-production-general has no on-demand price/);
  });

  test('price-missing: a Kubernetes version outside the support calendar', () => {
    const env = broken((e) => {
      clusterOf(e.templates['optibid-production-cluster']).Properties.Version = '1.99';
    });
    const f = costCheck.run(env).findings;
    expect(f.map((x) => ({ rule: x.rule, object: x.object, field: x.field }))).toEqual([{ rule: 'price-missing', object: 'optibid-production-cluster/EksClusterB2BDED5B', field: 'Version' }]);
  });

  test('price-missing: a persistent volume type without an EBS price', () => {
    const env = broken((e) => {
      const sc = e.objects.find((o) => o.obj.kind === 'StorageClass')!.obj as any;
      sc.parameters.type = 'gp9';
    });
    const f = costCheck.run(env).findings;
    expect(f.every((x) => x.rule === 'price-missing')).toBe(true);
    expect(f.map((x) => x.object)).toContain('StatefulSet/optibid-data/postgres');
  });
});

describe('price and calendar tables', () => {
  test('every instance type capacity knows has a price', () => {
    expect(knownInstanceTypes().filter((t) => EC2_ON_DEMAND_PER_HOUR[t] === undefined)).toEqual([]);
    expect(instanceFigures('m5.large')).toBeDefined();
  });
  test('support tier on a date', () => {
    expect(supportTier('1.35', '2026-11-26')!.tier).toBe('standard');
    expect(supportTier('1.35', '2027-03-28')!.tier).toBe('extended');
    expect(supportTier('1.28', '2025-01-01')).toMatchObject({ tier: 'extended', pastExtended: false });
    expect(supportTier('1.28', '2026-11-26')).toMatchObject({ tier: 'extended', pastExtended: true });
    expect(supportTier('1.99', '2026-11-26')).toBeUndefined();
  });
  test('gp3 IOPS and throughput above the baseline are charged', () => {
    expect(gp3Extras('gp3', undefined, undefined)).toBe(0);
    expect(gp3Extras('gp3', 3000, 125)).toBe(0);
    expect(gp3Extras('gp3', 6000, 250)).toBeCloseTo(3000 * 0.005 + 125 * 0.04, 6);
  });
});
