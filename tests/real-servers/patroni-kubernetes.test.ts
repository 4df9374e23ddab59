import { ChildProcess, execFileSync, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { stringify } from 'yaml';
import { SERVER_ROOT, serverArgv, serverUid } from './runtime';
import { dataNamespace, renderedConfigMap, renderedObject, renderedPatroni, scratchDir, Substitutions, TIMESCALEDB_AVAILABLE, waitFor, writeAsPostgres } from './support';
import { Cleanup, Etcd, gone, killGroup, killPostmaster, logTail, Member, memberConfig, patroniEnv, pollWhileRunning, postmasterPid, prepareShared, sleep } from './patroni-support';
import { Identity, KubeApiStub, makeApiServerCerts, PolicyRule, serviceSelects } from './kube-api-stub';

/**
 * Real-server test, issue 13 scenario (h): Patroni 4 labels the leader and the read-write Service's selector follows
 * it across a failover, with Patroni on its real Kubernetes DCS configured exactly by the rendered `kubernetes:`
 * section (ConfigMaps, use_endpoints: false) against a Kubernetes API stub (kube-api-stub.ts: TLS, ServiceAccount
 * token, the rendered Role enforced). The Pods are the rendered StatefulSet's pod template; their Ready condition
 * is kept by a small kubelet model running the rendered probes; the rendered Services' selectors are evaluated
 * against the Pods every 200 ms, as the EndpointSlice controller does.
 */
const subs = new Substitutions();
const cleanup = new Cleanup();
const rendered = renderedPatroni();
const NS = dataNamespace();
const sts = renderedObject(NS, 'StatefulSet', 'postgres');
const rwService = renderedObject(NS, 'Service', 'postgres');
const roService = renderedObject(NS, 'Service', 'postgres-replicas');
const role = renderedObject(NS, 'Role', 'patroni');
const roleBinding = renderedObject(NS, 'RoleBinding', 'patroni');
const k8s = rendered.kubernetes;
const container = sts.spec.template.spec.containers.find((c: any) => c.name === 'postgres');
const LEADER = k8s.leader_label_value ?? 'primary';
const FOLLOWER = k8s.follower_label_value ?? 'replica';
const ROLE_LABEL = k8s.role_label ?? 'role';
const LEADER_CM = `${rendered.scope}-leader`;

let stub: KubeApiStub;
let saDir: string;
/** The API as the ServiceAccount (the pod's token and CA), for requests the test makes itself. */
let asServiceAccount: (method: string, p: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: any }>;
const pods: Pod[] = [];
let kubelet: Kubelet;
let sampler: Sampler;

// ---------------------------------------------------------------------------------------------------------------
// Members in "pods": the rendered container's environment, the ServiceAccount volume at its in-cluster path.

interface Pod {
  readonly name: string;
  readonly member: Member;
  readonly env: Record<string, string>;
  restarts: number;
}

/** Drops the substitutions memberConfig records that this test does differently (the DCS, the member name). */
class FilteredSubs extends Substitutions {
  constructor(private readonly target: Substitutions, private readonly drop: RegExp) {
    super();
  }
  override add(what: string): void {
    if (!this.drop.test(what)) this.target.add(what);
  }
}

/**
 * argv running `cmd` as postgres inside a private mount namespace where the ServiceAccount directory (token, ca.crt,
 * namespace) is at /var/run/secrets/kubernetes.io/serviceaccount — the path Patroni reads the token from (hardcoded,
 * SERVICE_TOKEN_FILENAME) and the CA from (SERVICE_CERT_FILENAME; PATRONI_KUBERNETES_CACERT/kubernetes.cacert unset as
 * rendered). The root's /var/run is a symlink to /run, where a tmpfs (only in that namespace) holds the mount point;
 * the shared root is not modified.
 */
function podArgv(cmd: string, args: string[], env: Record<string, string>): [string, string[]] {
  const [file, argv] = serverArgv(cmd, args, { user: 'postgres', env });
  const run = path.join(SERVER_ROOT || '/', 'run');
  const pgRun = fs.existsSync(path.join(run, 'postgresql')) ? fs.statSync(path.join(run, 'postgresql')) : undefined;
  const mnt = `${run}/secrets/kubernetes.io/serviceaccount`;
  const script = [
    'set -e',
    `mount -t tmpfs -o mode=0755,size=1m pod-run '${run}'`,
    `mkdir -m 1777 '${run}/lock'`,
    pgRun ? `mkdir -m 2775 '${run}/postgresql' && chown ${pgRun.uid}:${pgRun.gid} '${run}/postgresql'` : ':',
    `mkdir -p '${mnt}'`,
    `mount --bind '${saDir}' '${mnt}'`,
    `mount -o remount,bind,ro '${mnt}'`,
    'exec "$@"',
  ].join('\n');
  return ['unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'pod', file, ...argv]];
}

/**
 * A file the container sees through a ConfigMap volume (the rendered volumeMounts/volumes), as a copy in the member's
 * directory; the Patroni configuration itself is the member's substituted patroni.yml.
 */
function mountedFile(pod: Pod, p: string): string {
  if (p === PATRONI_YML) return pod.member.configFile;
  const volumes: any[] = sts.spec.template.spec.volumes;
  for (const vm of container.volumeMounts as any[]) {
    if (!p.startsWith(`${vm.mountPath}/`)) continue;
    const cm = volumes.find((v) => v.name === vm.name)?.configMap;
    if (!cm) continue;
    const key = p.slice(vm.mountPath.length + 1);
    const data = renderedConfigMap(NS, cm.name)[key];
    if (data === undefined) throw new Error(`${p}: ConfigMap ${cm.name} has no key ${key}`);
    const copy = path.join(pod.member.root, `${cm.name}-${key}`);
    writeAsPostgres(copy, data, cm.defaultMode ?? 0o644);
    subs.add(`${p} (ConfigMap ${cm.name}, key ${key}): run from an unchanged copy in the member's directory`);
    return copy;
  }
  return p;
}
const PATRONI_YML = '/etc/patroni/patroni.yml';

/** The rendered postgres container's command for this pod, with its mounted files mapped. */
function containerCommand(pod: Pod): [string, string[]] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) => mountedFile(pod, a));
  return [argv[0], argv.slice(1)];
}

/**
 * Only when patroni-support gives the member no pgBackRest configuration (no repository: archive_mode off,
 * create_replica_methods [basebackup]): the rendered post-bootstrap.sh creates the stanza and
 * recovery_conf.restore_command runs archive-get. A `pgbackrest`
 * first on PATH answers stanza-create with success (skipped) and everything else with failure (nothing in a
 * repository: PostgreSQL falls back to streaming, as with an empty archive).
 */
function pgbackrestShim(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.chmodSync(bin, 0o755);
  const script = [
    '#!/bin/sh',
    '# tier-4 test shim (patroni-kubernetes.test.ts): no pgBackRest repository in this test',
    'case " $* " in',
    '  *" stanza-create "*) echo "pgbackrest (test shim): $* skipped, no repository in this test" >&2; exit 0 ;;',
    'esac',
    'echo "pgbackrest (test shim): $* failed, no repository in this test" >&2',
    'exit 1',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(bin, 'pgbackrest'), script, { mode: 0o755 });
  const restore = rendered.postgresql.recovery_conf?.restore_command;
  subs.add(
    `pgbackrest: a shim first on PATH (no repository here): stanza-create (rendered post-bootstrap.sh) succeeds without doing anything, every other command fails` +
      (restore ? ` (so the rendered restore_command "${restore}" finds nothing and replicas stream)` : ''),
  );
  return bin;
}

/** The rendered postgres container's env for this pod (fieldRefs and $(VAR) resolved as the kubelet does). */
function containerEnv(podName: string, member: Member, shimBin: () => string, tlsDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env as any[]) {
    let v: string;
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'status.podIP') v = '127.0.0.1';
    else if (field === 'metadata.name') v = podName;
    else if (field) throw new Error(`unhandled fieldRef ${field}`);
    else v = String(e.value).replace(/\$\((\w+)\)/g, (_, n) => env[n] ?? `$(${n})`);
    env[e.name] = v;
  }
  // The rendered ports are the pod's own; on loopback each member has its own free ports.
  const before = { ...env };
  env.PATRONI_RESTAPI_CONNECT_ADDRESS = env.PATRONI_RESTAPI_CONNECT_ADDRESS.replace(/:8008$/, `:${member.apiPort}`);
  env.PATRONI_POSTGRESQL_CONNECT_ADDRESS = env.PATRONI_POSTGRESQL_CONNECT_ADDRESS.replace(/:5432$/, `:${member.pgPort}`);
  const changed = ['PATRONI_RESTAPI_CONNECT_ADDRESS', 'PATRONI_POSTGRESQL_CONNECT_ADDRESS'];
  if (env.PGDATA !== undefined) {
    env.PGDATA = member.dataDir;
    changed.push('PGDATA');
  }
  subs.add(
    `container env as rendered (${Object.keys(before).join(', ')}) with status.podIP = 127.0.0.1 and metadata.name = the pod name; ` +
      `${changed.map((k) => `${k} ${before[k].replace(podName, '<pod>')} -> ${k === 'PGDATA' ? "the member's data_dir" : `127.0.0.1:<member ${k.includes('RESTAPI') ? 'API' : 'PostgreSQL'} port>`}`).join(', ')}`,
  );
  if ((container.command ?? []).some((c: string) => c.endsWith('start.sh'))) {
    // start.sh's own knobs for its defaults /etc/patroni/patroni.yml and /etc/postgres-tls.
    env.PG_PATRONI_CONFIG = member.configFile;
    env.TLS_DIR = tlsDir;
    subs.add("start.sh: PG_PATRONI_CONFIG = the member's patroni.yml and TLS_DIR = the test certificate's directory (its defaults are the ConfigMap/Secret mount paths)");
  }
  env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
  env.KUBERNETES_SERVICE_PORT = String(stub.port);
  env.KUBERNETES_SERVICE_PORT_HTTPS = String(stub.port);
  subs.add(
    'KUBERNETES_SERVICE_HOST/PORT (injected by the kubelet for the default/kubernetes Service even with enableServiceLinks: false): ' +
      `127.0.0.1:<stub port> instead of the cluster's kubernetes Service; Patroni's in-cluster config then talks https to it (kubernetes.py load_incluster_config)`,
  );
  const out = { ...env, ...patroniEnv(member, subs) };
  // patroni-support gives each member a pgBackRest configuration (a local repository) when it can; otherwise the shim.
  if (!out.PGBACKREST_CONFIG || !fs.existsSync(out.PGBACKREST_CONFIG)) out.PATH = `${shimBin()}:${out.PATH}`;
  return out;
}

function startPod(pod: Pod): void {
  const m = pod.member;
  const [cmd, args] = containerCommand(pod);
  const [file, argv] = podArgv(cmd, args, pod.env);
  const out = fs.openSync(m.log, 'a');
  fs.chownSync(m.log, serverUid('postgres'), serverUid('postgres'));
  const child: ChildProcess = spawn(file, argv, { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  m.proc = child;
  m.exitCode = undefined;
  m.exit = new Promise((r) =>
    child.on('exit', (code) => {
      m.exitCode = code;
      r(code);
    }),
  );
  if (child.pid) cleanup.groups.add(child.pid);
}

/** `patronictl` as the runbook runs it (`kubectl exec <pod> -c postgres -- patronictl -c /etc/patroni/patroni.yml ...`). */
/** Asynchronous: the API stub answers from this process's event loop. */
function patronictl(pod: Pod, args: string[], input?: string): Promise<{ status: number | null; out: string }> {
  const [file, argv] = podArgv('patronictl', ['-c', mountedFile(pod, PATRONI_YML), ...args], pod.env);
  return new Promise((resolve) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    child.stdin!.end(input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The StatefulSet controller's Pods and a kubelet model keeping their Ready condition.

function createPods(): void {
  const tpl = sts.spec.template;
  const revision = `${sts.metadata.name}-${randomBytes(5).toString('hex').slice(0, 10)}`;
  for (let i = 0; i < sts.spec.replicas; i++) {
    const name = `${sts.metadata.name}-${i}`;
    stub.createPod(NS, {
      metadata: {
        name,
        namespace: NS,
        labels: { ...tpl.metadata.labels, 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) },
        annotations: { ...tpl.metadata.annotations },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, controller: true, blockOwnerDeletion: true, uid: 'statefulset-uid' }],
      },
      spec: { serviceAccountName: tpl.spec.serviceAccountName, hostname: name, subdomain: sts.spec.serviceName, nodeName: 'loopback' },
      status: { phase: 'Pending', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'False' }] },
    });
  }
  subs.add(
    `Pods ${[...Array(sts.spec.replicas).keys()].map((i) => `${sts.metadata.name}-${i}`).join(', ')} created by the test as the StatefulSet controller would: the rendered pod template's labels and annotations ` +
      '+ controller-revision-hash, statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index; status.podIP 127.0.0.1 (all members on loopback)',
  );
}

interface ProbeState {
  started: boolean;
  ready: boolean;
  successes: number;
  failures: number;
  nextStartup: number;
  nextReadiness: number;
}

/**
 * The kubelet's part: the postgres container's startupProbe and readinessProbe exactly as rendered (httpGet path,
 * period, timeout, thresholds) against the member's REST API, and Ready=False as soon as the container's process
 * (Patroni) is gone. Written to the Pod's status through the stub (pods/status), like the kubelet.
 */
class Kubelet {
  private readonly state = new Map<string, ProbeState>();
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly pods: Pod[]) {
    const sp = container.startupProbe;
    const rp = container.readinessProbe;
    subs.add(
      `Pod Ready condition: a kubelet model running the rendered postgres container probes (startupProbe GET ${sp.httpGet.path} every ${sp.periodSeconds}s, ` +
        `readinessProbe GET ${rp.httpGet.path} every ${rp.periodSeconds}s, timeout ${rp.timeoutSeconds}s, failureThreshold ${rp.failureThreshold}) on the member's REST API port instead of ${rp.httpGet.port} (8008); ` +
        "Ready=False at once when the container's process exits (kubelet PLEG, 1 s); the pgbackrest and exporter sidecars are not run, so Ready is the postgres container's readiness only; livenessProbe not modelled",
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The container (re)started: probes start over, as for a new container. */
  containerStarted(pod: Pod): void {
    const now = Date.now();
    this.state.set(pod.name, { started: false, ready: false, successes: 0, failures: 0, nextStartup: now, nextReadiness: now });
    stub.setPodStatus(NS, pod.name, (s) => ({
      ...s,
      phase: 'Running',
      startTime: s.startTime ?? new Date().toISOString(),
      containerStatuses: [{ name: 'postgres', ready: false, started: false, restartCount: pod.restarts, state: { running: { startedAt: new Date().toISOString() } } }],
    }));
    this.write(pod, false);
  }

  private async probe(pod: Pod, p: any): Promise<boolean> {
    try {
      const r = await fetch(`http://127.0.0.1:${pod.member.apiPort}${p.httpGet.path}`, { signal: AbortSignal.timeout((p.timeoutSeconds ?? 1) * 1000) });
      return r.status >= 200 && r.status < 400;
    } catch {
      return false;
    }
  }

  private write(pod: Pod, ready: boolean): void {
    const st = this.state.get(pod.name);
    if (st) st.ready = ready;
    stub.setPodStatus(NS, pod.name, (s) => ({
      ...s,
      conditions: [
        { type: 'ContainersReady', status: ready ? 'True' : 'False' },
        { type: 'Ready', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: (s.containerStatuses ?? []).map((c: any) => ({ ...c, ready })),
    }));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = Date.now();
      for (const pod of this.pods) {
        const st = this.state.get(pod.name);
        if (!st) continue;
        if (pod.member.exitCode !== undefined) {
          if (st.ready || st.started) {
            st.started = false;
            stub.setPodStatus(NS, pod.name, (s) => ({
              ...s,
              containerStatuses: [{ name: 'postgres', ready: false, started: false, restartCount: pod.restarts, state: { terminated: { exitCode: 137, reason: 'Error' } } }],
            }));
            this.write(pod, false);
          }
          continue;
        }
        const sp = container.startupProbe;
        const rp = container.readinessProbe;
        if (!st.started) {
          if (now >= st.nextStartup) {
            st.nextStartup = now + sp.periodSeconds * 1000;
            if (await this.probe(pod, sp)) {
              st.started = true;
              st.nextReadiness = Date.now();
            }
          }
          if (!st.started) continue;
        }
        if (now >= st.nextReadiness) {
          st.nextReadiness = now + rp.periodSeconds * 1000;
          const ok = await this.probe(pod, rp);
          if (ok) {
            st.successes++;
            st.failures = 0;
            if (!st.ready && st.successes >= (rp.successThreshold ?? 1)) this.write(pod, true);
          } else {
            st.failures++;
            st.successes = 0;
            if (st.ready && st.failures >= (rp.failureThreshold ?? 3)) this.write(pod, false);
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What the Services select, every 200 ms.

interface Sample {
  readonly at: number;
  /** Pods whose labels match the read-write Service's selector. */
  readonly rwSelected: string[];
  /** ... of them Ready: the Service's ready endpoints (EndpointSlice), where kube-proxy sends connections. */
  readonly rwEndpoints: string[];
  readonly roSelected: string[];
  readonly roEndpoints: string[];
  readonly lockHolder?: string;
}

function podReady(p: any): boolean {
  return (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

function snapshot(): Sample {
  const all = stub.pods(NS);
  const sel = (svc: any) => all.filter((p) => serviceSelects(svc.spec.selector, p.metadata.labels));
  const rw = sel(rwService);
  const ro = sel(roService);
  return {
    at: Date.now(),
    rwSelected: rw.map((p) => p.metadata.name).sort(),
    rwEndpoints: rw.filter(podReady).map((p) => p.metadata.name).sort(),
    roSelected: ro.map((p) => p.metadata.name).sort(),
    roEndpoints: ro.filter(podReady).map((p) => p.metadata.name).sort(),
    lockHolder: stub.configMap(NS, LEADER_CM)?.metadata?.annotations?.leader,
  };
}

class Sampler {
  readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(() => this.samples.push(snapshot()), 200);
  }
  since(t: number): Sample[] {
    return this.samples.filter((s) => s.at >= t);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** Seconds during which `pred` held in the samples, and how many samples. */
function spanOf(samples: Sample[], pred: (s: Sample) => boolean): { count: number; seconds: number; first?: number; last?: number } {
  const hits = samples.filter(pred);
  if (!hits.length) return { count: 0, seconds: 0 };
  return { count: hits.length, seconds: (hits[hits.length - 1].at - hits[0].at) / 1000 + 0.2, first: hits[0].at, last: hits[hits.length - 1].at };
}

// ---------------------------------------------------------------------------------------------------------------

function auditSummary(): string {
  const counts = new Map<string, number>();
  for (const a of stub.audit) {
    const k = `${a.user} [${(a.userAgent ?? '-').split(' ')[0]}] ${a.verb} ${a.resource}${a.contentType ? ` (${a.contentType})` : ''} -> ${a.code}${a.reason ? ` ${a.reason}` : ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort().map(([k, n]) => `    ${k}: ${n}`).join('\n');
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const logs = pods.map((p) => `--- ${p.name} (${p.member.log}) ---\n${logTail(p.member.log)}`).join('\n');
    const last = sampler?.samples[sampler.samples.length - 1];
    throw new Error(`${what}: ${(e as Error).message}\n${logs}\n--- last sample ---\n${JSON.stringify(last)}\n--- API calls ---\n${stub ? auditSummary() : ''}`);
  }
}

function labelOf(name: string): string | undefined {
  return stub.pods(NS).find((p) => p.metadata.name === name)?.metadata.labels?.[ROLE_LABEL];
}

const figures: string[] = [];
const TEST_AGENT = 'tier4-test (patroni-kubernetes.test.ts)';

beforeAll(async () => {
  // ServiceAccount token + API server certificates.
  const apiDir = scratchDir('kube-api');
  cleanup.dirs.add(apiDir);
  const certs = makeApiServerCerts(apiDir);
  saDir = scratchDir('serviceaccount');
  cleanup.dirs.add(saDir);
  const token = randomBytes(32).toString('base64url');
  asServiceAccount = (method, p, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `${stub.url}${p}`,
        { method, ca: fs.readFileSync(certs.caCert), headers: { authorization: `Bearer ${token}`, 'user-agent': TEST_AGENT, ...(text ? { 'content-type': contentType } : {}) } },
        (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  for (const [f, content] of [['token', token], ['ca.crt', fs.readFileSync(certs.caCert, 'utf8')], ['namespace', NS]] as const) {
    fs.writeFileSync(path.join(saDir, f), content, { mode: 0o644 });
  }
  const saName = sts.spec.template.spec.serviceAccountName;
  subs.add(
    `ServiceAccount ${saName} volume (token, ca.crt, namespace) at /var/run/secrets/kubernetes.io/serviceaccount in a private mount namespace of each Patroni/patronictl process ` +
      '(tmpfs over the server root\'s /run, which /var/run links to) instead of the kubelet\'s projected volume; the token is a random string the stub accepts, ca.crt the stub\'s own CA (openssl)',
  );

  // The identity the rendered RoleBinding grants the rendered Role to.
  const subject = (roleBinding.subjects as any[]).find((s) => s.kind === 'ServiceAccount' && s.name === saName && (s.namespace ?? NS) === NS);
  if (!subject || roleBinding.roleRef.kind !== 'Role' || roleBinding.roleRef.name !== role.metadata.name) {
    throw new Error(`rendered RoleBinding ${roleBinding.metadata.name} does not bind Role ${role.metadata.name} to ServiceAccount ${saName}`);
  }
  const identity: Identity = { user: `system:serviceaccount:${NS}:${saName}`, rules: { [NS]: role.rules as PolicyRule[] } };
  stub = await KubeApiStub.start({ tls: certs, tokens: { [token]: identity } });
  subs.add(
    `Kubernetes API: kube-api-stub.ts on https://127.0.0.1:<port> (TLS with its own CA; bearer token; the rendered Role ${role.metadata.name} enforced for ${identity.user} via RoleBinding ${roleBinding.metadata.name}) instead of the cluster's API server`,
  );
  createPods();

  // Members: the rendered patroni.yml with patroni-support's substitutions, the kubernetes section kept as rendered.
  const shared = prepareShared(subs, cleanup);
  if (!TIMESCALEDB_AVAILABLE) {
    // prepareShared's copy of the rendered init.sql, which now requires the extension (ON_ERROR_STOP).
    const initSql = path.join(path.dirname(shared.postBootstrap), 'init.sql');
    const text = fs.readFileSync(initSql, 'utf8');
    const edited = text.replace(/^CREATE EXTENSION IF NOT EXISTS timescaledb;$/m, '-- (test) CREATE EXTENSION timescaledb: not packaged in Debian');
    if (edited !== text) {
      writeAsPostgres(initSql, edited, 0o644);
      subs.add('TimescaleDB: CREATE EXTENSION timescaledb removed from the copy of init.sql (not packaged in Debian)');
    }
  }
  let shim: string | undefined;
  const shimBin = () => (shim ??= pgbackrestShim(apiDir));
  const memberSubs = new FilteredSubs(subs, /^(DCS:|name:)/);
  const noEtcd: Etcd = { clientPort: 0, log: '' };
  for (let i = 0; i < sts.spec.replicas; i++) {
    const name = `${sts.metadata.name}-${i}`;
    const { member, config } = await memberConfig(name, noEtcd, shared, memberSubs, cleanup);
    delete config.etcd3;
    config.kubernetes = JSON.parse(JSON.stringify(k8s));
    writeAsPostgres(member.configFile, stringify(config));
    pods.push({ name, member, env: containerEnv(name, member, shimBin, path.dirname(shared.cert)), restarts: 0 });
  }
  subs.add(`DCS: the rendered kubernetes section unchanged (${JSON.stringify(k8s)}); only the API endpoint differs (above)`);

  kubelet = new Kubelet(pods);
  kubelet.start();
  sampler = new Sampler();

  // podManagementPolicy OrderedReady: postgres-1 is created once postgres-0 is Ready.
  const [p0, p1] = pods;
  const t0 = Date.now();
  startPod(p0);
  kubelet.containerStarted(p0);
  const firstLeader = await step(`${p0.name} bootstraps and takes the leader lock`, () =>
    pollWhileRunning([p0.member], 'leader lock', async () => stub.configMap(NS, LEADER_CM)?.metadata?.annotations?.leader === p0.name, 300_000, 200),
  );
  const labelled = await step(`${p0.name} labelled ${ROLE_LABEL}=${LEADER}`, () => pollWhileRunning([p0.member], 'leader label', async () => labelOf(p0.name) === LEADER, 60_000, 200));
  const ready0 = await step(`${p0.name} Ready`, () => pollWhileRunning([p0.member], 'Ready', async () => podReady(stub.pods(NS).find((p) => p.metadata.name === p0.name)), 120_000, 200));
  figures.push(
    `time to first leader: ${firstLeader.toFixed(1)} s from the start of ${p0.name}'s container (empty data directory: initdb, post_bootstrap) to its leader lock in ConfigMap ${LEADER_CM}; ` +
      `labelled ${ROLE_LABEL}=${LEADER} ${(firstLeader + labelled).toFixed(1)} s, Pod Ready ${((Date.now() - t0) / 1000).toFixed(1)} s (ready wait ${ready0.toFixed(1)} s)`,
  );

  const t1 = Date.now();
  startPod(p1);
  kubelet.containerStarted(p1);
  await step(`${p1.name} joins as the streaming synchronous standby, labelled ${ROLE_LABEL}=${FOLLOWER} and Ready`, () =>
    pollWhileRunning(
      [p0.member, p1.member],
      'replica',
      async () => {
        if (labelOf(p1.name) !== FOLLOWER) return false;
        if (!podReady(stub.pods(NS).find((p) => p.metadata.name === p1.name))) return false;
        const want = rendered.bootstrap.dcs.synchronous_mode ? 'sync' : 'async';
        // synchronous_mode: only a standby the leader has recorded in the <scope>-sync ConfigMap may be promoted.
        if (rendered.bootstrap.dcs.synchronous_mode && stub.configMap(NS, `${rendered.scope}-sync`)?.metadata?.annotations?.sync_standby !== p1.name) return false;
        return p0.member.psql(`SELECT application_name || '|' || state || '|' || sync_state FROM pg_stat_replication`) === `${p1.name}|streaming|${want}`;
      },
      300_000,
      500,
    ),
  );
  figures.push(`${p1.name}: replica streaming${rendered.bootstrap.dcs.synchronous_mode ? ' (recorded synchronous standby)' : ''}, labelled ${ROLE_LABEL}=${FOLLOWER} and Ready ${((Date.now() - t1) / 1000).toFixed(1)} s after its start`);
}, 900_000);

afterAll(async () => {
  sampler?.stop();
  kubelet?.stop();
  cleanup.run();
  await stub?.stop();
  console.log(`patroni-kubernetes figures:\n${figures.map((f) => `  - ${f}`).join('\n')}`);
  if (stub) console.log(`patroni-kubernetes: Kubernetes API calls (user verb resource -> status: count):\n${auditSummary()}`);
  subs.report('patroni-kubernetes');
});

test('Patroni labels the leader and the replica; each rendered Service selects exactly its pod', async () => {
  const [p0, p1] = pods;
  expect({ [p0.name]: labelOf(p0.name), [p1.name]: labelOf(p1.name) }).toEqual({ [p0.name]: LEADER, [p1.name]: FOLLOWER });
  const s = snapshot();
  expect(s.rwSelected).toEqual([p0.name]);
  expect(s.rwEndpoints).toEqual([p0.name]);
  expect(s.roSelected).toEqual([p1.name]);
  expect(s.roEndpoints).toEqual([p1.name]);
  // The selectors are the ones reviewed: the rendered Service selects on the label Patroni writes.
  expect(rwService.spec.selector[ROLE_LABEL]).toBe(LEADER);
  expect(roService.spec.selector[ROLE_LABEL]).toBe(FOLLOWER);

  // Patroni's DCS objects are ConfigMaps labelled with the rendered labels + the scope label.
  const cms = stub.configMaps(NS).map((c) => c.metadata.name).sort();
  expect(cms).toEqual(expect.arrayContaining([`${rendered.scope}-config`, LEADER_CM, `${rendered.scope}-sync`]));
  for (const c of stub.configMaps(NS)) expect(c.metadata.labels).toEqual({ ...k8s.labels, [k8s.scope_label ?? 'cluster-name']: rendered.scope });
  if (rendered.bootstrap.dcs.synchronous_mode) expect(stub.configMap(NS, `${rendered.scope}-sync`)!.metadata.annotations).toMatchObject({ leader: p0.name, sync_standby: p1.name });

  // The runbook's "who is primary": patronictl list through the Kubernetes DCS, from inside the pod.
  const list = await patronictl(p0, ['list']);
  console.log(`patroni-kubernetes: patronictl list (runbook "Who is primary"):\n${list.out}`);
  expect(list.status).toBe(0);
  expect(list.out).toMatch(new RegExp(`\\|\\s*${p0.name}\\s*\\|[^\\n]*\\|\\s*Leader\\s*\\|`));
  expect(list.out).toMatch(new RegExp(`\\|\\s*${p1.name}\\s*\\|[^\\n]*\\|\\s*Sync Standby\\s*\\|`));

  // No samples so far selected two pods for the read-write Service.
  expect(sampler.samples.filter((x) => x.rwSelected.length > 1)).toEqual([]);
});

test('SIGKILL of the leader: the read-write Service follows the new leader and never has two endpoints', async () => {
  const [p0, p1] = pods;
  const patroniPid = p0.member.proc!.pid!;
  const pmPid = postmasterPid(p0.member.dataDir);
  expect(pmPid).toBeDefined();
  await sleep(1000);
  const staleLock = stub.configMap(NS, LEADER_CM)!;
  const t0 = Date.now();
  killGroup(patroniPid);
  killPostmaster(p0.member.dataDir);
  await waitFor(`${p0.name} Patroni and postmaster gone`, () => gone(pmPid!) && gone(patroniPid), 10_000, 50);
  subs.add(
    `failover: ${p0.name}'s Patroni (the container process) and postmaster SIGKILLed; the kubelet model restarts that container only after the failover ` +
      '(a real kubelet restarts it at once; a Patroni back within ttl may keep its leader lock, and no failover happens)',
  );

  await step(`${p1.name} takes the leader lock, labels itself ${ROLE_LABEL}=${LEADER} and is the read-write Service's only ready endpoint`, () =>
    pollWhileRunning(
      [p1.member],
      'failover',
      async () => {
        const s = snapshot();
        return s.lockHolder === p1.name && labelOf(p1.name) === LEADER && s.rwEndpoints.join() === p1.name;
      },
      300_000,
      200,
    ),
  );
  const tDone = Date.now();
  await sleep(3000); // a few more samples of the settled state
  const during = sampler.since(t0);
  const lock = during.find((s) => s.lockHolder === p1.name);
  const labelled = during.find((s) => s.rwSelected.includes(p1.name));
  const noEndpoint = spanOf(during.filter((s) => s.at <= tDone), (s) => s.rwEndpoints.length === 0);
  const doubleLabel = spanOf(during, (s) => s.rwSelected.length > 1);
  const failover = (tDone - t0) / 1000;
  figures.push(
    `failover: ${failover.toFixed(1)} s from SIGKILL of ${p0.name} until the read-write Service ${rwService.metadata.name} had ${p1.name} as its only ready endpoint ` +
      `(leader lock to ${p1.name} after ${lock ? ((lock.at - t0) / 1000).toFixed(1) : '?'} s, ${ROLE_LABEL}=${LEADER} on ${p1.name} after ${labelled ? ((labelled.at - t0) / 1000).toFixed(1) : '?'} s; ` +
      `rendered ttl ${rendered.bootstrap.dcs.ttl}, loop_wait ${rendered.bootstrap.dcs.loop_wait}, retry_timeout ${rendered.bootstrap.dcs.retry_timeout})`,
    `read-write Service without a ready endpoint: ${noEndpoint.seconds.toFixed(1)} s (${noEndpoint.count} of ${during.filter((s) => s.at <= tDone).length} samples at 200 ms)`,
    `read-write selector matching two pods by labels alone: ${doubleLabel.count} samples (${doubleLabel.seconds.toFixed(1)} s, from ${doubleLabel.first ? ((doubleLabel.first - t0) / 1000).toFixed(1) : '-'} s after the kill): ` +
      `the dead ${p0.name} keeps ${ROLE_LABEL}=${LEADER} (nothing but its own Patroni changes its labels) until its container returns; it is not Ready, so it is not an endpoint`,
    `samples with two ready read-write endpoints at once: ${during.filter((s) => s.rwEndpoints.length > 1).length} of ${during.length}`,
  );

  // Never two ready endpoints behind the read-write Service.
  expect(sampler.samples.filter((s) => s.rwEndpoints.length > 1)).toEqual([]);
  const s = snapshot();
  expect(s.rwEndpoints).toEqual([p1.name]);
  expect(labelOf(p1.name)).toBe(LEADER);
  expect(p1.member.psql('SELECT pg_is_in_recovery()')).toBe('f');

  // The lock's fencing: a renewal with the resourceVersion the old leader last saw (what its Patroni sends from its
  // cache, kubernetes.py update_leader) is refused with 409 Conflict; the lock stays with the new leader.
  const renew = await asServiceAccount(
    'PATCH',
    `/api/v1/namespaces/${NS}/configmaps/${LEADER_CM}`,
    { metadata: { name: LEADER_CM, namespace: NS, resourceVersion: staleLock.metadata.resourceVersion, annotations: { ...staleLock.metadata.annotations, renewTime: new Date().toISOString() } } },
    'application/strategic-merge-patch+json',
  );
  expect({ status: renew.status, reason: renew.body?.reason }).toEqual({ status: 409, reason: 'Conflict' });
  expect(stub.configMap(NS, LEADER_CM)!.metadata.annotations.leader).toBe(p1.name);
});

test('the old leader\'s pod returns: its label is corrected, it rejoins as replica, each selector matches exactly one pod', async () => {
  const [p0, p1] = pods;
  const t0 = Date.now();
  p0.restarts++;
  startPod(p0);
  kubelet.containerStarted(p0);
  const relabelled = await step(`${p0.name}'s Patroni removes its ${ROLE_LABEL}=${LEADER} label`, () =>
    pollWhileRunning([p0.member, p1.member], 'label cleared', async () => labelOf(p0.name) !== LEADER, 120_000, 200),
  );
  await step(`${p0.name} rejoins (pg_rewind) as the streaming replica, labelled ${ROLE_LABEL}=${FOLLOWER} and Ready`, () =>
    pollWhileRunning(
      [p0.member, p1.member],
      'rejoin',
      async () => {
        if (labelOf(p0.name) !== FOLLOWER) return false;
        if (!podReady(stub.pods(NS).find((p) => p.metadata.name === p0.name))) return false;
        return p1.member.psql(`SELECT application_name || '|' || state FROM pg_stat_replication`) === `${p0.name}|streaming`;
      },
      300_000,
      500,
    ),
  );
  const rejoin = (Date.now() - t0) / 1000;
  await sleep(1000);
  figures.push(`old leader ${p0.name} back: ${ROLE_LABEL}=${LEADER} removed ${relabelled.toFixed(1)} s after its Patroni restarted, streaming replica labelled ${ROLE_LABEL}=${FOLLOWER} and Ready after ${rejoin.toFixed(1)} s`);

  const s = snapshot();
  expect(s.rwSelected).toEqual([p1.name]);
  expect(s.rwEndpoints).toEqual([p1.name]);
  expect(s.roSelected).toEqual([p0.name]);
  expect(s.roEndpoints).toEqual([p0.name]);
  expect(sampler.samples.filter((x) => x.rwEndpoints.length > 1)).toEqual([]);
  // From the label removal on, labels alone never select two pods again.
  const afterClear = sampler.since(t0 + relabelled * 1000 + 400);
  expect(afterClear.filter((x) => x.rwSelected.length > 1)).toEqual([]);

  // Runbook "Automatic failover", step 1: patronictl list shows the new leader and the old member as replica.
  const list = await patronictl(p1, ['list']);
  console.log(`patroni-kubernetes: patronictl list after the failover:\n${list.out}`);
  expect(list.status).toBe(0);
  expect(list.out).toMatch(new RegExp(`\\|\\s*${p1.name}\\s*\\|[^\\n]*\\|\\s*Leader\\s*\\|`));
  expect(list.out).toMatch(new RegExp(`\\|\\s*${p0.name}\\s*\\|[^\\n]*\\|\\s*(Sync Standby|Replica)\\s*\\|\\s*streaming`));
});

test('every call Patroni made was allowed by the rendered Role and served as Kubernetes does', () => {
  const patroni = stub.audit.filter((a) => a.userAgent !== TEST_AGENT);
  // 409 is part of Patroni's protocol (create of an existing object, a lock patch with a stale resourceVersion).
  const bad = patroni.filter((a) => a.code >= 400 && a.code !== 409);
  const used = [...new Set(patroni.map((a) => `${a.resource}:${a.verb}`))].sort();
  const granted = (role.rules as PolicyRule[]).flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`))).sort();
  figures.push(`verbs Patroni 4.0.7 and patronictl used: ${used.join(', ')}; the rendered Role grants: ${granted.join(', ')}`);
  expect(bad).toEqual([]);
  for (const u of used) expect(granted).toContain(u);
});

test('patronictl remove (wipes the cluster from the DCS) is allowed by the rendered Role', async () => {
  // A cluster is removed once it is stopped: SIGTERM to Patroni (it stops PostgreSQL and releases its leader lock),
  // as the kubelet sends it to the container's process. Not to the process group: runuser, on SIGTERM, SIGKILLs its
  // child 2 s later (util-linux su-common), which would cut Patroni's shutdown short.
  for (const p of pods) {
    const patroni = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(p.member.proc!.pid!)], { encoding: 'utf8' }).trim().split('\n')[0]);
    if (patroni > 1) process.kill(patroni, 'SIGTERM');
  }
  for (const p of pods) await Promise.race([p.member.exit, sleep(90_000)]);
  const leaderAfterStop = stub.configMap(NS, LEADER_CM)?.metadata?.annotations?.leader;
  figures.push(`after SIGTERM of both members: leader annotation of ${LEADER_CM} ${leaderAfterStop === undefined ? 'removed (lock released)' : `still ${leaderAfterStop}`}`);
  const from = stub.audit.length;
  const r = await patronictl(pods[0], ['remove', rendered.scope], `${rendered.scope}\nYes I am aware\n${pods[1].name}\n`);
  const calls = stub.audit.slice(from).filter((a) => a.verb === 'deletecollection');
  figures.push(
    `patronictl remove ${rendered.scope}: exit ${r.status}; API: ${calls.map((a) => `${a.verb} ${a.resource} -> ${a.code}${a.reason ? ` ${a.reason}` : ''}`).join(', ') || 'no deletecollection call'}; ` +
      `ConfigMaps left: ${stub.configMaps(NS).map((c) => c.metadata.name).join(', ') || 'none'}`,
  );
  if (calls.some((a) => a.code === 403)) console.log(`patroni-kubernetes: patronictl remove output:\n${r.out}`);
  // Patroni 4.0.7 Kubernetes.delete_cluster: delete_collection_namespaced_config_map (verb deletecollection, not delete).
  expect(calls.map((a) => `${a.verb} ${a.resource} ${a.code}`)).toEqual([`deletecollection configmaps 200`]);
  expect(stub.configMaps(NS)).toEqual([]);
});
