import { capacityCheck } from '../src/checks/capacity';
import type { Finding } from '../src/types';
import { broken, find, rendered } from './support';

const brief = (fs: readonly Finding[]) => fs.map((f) => ({ rule: f.rule, object: f.object, field: f.field }));
const nodegroup = (t: Record<string, any>, label: string) => Object.values(t.Resources).find((r: any) => r.Type === 'AWS::EKS::Nodegroup' && r.Properties.Labels?.['optibid.io/node-group'] === label) as any;

describe('capacity over the committed renders', () => {
  test('dev: two minimum nodes hold the minimum replicas; zone loss is not evaluated (dev is not zone-redundant by design)', () => {
    const r = capacityCheck.run(rendered('dev'));
    expect(brief(r.findings)).toEqual([]);
    expect(r.summary).toMatch(/\(a\) minimum replicas, minimum nodes\s+2\s.*yes/);
    expect(r.summary).toMatch(/\(b\) HPA maximum \+ surge.*yes/);
    expect(r.summary).toMatch(/\(c\) not evaluated: the minimum capacity \(2 nodes\) covers 2 of the 3 zones the node groups span/);
  });

  test.each(['staging', 'production'])('%s: fits at minimum, at maximum and with a zone lost, every PDB holds', (env) => {
    const r = capacityCheck.run(rendered(env));
    expect(brief(r.findings)).toEqual([]);
    for (const s of ['(a)', '(b)', '(c)']) expect(r.summary).toMatch(new RegExp(`\\${s.slice(0, 2)}\\${s.slice(2)}[^\\n]*yes`));
  });

  test('the Redis PDB allows one voluntary eviction but declares the zone loss its placement tolerates (2 of 6)', () => {
    const pdb = find(rendered('production'), 'PodDisruptionBudget', 'redis');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.metadata.annotations).toMatchObject({ 'optibid.io/zone-loss-tolerance': '2', 'optibid.io/zone-loss-reason': expect.stringMatching(/different zones/) });
    const without = broken((e) => delete find(e, 'PodDisruptionBudget', 'redis').metadata.annotations);
    const r = capacityCheck.run(without);
    expect(brief(r.findings)).toEqual([{ rule: 'zone-loss', object: 'PodDisruptionBudget/optibid-data/redis', field: 'spec.maxUnavailable' }]);
    expect(r.findings[0].message).toMatch(/up to 2 of the 6 pod\(s\).*more than the 1 it allows/);
  });

  test('the printed table and capacity.md', () => {
    const r = capacityCheck.run(rendered('production'));
    expect(r.summary).toContain('Capacity — production');
    expect(r.summary).toMatch(/CPU requested \/ allocatable \(cores\).*Memory requested \/ allocatable \(GiB\).*Pods \/ slots/);
    expect(r.summary).toMatch(/\(b\) HPA maximum \+ surge, maximum nodes \(cap 10\)\s+10\s/);
    expect(r.summary).toMatch(/\(c\) minimum replicas, us-west-2a lost\s+4\s/);
    expect(r.summary).toMatch(/%\)/);
    const md = r.reports!['capacity.md'];
    expect(md).toContain('## Assumptions');
    expect(md).toContain('255 MiB + 11 MiB × max pods');
    expect(md).toContain('| ResourceQuota/optibid/compute | requests.cpu | 4550m | 4725m | yes |');
    expect(md).toMatch(/ebs-csi-controller .* 60m \/ 240Mi \| 2 \/ 2/);
  });
});

describe('each rule can fail', () => {
  test('max-scale-fits: an HPA maximum the node groups cannot hold (backend max 200)', () => {
    const env = broken((e) => {
      find(e, 'HorizontalPodAutoscaler', 'backend', 'optibid').spec.maxReplicas = 200;
    });
    const r = capacityCheck.run(env);
    const f = r.findings.filter((x) => x.rule === 'max-scale-fits');
    expect(brief(f)).toEqual([{ rule: 'max-scale-fits', object: 'HorizontalPodAutoscaler/optibid/backend', field: 'spec.maxReplicas' }]);
    expect(f[0].message).toMatch(/--max-nodes-total=10/);
    expect(f[0].message).toMatch(/unplaced backend \d+/);
    // the namespace quota cannot admit it either
    expect(r.findings.some((x) => x.rule === 'quota' && x.object === 'ResourceQuota/optibid/compute' && x.field === 'spec.hard.pods')).toBe(true);
  });

  test('max-scale-fits names the cluster cap when the autoscaler cap is what binds', () => {
    const env = broken((e) => {
      const t = e.templates['optibid-production-cluster'];
      const ca = Object.values(t.Resources).find((r: any) => r.Properties?.Chart === 'cluster-autoscaler') as any;
      ca.Properties.Values = ca.Properties.Values.replace('"max-nodes-total":10', '"max-nodes-total":6');
      find(e, 'StatefulSet', 'prometheus', 'monitoring').spec.template.spec.containers[0].resources.requests.memory = '24Gi';
      find(e, 'StatefulSet', 'prometheus', 'monitoring').spec.replicas = 4;
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule === 'max-scale-fits');
    expect(brief(f)).toEqual([{ rule: 'max-scale-fits', object: 'optibid-production-cluster/ClusterAutoscaler48B99ACE', field: 'Values.extraArgs.max-nodes-total' }]);
  });

  test('zone-loss: a PDB with minAvailable equal to the replicas of a zone-spread StatefulSet', () => {
    const env = broken((e) => {
      const pdb = find(e, 'PodDisruptionBudget', 'alertmanager', 'monitoring');
      delete pdb.spec.maxUnavailable;
      pdb.spec.minAvailable = 3;
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.object === 'PodDisruptionBudget/monitoring/alertmanager');
    expect(brief(f)).toEqual([{ rule: 'zone-loss', object: 'PodDisruptionBudget/monitoring/alertmanager', field: 'spec.minAvailable' }]);
    expect(f[0].message).toMatch(/up to 1 of the 3 pod\(s\).*more than the 0 it allows/);
  });

  test('zone-loss: the nodes left after a zone loss cannot hold the pods', () => {
    // Three backend pods of 7 cores fit only the three m5.2xlarge nodes (one per zone): lose a zone, lose a home.
    const env = broken((e) => {
      find(e, 'Deployment', 'backend').spec.template.spec.containers[0].resources.requests.cpu = '7';
    });
    const r = capacityCheck.run(env);
    expect(r.findings.filter((x) => x.rule === 'min-fits')).toEqual([]);
    const f = r.findings.filter((x) => x.rule === 'zone-loss' && x.field === 'ScalingConfig.MinSize');
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/with zone us-west-2a lost, \d+ pod\(s\) at minimum replicas do not fit on the 4 remaining node\(s\)/);
  });
  test('quota: a ResourceQuota below the peak names the spec.hard key', () => {
    const env = broken((e) => {
      find(e, 'ResourceQuota', 'compute', 'optibid').spec.hard['requests.cpu'] = '1000m';
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule === 'quota');
    expect(brief(f)).toEqual([{ rule: 'quota', object: 'ResourceQuota/optibid/compute', field: 'spec.hard.requests.cpu' }]);
    expect(f[0].message).toMatch(/needs requests.cpu 4550m \(backend 13 × 250m, frontend 13 × 100m\) but the quota allows 1000m/);
  });

  test('quota: limits.memory and pods are checked too', () => {
    const env = broken((e) => {
      const hard = find(e, 'ResourceQuota', 'compute', 'optibid-data').spec.hard;
      hard['limits.memory'] = '1Gi';
      hard.pods = 10;
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule === 'quota');
    expect(f.map((x) => x.field).sort()).toEqual(['spec.hard.limits.memory', 'spec.hard.pods']);
  });

  test('min-fits: a pod bigger than any node, reported once at its request field', () => {
    const env = broken((e) => {
      find(e, 'Deployment', 'backend', 'optibid').spec.template.spec.containers[0].resources.requests.cpu = '64';
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule !== 'zone-loss' || x.object !== 'PodDisruptionBudget/optibid-data/redis');
    expect(brief(f)).toEqual([
      { rule: 'min-fits', object: 'Deployment/optibid/backend', field: 'spec.template.spec.containers[0].resources.requests.cpu' },
      // the quota cannot admit 13 such pods either
      { rule: 'quota', object: 'ResourceQuota/optibid/compute', field: 'spec.hard.requests.cpu' },
    ]);
    expect(f[0].message).toMatch(/requests CPU 64000m, more than the roomiest node it may use \(m5.2xlarge, 7660m CPU/);
  });

  test('min-fits: the minimum nodes cannot hold the minimum replicas', () => {
    const env = broken((e) => {
      nodegroup(e.templates['optibid-production-cluster'], 'general').Properties.ScalingConfig.MinSize = 1;
      nodegroup(e.templates['optibid-production-cluster'], 'large').Properties.ScalingConfig.MinSize = 0;
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule === 'min-fits');
    expect(brief(f)).toEqual([{ rule: 'min-fits', object: 'optibid-production-cluster/EksClusterNodegroupNodeGroupgeneralF817DB49', field: 'ScalingConfig.MinSize' }]);
    expect(f[0].message).toMatch(/do not fit on the minimum nodes \(1 × m5.xlarge \(general\) \+ 0 × m5.2xlarge \(large\)\)/);
  });

  test('instance-type-known: a node group on an instance type the table does not know', () => {
    const env = broken((e) => {
      nodegroup(e.templates['optibid-production-cluster'], 'large').Properties.InstanceTypes = ['x9.mega'];
    });
    const f = capacityCheck.run(env).findings.filter((x) => x.rule === 'instance-type-known');
    expect(brief(f)).toEqual([{ rule: 'instance-type-known', object: 'optibid-production-cluster/EksClusterNodegroupNodeGrouplarge54B9FACC', field: 'InstanceTypes[0]' }]);
  });
});
