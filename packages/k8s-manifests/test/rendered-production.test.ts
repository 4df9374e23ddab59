import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { loadEnvironment, platformNames } from '@optibid/constructs-lib';
import { KUSTOMIZATION_FILE, type KubeObject } from '@optibid/rendered';
import { rendered, renderedFiles, renderedObjects } from './rendered-support';

/**
 * Renders production in memory (the files `npm run synth` would write, read back as YAML) and asserts the behaviour
 * the platform promises. The drift test (scripts/test/render.test.ts) proves dist/ equals this render.
 */
const objects = rendered('production');
const config = loadEnvironment('production');
const names = platformNames(config);
const get = (kind: string, name: string, namespace?: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace));
  if (!o) throw new Error(`${kind}/${namespace ?? ''}/${name} not rendered`);
  return o;
};
const APP_NS = names.namespaces.app;
const WORKLOADS = ['backend', 'frontend'];

describe.each(WORKLOADS)('%s (production)', (name) => {
  const deploy = get('Deployment', name, APP_NS);
  const pod = deploy.spec.template.spec;
  const container = pod.containers[0];

  test('HPA autoscaling/v2 from 3 to 10 on CPU and memory, with scale-down stabilisation', () => {
    const hpa = get('HorizontalPodAutoscaler', name, APP_NS);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 10]);
    expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.type])).toEqual([
      ['cpu', 'Utilization'],
      ['memory', 'Utilization'],
    ]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
    // The HPA owns the replica count: the Deployment must not reset it on apply.
    expect(deploy.spec.replicas).toBeUndefined();
  });

  test('PDB never blocks a drain at minimum replicas yet keeps a majority up', () => {
    const pdb = get('PodDisruptionBudget', name, APP_NS);
    expect(pdb.spec.selector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
    const maxUnavailable = pdb.spec.maxUnavailable as number;
    expect(maxUnavailable).toBeGreaterThanOrEqual(1);
    expect(3 - maxUnavailable).toBeGreaterThan(3 / 2);
  });

  test('startup, liveness and readiness probes on HTTP health endpoints; explicit requests and limits', () => {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(container[probe].httpGet).toMatchObject({ port: 'http', scheme: 'HTTP', path: expect.stringMatching(/^\//) });
    }
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  test('restricted security context with a fixed non-root uid/gid and a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'writable-tmp', mountPath: '/tmp' });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(get('ServiceAccount', name, APP_NS).automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(name);
  });

  test('zone and host topology spread; rolling update with maxUnavailable 0; drain-friendly shutdown', () => {
    expect(pod.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: deploy.spec.selector.matchLabels } }),
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1 }),
    ]);
    expect(deploy.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(preStop).toBeGreaterThanOrEqual(5);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop);
  });

  test('image pinned by tag and digest from the environment config', () => {
    const img = (config.app as any)[name].image;
    expect(container.image).toBe(`${img.repository}:${img.tag}@${img.digest}`);
  });

  test('every Service port is named and carries appProtocol (mesh-ready)', () => {
    for (const p of get('Service', name, APP_NS).spec.ports) {
      expect(p.name).toMatch(/^[a-z][-a-z0-9]*$/);
      expect(p.appProtocol).toBe('http');
    }
  });
});

describe('network policies (production)', () => {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === APP_NS);
  /** Every (peer, port) a policy allows for pods with this name, in one direction, as readable strings. */
  const allowed = (app: string, direction: 'ingress' | 'egress'): string[] => {
    const out: string[] = [];
    for (const p of policies) {
      const sel = p.spec.podSelector.matchLabels ?? {};
      if (Object.keys(sel).length && sel['app.kubernetes.io/name'] !== app) continue;
      for (const rule of p.spec[direction] ?? []) {
        const peers = rule[direction === 'ingress' ? 'from' : 'to'] ?? [{ any: true }];
        for (const peer of peers) {
          const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? (peer.ipBlock ? `cidr:${peer.ipBlock.cidr}` : peer.any ? '*' : APP_NS);
          const svc = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? peer.podSelector?.matchLabels?.['k8s-app'] ?? '*';
          for (const port of rule.ports ?? [{ port: '*' }]) out.push(`${ns}/${svc}:${port.port}`);
        }
      }
    }
    return out.sort();
  };

  test('a default deny for ingress and egress covers every pod of the namespace', () => {
    const deny = get('NetworkPolicy', 'default-deny', APP_NS);
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('frontend: reachable only from the ingress controller; calls only the backend (and DNS)', () => {
    expect(allowed('frontend', 'ingress')).toEqual(['nginx-ingress/*:3000']);
    expect(allowed('frontend', 'egress')).toEqual(['kube-system/kube-dns:53', 'kube-system/kube-dns:53', `${APP_NS}/backend:8000`].sort());
  });

  test('backend: reachable from the ingress controller and the frontend, metrics from monitoring only', () => {
    expect(allowed('backend', 'ingress')).toEqual([`${APP_NS}/frontend:8000`, 'monitoring/*:9000', 'nginx-ingress/*:8000'].sort());
  });

  test('backend: calls PgBouncer, Redis, the tracing collector, DNS, and external HTTPS/SMTP outside the VPC only', () => {
    expect(allowed('backend', 'egress')).toEqual(
      [
        'kube-system/kube-dns:53',
        'kube-system/kube-dns:53',
        'optibid-data/pgbouncer:6432',
        'optibid-data/redis:6379',
        'monitoring/jaeger:4317',
        'monitoring/jaeger:4318',
        'cidr:0.0.0.0/0/*:443',
        'cidr:0.0.0.0/0/*:587',
      ].sort(),
    );
    const external = get('NetworkPolicy', 'backend-egress', APP_NS).spec.egress.find((r: any) => r.to[0].ipBlock);
    expect(external.to[0].ipBlock.except).toEqual([config.network.vpcCidr, '169.254.169.254/32']);
  });
});

describe('ingress (production)', () => {
  test('login and token endpoints get a tighter per-IP rate limit than the rest of the API', () => {
    const auth = get('Ingress', 'api-auth', APP_NS);
    const rest = get('Ingress', 'api-default', APP_NS);
    expect(auth.metadata.annotations!['nginx.org/limit-req-rate']).toBe('10r/m');
    expect(rest.metadata.annotations!['nginx.org/limit-req-rate']).toBe('20r/s');
    expect(auth.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType])).toEqual([
      ['/api/v1/auth/login', 'Exact'],
      ['/api/v1/auth/token', 'Exact'],
      ['/api/v1/auth/refresh', 'Exact'],
    ]);
    expect(auth.metadata.annotations!['nginx.org/mergeable-ingress-type']).toBe('minion');
  });

  test('TLS from the cert-manager certificate; HTTPS redirect and HSTS from X-Forwarded-Proto (the ALB sends HTTP); a body limit on both hosts', () => {
    const cert = get('Certificate', names.ingress.tlsSecret, APP_NS);
    expect(cert.spec.dnsNames).toEqual([config.ingress.appHost, config.ingress.apiHost]);
    expect(cert.spec.issuerRef).toEqual({ kind: 'ClusterIssuer', name: 'letsencrypt-production', group: 'cert-manager.io' });
    for (const [name, host] of [['web', config.ingress.appHost], ['api', config.ingress.apiHost]]) {
      const master = get('Ingress', name, APP_NS);
      expect(master.spec.ingressClassName).toBe('nginx');
      expect(master.spec.tls).toEqual([{ hosts: [host], secretName: names.ingress.tlsSecret }]);
      expect(master.metadata.annotations).toMatchObject({
        'nginx.org/mergeable-ingress-type': 'master',
        'ingress.kubernetes.io/ssl-redirect': 'false',
        'nginx.org/redirect-to-https': 'true',
        'nginx.org/hsts': 'true',
        'nginx.org/hsts-behind-proxy': 'true',
        'nginx.org/hsts-max-age': '31536000',
        'nginx.org/client-max-body-size': '10m',
      });
    }
  });
});

describe('platform configuration (production)', () => {
  test('auth policy: 15 min / 7 d tokens, 12-char complex passwords, 5 per 15 min, 30 min lockout after 10, five roles, TOTP, secure cookies, CSRF', () => {
    const policy = JSON.parse(get('ConfigMap', 'auth-policy', APP_NS).data['auth-policy.json']);
    expect(policy.tokens).toEqual({ access_token_ttl_seconds: 900, refresh_token_ttl_seconds: 604800 });
    expect(policy.password).toEqual({ min_length: 12, require_uppercase: true, require_lowercase: true, require_digit: true, require_symbol: true });
    expect(policy.login_rate_limit).toEqual({ attempts: 5, window_seconds: 900 });
    expect(policy.lockout).toEqual({ after_failures: 10, duration_seconds: 1800 });
    expect(policy.roles).toEqual(['super_admin', 'org_admin', 'billing_admin', 'analyst', 'viewer']);
    expect(policy.mfa).toEqual({ totp: true, backup_codes: 10 });
    expect(policy.cookies).toMatchObject({ http_only: true, secure: true });
    expect(policy.csrf).toBe(true);
  });

  test('no Secret object carries data: credentials come only from ExternalSecrets on the ClusterSecretStore', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const es = get('ExternalSecret', 'backend-secrets', APP_NS);
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: names.externalSecrets.clusterSecretStore });
    for (const d of es.spec.data) expect(d.remoteRef.key).toMatch(/^optibid\/production\//);
    const keys = es.spec.data.map((d: any) => d.secretKey);
    expect(keys).toEqual(expect.arrayContaining(['SECRET_KEY', 'JWT_SECRET_KEY', 'DATABASE_PASSWORD', 'REDIS_PASSWORD', 'STRIPE_SECRET_KEY']));
  });

  test('default StorageClass: gp3, encrypted with the EBS key alias, WaitForFirstConsumer, expandable', () => {
    const sc = get('StorageClass', names.storage.storageClass);
    expect(sc.metadata.annotations!['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect(sc.parameters).toMatchObject({ type: 'gp3', encrypted: 'true', kmsKeyId: names.kms.ebsAliasArn });
    expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(sc.allowVolumeExpansion).toBe(true);
  });

  test('application pods never preempt data or platform pods', () => {
    const pcs = Object.fromEntries(objects.filter((o) => o.kind === 'PriorityClass').map((o) => [o.metadata.name, o]));
    expect(pcs['optibid-app'].preemptionPolicy).toBe('Never');
    expect(pcs['optibid-app'].value).toBeLessThan(pcs['optibid-platform'].value);
    expect(pcs['optibid-platform'].value).toBeLessThan(pcs['optibid-data-critical'].value);
    expect(get('Deployment', 'backend', APP_NS).spec.template.spec.priorityClassName).toBe('optibid-app');
  });

  test('quota admits HPA max plus a 25% surge of both workloads', () => {
    const q = get('ResourceQuota', 'compute', APP_NS).spec.hard;
    expect(Number(q.pods)).toBeGreaterThanOrEqual(2 * (10 + 3));
    expect(parseInt(q['requests.cpu'], 10)).toBeGreaterThanOrEqual(13 * 250 + 13 * 100);
  });

  test('operator RBAC: groups from the EKS access entries bound to minimal roles; viewers cannot read Secrets', () => {
    const readOnly = get('ClusterRole', 'optibid-read-only');
    expect(readOnly.rules.flatMap((r: any) => r.resources)).not.toContain('secrets');
    expect(get('ClusterRoleBinding', 'optibid-read-only-viewers').subjects).toEqual([{ kind: 'Group', name: names.access.readOnlyGroup, apiGroup: 'rbac.authorization.k8s.io' }]);
    const onCall = get('ClusterRole', 'optibid-on-call');
    expect(onCall.rules.flatMap((r: any) => r.verbs)).not.toContain('*');
    expect(get('RoleBinding', 'optibid-on-call', APP_NS).subjects[0].name).toBe(names.access.onCallGroup);
  });

  test('service mesh is off by default: no PeerAuthentication and no injection label', () => {
    expect(objects.filter((o) => o.kind === 'PeerAuthentication')).toEqual([]);
    expect(get('Namespace', APP_NS).metadata.labels!['istio-injection']).toBeUndefined();
  });

  test('every object carries the six recommended labels', () => {
    for (const o of objects) {
      for (const l of ['name', 'instance', 'component', 'part-of', 'managed-by', 'version']) expect({ o: `${o.kind}/${o.metadata.name}`, [l]: o.metadata.labels?.[`app.kubernetes.io/${l}`] }).toEqual({ o: `${o.kind}/${o.metadata.name}`, [l]: expect.any(String) });
    }
  });
});

describe('kustomization', () => {
  test('lists every rendered file, and `kubectl kustomize` builds it', () => {
    const files = renderedFiles('production');
    const listed = (require('yaml').parse(files.get(KUSTOMIZATION_FILE)!).resources as string[]).sort();
    const objectFiles = renderedObjects('production').map((o) => o.file).sort();
    expect(listed).toEqual(objectFiles);
    let kubectl = '';
    try {
      kubectl = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    } catch {
      // kubectl ships with this machine image, not with Debian; the listing check above still ran.
    }
    if (kubectl) {
      // kustomize reads a folder: the render, written where the render script would write it (a scratch copy).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-production-'));
      try {
        for (const [rel, text] of files) {
          fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
          fs.writeFileSync(path.join(dir, rel), text);
        }
        const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8' });
        expect(out.match(/^kind: /gm)?.length).toBe(objectFiles.length);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
