import { fullDiff } from '@aws-cdk/cloudformation-diff';
import {
  cloudFormationWarnings,
  k8sWarnings,
  namespaceDeleted,
  networkPolicyRemovedOrWidened,
  persistentVolumeClaimChanged,
  podDisruptionBudgetLoosened,
  rbacRuleWidened,
  roleBindingWidened,
  serviceSelectorChanged,
  volumeClaimTemplatesChanged,
  workloadImmutableFieldChanged,
  workloadSelectorChanged,
} from '../../src/diff/warnings';
import { clone, deployment, k8s } from './helpers';

describe('workload selector', () => {
  test('a changed Deployment selector is flagged with object and field', () => {
    const before = k8s(deployment({ app: 'backend' }));
    const after = k8s(deployment({ app: 'api' }));
    const [w, ...rest] = workloadSelectorChanged(before, after);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ object: 'Deployment optibid/backend', field: 'spec.selector' });
    expect(w!.message).toContain('immutable');
    expect(w!.message).toContain('{matchLabels: {app: backend}} → {matchLabels: {app: api}}');
  });

  test('image and replica changes are not flagged', () => {
    const before = k8s(deployment());
    const after = k8s(deployment({ replicas: 5, image: 'x:2' }));
    expect(k8sWarnings('dev', before, after)).toEqual([]);
  });

  test('StatefulSet serviceName and a Job template are immutable', () => {
    const sts = (serviceName: string) => k8s({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'pg', namespace: 'd' }, spec: { serviceName } });
    expect(workloadImmutableFieldChanged(sts('pg-headless'), sts('pg'))).toEqual([expect.objectContaining({ object: 'StatefulSet d/pg', field: 'spec.serviceName' })]);
    expect(workloadImmutableFieldChanged(sts('pg'), sts('pg'))).toEqual([]);
    const job = (image: string) => k8s({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'boot', namespace: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
    expect(workloadImmutableFieldChanged(job('a:1'), job('a:2'))).toEqual([expect.objectContaining({ object: 'Job d/boot', field: 'spec.template' })]);
  });
});

describe('storage', () => {
  const sts = (size: string) =>
    k8s({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgres', namespace: 'optibid-data' },
      spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: size } } } }] },
    });
  const pvc = (size: string) =>
    k8s({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'restore', namespace: 'optibid-data' }, spec: { resources: { requests: { storage: size } } } });

  test('volumeClaimTemplates change is flagged, naming the changed path', () => {
    const [w] = volumeClaimTemplatesChanged(sts('50Gi'), sts('100Gi'));
    expect(w).toMatchObject({ object: 'StatefulSet optibid-data/postgres', field: 'spec.volumeClaimTemplates' });
    expect(w!.message).toContain('spec.volumeClaimTemplates[name=data].spec.resources.requests.storage: 50Gi → 100Gi');
    expect(volumeClaimTemplatesChanged(sts('50Gi'), sts('50Gi'))).toEqual([]);
  });

  test('PVC removal and spec change are flagged; a label change is not', () => {
    expect(persistentVolumeClaimChanged(pvc('10Gi'), undefined)).toEqual([expect.objectContaining({ object: 'PersistentVolumeClaim optibid-data/restore', field: '(object)' })]);
    expect(persistentVolumeClaimChanged(pvc('10Gi'), pvc('20Gi'))).toEqual([expect.objectContaining({ field: 'spec' })]);
    const labelled = pvc('10Gi');
    labelled.doc = { ...clone(labelled.doc), metadata: { ...(labelled.doc.metadata as object), labels: { a: 'b' } } };
    expect(persistentVolumeClaimChanged(pvc('10Gi'), labelled)).toEqual([]);
    expect(persistentVolumeClaimChanged(undefined, pvc('10Gi'))).toEqual([]);
  });
});

describe('network policy', () => {
  const np = (ingress: unknown[], extra: Record<string, unknown> = {}) =>
    k8s({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'backend-ingress', namespace: 'optibid' },
      spec: { podSelector: { matchLabels: { app: 'backend' } }, policyTypes: ['Ingress'], ingress, ...extra },
    });
  const fromFrontend = { from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8000, protocol: 'TCP' }] };

  test('removal is flagged', () => {
    expect(networkPolicyRemovedOrWidened(np([fromFrontend]), undefined)).toEqual([expect.objectContaining({ object: 'NetworkPolicy optibid/backend-ingress', field: '(object)' })]);
  });

  test('a new peer is flagged', () => {
    const wider = np([{ ...fromFrontend, from: [...fromFrontend.from, { namespaceSelector: {} }] }]);
    const [w] = networkPolicyRemovedOrWidened(np([fromFrontend]), wider);
    expect(w).toMatchObject({ field: 'spec.ingress' });
    expect(w!.message).toContain('new peer {namespaceSelector: {}}');
  });

  test('a new port, and a rule without `from` (any peer), are flagged', () => {
    const port = networkPolicyRemovedOrWidened(np([fromFrontend]), np([{ ...fromFrontend, ports: [...fromFrontend.ports, { port: 9090 }] }]));
    expect(port[0]!.message).toContain('new port TCP/9090');
    const any = networkPolicyRemovedOrWidened(np([fromFrontend]), np([{ ports: fromFrontend.ports }]));
    expect(any[0]!.message).toContain('<any peer>');
  });

  test('a narrower or reordered policy is not flagged', () => {
    const two = np([fromFrontend, { from: [{ podSelector: { matchLabels: { app: 'x' } } }], ports: [{ port: 8000, protocol: 'TCP' }] }]);
    expect(networkPolicyRemovedOrWidened(two, np([fromFrontend]))).toEqual([]);
    expect(networkPolicyRemovedOrWidened(two, np([...(two.doc.spec as any).ingress].reverse()))).toEqual([]);
  });

  test('dropping a policy type lifts the restriction', () => {
    const before = np([fromFrontend], { policyTypes: ['Ingress', 'Egress'], egress: [] });
    const after = np([fromFrontend], { policyTypes: ['Ingress'] });
    expect(networkPolicyRemovedOrWidened(before, after)).toEqual([expect.objectContaining({ field: 'spec.policyTypes' })]);
  });
});

describe('RBAC', () => {
  const role = (rules: unknown[]) => k8s({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'optibid-read-only' }, rules });
  const readPods = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };

  test('new verbs and a wildcard are flagged on the rules field', () => {
    const [w] = rbacRuleWidened(role([readPods]), role([{ ...readPods, verbs: [...readPods.verbs, 'delete'] }, { apiGroups: [''], resources: ['secrets'], verbs: ['*'] }]));
    expect(w).toMatchObject({ object: 'ClusterRole optibid-read-only', field: 'rules' });
    expect(w!.message).toContain('[delete] on pods');
    expect(w!.message).toContain('[*] on secrets');
    expect(w!.message).toContain('wildcard');
  });

  test('dropping resourceNames widens the rule', () => {
    const named = role([{ ...readPods, resourceNames: ['one'] }]);
    expect(rbacRuleWidened(named, role([readPods]))).toHaveLength(1);
  });

  test('a narrower or reordered role is not flagged, and a new non-wildcard role is not either', () => {
    expect(rbacRuleWidened(role([readPods]), role([{ ...readPods, verbs: ['watch', 'get'] }]))).toEqual([]);
    expect(rbacRuleWidened(undefined, role([readPods]))).toEqual([]);
    expect(rbacRuleWidened(undefined, role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]))).toHaveLength(1);
  });

  test('a new binding subject and a roleRef change are flagged', () => {
    const binding = (subjects: unknown[], roleName = 'view') =>
      k8s({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'viewers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects,
      });
    const alice = { kind: 'User', name: 'alice' };
    const devs = { kind: 'Group', name: 'developers' };
    const [w] = roleBindingWidened(binding([alice]), binding([alice, devs]));
    expect(w).toMatchObject({ object: 'ClusterRoleBinding viewers', field: 'subjects' });
    expect(w!.message).toContain('Group developers');
    expect(roleBindingWidened(binding([alice, devs]), binding([alice]))).toEqual([]);
    expect(roleBindingWidened(binding([alice]), binding([alice], 'admin'))).toEqual([expect.objectContaining({ field: 'roleRef' })]);
  });
});

describe('namespace, service, PDB', () => {
  test('a deleted Namespace is flagged; a deleted ConfigMap is not', () => {
    const ns = k8s({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'optibid-data' } });
    expect(namespaceDeleted(ns, undefined)).toEqual([expect.objectContaining({ object: 'Namespace optibid-data' })]);
    expect(namespaceDeleted(ns, ns)).toEqual([]);
    expect(k8sWarnings('dev', k8s({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }), undefined)).toEqual([]);
  });

  test('a Service selector change is flagged; a port change is not', () => {
    const svc = (app: string, port = 80) => k8s({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: 'optibid' }, spec: { selector: { app }, ports: [{ port }] } });
    expect(serviceSelectorChanged(svc('backend'), svc('api'))).toEqual([expect.objectContaining({ object: 'Service optibid/backend', field: 'spec.selector' })]);
    expect(serviceSelectorChanged(svc('backend'), svc('backend', 81))).toEqual([]);
  });

  test('a PDB that allows more disruption is flagged; a stricter one is not', () => {
    const pdb = (spec: Record<string, unknown>) =>
      k8s({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'postgres', namespace: 'optibid-data' }, spec: { selector: { matchLabels: { app: 'pg' } }, ...spec } });
    expect(podDisruptionBudgetLoosened(pdb({ minAvailable: 2 }), pdb({ minAvailable: 1 }))).toEqual([expect.objectContaining({ field: 'spec.minAvailable' })]);
    expect(podDisruptionBudgetLoosened(pdb({ maxUnavailable: '10%' }), pdb({ maxUnavailable: '50%' }))).toEqual([expect.objectContaining({ field: 'spec.maxUnavailable' })]);
    expect(podDisruptionBudgetLoosened(pdb({ minAvailable: 2 }), pdb({ maxUnavailable: 1 }))).toEqual([expect.objectContaining({ field: 'spec.maxUnavailable' })]);
    expect(podDisruptionBudgetLoosened(pdb({ minAvailable: 2 }), undefined)).toEqual([expect.objectContaining({ field: '(object)' })]);
    expect(podDisruptionBudgetLoosened(pdb({ minAvailable: 1 }), pdb({ minAvailable: 2 }))).toEqual([]);
  });
});

describe('CloudFormation', () => {
  const bucket = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ Type: 'AWS::S3::Bucket', Properties: props, ...extra });

  test('a removed stateful resource is flagged', () => {
    const diff = fullDiff({ Resources: { Data: bucket({}), Topic: { Type: 'AWS::SNS::Topic' } } }, { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
    expect(cloudFormationWarnings('dev', 'optibid-dev-data', diff)).toEqual([
      expect.objectContaining({ rule: 'statefulResourceRemoved', object: 'optibid-dev-data/Data (AWS::S3::Bucket)', field: '(resource)' }),
    ]);
  });

  test('a replacement names the property that forces it', () => {
    const diff = fullDiff({ Resources: { Data: bucket({ BucketName: 'a' }) } }, { Resources: { Data: bucket({ BucketName: 'b' }) } });
    expect(cloudFormationWarnings('dev', 's', diff)).toEqual([expect.objectContaining({ rule: 'resourceReplaced', field: 'Properties.BucketName' })]);
  });

  test('a control-plane version change is always listed, a downgrade named as one (issue 15)', () => {
    const cluster = (version: string) => ({ Resources: { Eks: { Type: 'AWS::EKS::Cluster', Properties: { Name: 'c', Version: version, RoleArn: 'arn:aws:iam::1:role/r' } } } });
    const down = cloudFormationWarnings('production', 'optibid-production-cluster', fullDiff(cluster('1.35'), cluster('1.28'))).filter((w) => w.rule === 'controlPlaneVersion');
    expect(down).toEqual([expect.objectContaining({ object: 'optibid-production-cluster/Eks (AWS::EKS::Cluster)', field: 'Properties.Version', message: expect.stringMatching(/^Kubernetes control plane DOWNGRADE 1\.35 -> 1\.28: EKS cannot downgrade/) })]);
    const up = cloudFormationWarnings('production', 's', fullDiff(cluster('1.34'), cluster('1.35'))).filter((w) => w.rule === 'controlPlaneVersion');
    expect(up.map((w) => w.message)).toEqual([expect.stringMatching(/^Kubernetes control plane upgrade 1\.34 -> 1\.35 \(/)]);
    const jump = cloudFormationWarnings('production', 's', fullDiff(cluster('1.33'), cluster('1.35'))).filter((w) => w.rule === 'controlPlaneVersion');
    expect(jump[0].message).toContain('2 minors at once, EKS upgrades one minor at a time');
    expect(cloudFormationWarnings('production', 's', fullDiff(cluster('1.35'), cluster('1.35')))).toEqual([]);
  });

  test('an in-place property update is not flagged', () => {
    const diff = fullDiff(
      { Resources: { Data: bucket({ VersioningConfiguration: { Status: 'Suspended' } }) } },
      { Resources: { Data: bucket({ VersioningConfiguration: { Status: 'Enabled' } }) } },
    );
    expect(cloudFormationWarnings('dev', 's', diff)).toEqual([]);
  });

  test('broadened IAM permissions are flagged', () => {
    const role = (actions: string[]) => ({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } }],
      },
    });
    const diff = fullDiff({ Resources: { R: role(['s3:GetObject']) } }, { Resources: { R: role(['s3:GetObject', 's3:DeleteObject']) } });
    expect(cloudFormationWarnings('dev', 's', diff)).toEqual([expect.objectContaining({ rule: 'permissionsBroadened', object: 's', field: 'IAM statements' })]);
    // Dropping a whole policy only narrows. (Editing a statement counts as remove + add, which
    // cloudformation-diff conservatively reports as broadened.)
    const withPolicies = (n: number) => {
      const r = role(['s3:GetObject']);
      r.Properties.Policies = r.Properties.Policies.concat(n > 1 ? [{ PolicyName: 'q', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }] } }] : []);
      return r;
    };
    const narrower = fullDiff({ Resources: { R: withPolicies(2) } }, { Resources: { R: withPolicies(1) } });
    expect(cloudFormationWarnings('dev', 's', narrower)).toEqual([]);
  });

  test('a new security-group ingress rule is flagged', () => {
    const sg = (ingress: unknown[]) => ({ Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'db', VpcId: 'vpc-1', SecurityGroupIngress: ingress } });
    const rule = (cidr: string) => ({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: cidr });
    const diff = fullDiff({ Resources: { Sg: sg([rule('10.0.0.0/16')]) } }, { Resources: { Sg: sg([rule('10.0.0.0/16'), rule('0.0.0.0/0')]) } });
    expect(cloudFormationWarnings('dev', 's', diff)).toEqual([expect.objectContaining({ rule: 'securityGroupWidened', field: 'security group rules' })]);
  });
});
