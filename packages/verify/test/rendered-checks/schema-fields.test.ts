import type { KubeObject, RenderedObject } from '@optibid/rendered';
import { validateWithModels } from '../../src/checks/schema/models-validate';
import { checkUnknownFields } from '../../src/checks/schema/unknown-fields';
import { resolveModel } from '../../src/checks/schema/registry';
import { compliantSet } from './policy-support';

/** Realistic, fully valid objects (the shapes our charts render). */
const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'backend', namespace: 'optibid', labels: { 'app.kubernetes.io/name': 'backend' } },
  spec: {
    replicas: 2,
    revisionHistoryLimit: 5,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'backend' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: {
        serviceAccountName: 'backend',
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } } },
        ],
        containers: [
          {
            name: 'backend',
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/backend:1.4.2',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [
              { name: 'NODE_ENV', value: 'production' },
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'backend-db', key: 'password' } } },
            ],
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 10 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
      },
    },
  },
});

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'backend', namespace: 'optibid' },
  spec: { type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'backend' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
};

const hpa: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'backend', namespace: 'optibid' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'backend' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
  },
};

const networkPolicy: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'backend-ingress', namespace: 'optibid' },
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.99.0/24'] } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
  },
};

const certificate = (): KubeObject => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'api-tls', namespace: 'optibid' },
  spec: {
    secretName: 'api-tls',
    dnsNames: ['api.optibid.example.com'],
    duration: '2160h',
    renewBefore: '360h',
    privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
  },
});

const externalSecret = (): KubeObject => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'backend-db', namespace: 'optibid' },
  spec: {
    refreshInterval: '1h',
    secretStoreRef: { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' },
    target: { name: 'backend-db', creationPolicy: 'Owner' },
    data: [{ secretKey: 'password', remoteRef: { key: 'optibid/dev/db', property: 'password' } }],
  },
});

const clusterSecretStore: KubeObject = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'aws-secrets-manager' },
  spec: {
    provider: {
      aws: {
        service: 'SecretsManager',
        region: 'eu-west-1',
        auth: { jwt: { serviceAccountRef: { name: 'external-secrets', namespace: 'external-secrets' } } },
      },
    },
  },
};

const rendered = (obj: KubeObject, file = `${obj.metadata.namespace ?? '_cluster'}/${obj.kind.toLowerCase()}-${obj.metadata.name}.yaml`): RenderedObject => ({
  env: 'dev',
  file,
  obj,
});

const VALID = [deployment(), service, hpa, networkPolicy, certificate(), externalSecret(), clusterSecretStore];

const messages = (findings: readonly { message: string }[]) => findings.map((f) => f.message);
/** Both schema rules, as the schema check runs them. */
const schema = (objects: RenderedObject[]) => [...validateWithModels(objects), ...checkUnknownFields(objects, { reportUnresolved: false })];

describe('schema: unknown fields (the published models with additionalProperties: false) and the published validators', () => {
  test('valid Deployment/Service/HPA/NetworkPolicy/Certificate/ExternalSecret/ClusterSecretStore pass', () => {
    expect(schema(VALID.map((o) => rendered(o)))).toEqual([]);
  });

  test('an unknown field deep in a Deployment container is reported, naming the field, the type and the file', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].bogus = true;
    const findings = schema([rendered(d, 'optibid/deployment-backend.yaml'), rendered(service)]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: 'schema', rule: 'unknown-field', env: 'dev', file: 'optibid/deployment-backend.yaml', object: 'Deployment/optibid/backend', field: 'spec.template.spec.containers[0].bogus' });
    expect(findings[0].message).toBe("spec.template.spec.containers[0].bogus: unknown field 'bogus': IContainer has no such field");
  });

  test('a misspelled spec field is reported with the closest known field', () => {
    const d = deployment();
    d.spec.replicass = d.spec.replicas;
    delete d.spec.replicas;
    expect(messages(schema([rendered(d)]))).toEqual(["spec.replicass: unknown field 'replicass': IDeploymentSpec has no such field (did you mean 'replicas'?)"]);
  });

  test('a wrong type is reported by the published validator (the field names are all known)', () => {
    const d = deployment();
    d.spec.replicas = 'three';
    expect(messages(schema([rendered(d)]))).toEqual(['spec.replicas must be integer (kubernetes-models/apps/v1/Deployment)']);
  });

  test('a missing required field is reported', () => {
    const d = deployment();
    delete d.spec.template.spec.containers[0].name;
    expect(messages(schema([rendered(d)]))).toEqual([expect.stringMatching(/^spec\.template\.spec\.containers\[0\] must have required property name \(kubernetes-models\/apps\/v1\/Deployment\)$/)]);
  });

  test('every unknown field of an object is reported, and its type errors too', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].bogus = 1;
    d.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    d.spec.template.spec.securityContext.runAsNonRoot = 'yes';
    d.spec.replicass = 3;
    const m = messages(schema([rendered(d)]));
    expect(m).toHaveLength(4);
    expect(m.find((x) => x.startsWith('spec.template.spec.containers[0].bogus:'))).toBeDefined();
    expect(m.find((x) => x.startsWith('spec.template.spec.containers[0].imagePullPolicyy:'))).toMatch(/did you mean 'imagePullPolicy'/);
    expect(m.find((x) => x.startsWith('spec.replicass:'))).toBeDefined();
    expect(m.find((x) => x.startsWith('spec.template.spec.securityContext.runAsNonRoot'))).toMatch(/must be boolean/);
  });

  test('an unknown field in a cert-manager Certificate spec is reported', () => {
    const c = certificate();
    c.spec.dnsName = 'api.optibid.example.com';
    const findings = schema([rendered(c)]);
    expect(findings).toHaveLength(1);
    expect(findings[0].object).toBe('Certificate/optibid/api-tls');
    expect(findings[0].message).toBe("spec.dnsName: unknown field 'dnsName': ICertificateSpec has no such field (did you mean 'dnsNames'?)");
  });

  test('an unknown field in an ExternalSecret spec is reported', () => {
    const e = externalSecret();
    e.spec.data[0].remoteRef.propertyName = 'password';
    e.spec.refreshIntervall = '1h';
    const m = messages(schema([rendered(e)]));
    expect(m).toHaveLength(2);
    expect(m.some((x) => x.startsWith('spec.data[0].remoteRef.propertyName:'))).toBe(true);
    expect(m.some((x) => /^spec\.refreshIntervall: .*did you mean 'refreshInterval'/.test(x))).toBe(true);
  });

  test('a wrong enum value in a CRD is reported', () => {
    const e = externalSecret();
    e.spec.target.creationPolicy = 'Sometimes';
    expect(messages(schema([rendered(e)]))).toEqual([expect.stringMatching(/^spec\.target\.creationPolicy must be equal to one of the allowed values/)]);
  });

  test('free-form maps (labels, annotations) accept any key', () => {
    const d = deployment();
    d.metadata.labels = { 'any.example.com/key': 'v', other: 'w' };
    d.metadata.annotations = { 'x/y': 'z' };
    expect(schema([rendered(d)])).toEqual([]);
  });

  test('Istio models (inline CRD typings) are checked too', () => {
    const pa = (spec: Record<string, unknown>) =>
      rendered({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'optibid' }, spec });
    expect(schema([pa({ mtls: { mode: 'STRICT' } })])).toEqual([]);
    expect(messages(checkUnknownFields([pa({ mtls: { mode: 'STRICT', strict: true } })]))).toEqual(["spec.mtls.strict: unknown field 'strict': {...} has no such field"]);
  });

  test('null means unset: accepted for optional fields, rejected for required ones', () => {
    const d = deployment();
    d.metadata.creationTimestamp = null;
    d.spec.template.spec.containers[0].args = null;
    expect(schema([rendered(d)])).toEqual([]);
    d.spec.template.spec.containers[0].name = null;
    expect(messages(schema([rendered(d)]))).toEqual([expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.name must be string/)]);
  });

  test("the policy check's compliant object set is schema-valid", () => {
    expect(schema(compliantSet()).map((f) => `${f.object}: ${f.message}`)).toEqual([]);
  });

  test('an unsupported apiVersion/kind is reported', () => {
    const crd = rendered({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'backend', namespace: 'optibid' }, spec: {} });
    const nested = rendered({ apiVersion: 'v1', kind: 'PodSpec', metadata: { name: 'x' } });
    const removed = rendered({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x', namespace: 'a' }, spec: {} });
    const findings = checkUnknownFields([crd, nested, removed, rendered(service)]);
    expect(findings.map((f) => [f.rule, f.object])).toEqual([
      ['unknown-field', 'ServiceMonitor/optibid/backend'],
      ['unknown-field', 'PodSpec/_cluster/x'],
      ['unknown-field', 'PodDisruptionBudget/a/x'],
    ]);
    expect(findings[0].message).toMatch(/no published schema for monitoring\.coreos\.com\/v1 ServiceMonitor.*add its @kubernetes-models package/);
    expect(findings[2].message).toContain('removed in Kubernetes 1.25');
    expect(checkUnknownFields([crd], { reportUnresolved: false })).toEqual([]);
  });

  test('maps apiVersion/kind to the kubernetes-models module', () => {
    const spec = (apiVersion: string, kind: string) => {
      const r = resolveModel(apiVersion, kind);
      return r.ok ? r.model.specifier : r.reason;
    };
    expect(spec('v1', 'Service')).toBe('kubernetes-models/v1/Service');
    expect(spec('apps/v1', 'Deployment')).toBe('kubernetes-models/apps/v1/Deployment');
    expect(spec('autoscaling/v2', 'HorizontalPodAutoscaler')).toBe('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler');
    expect(spec('policy/v1', 'PodDisruptionBudget')).toBe('kubernetes-models/policy/v1/PodDisruptionBudget');
    expect(spec('networking.k8s.io/v1', 'NetworkPolicy')).toBe('kubernetes-models/networking.k8s.io/v1/NetworkPolicy');
    expect(spec('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole');
    expect(spec('storage.k8s.io/v1', 'StorageClass')).toBe('kubernetes-models/storage.k8s.io/v1/StorageClass');
    expect(spec('scheduling.k8s.io/v1', 'PriorityClass')).toBe('kubernetes-models/scheduling.k8s.io/v1/PriorityClass');
    expect(spec('batch/v1', 'CronJob')).toBe('kubernetes-models/batch/v1/CronJob');
    expect(spec('cert-manager.io/v1', 'ClusterIssuer')).toBe('@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer');
    expect(spec('external-secrets.io/v1', 'ExternalSecret')).toBe('@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret');
    expect(spec('security.istio.io/v1', 'PeerAuthentication')).toBe('@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication');
  });
});
