/**
 * A minimal Kubernetes API server for tier 4: exactly the part of the core/v1 API that Patroni 4's Kubernetes DCS
 * (patroni/dcs/kubernetes.py, `use_endpoints: false`, `bypass_api_service` unset) calls, served over TLS on loopback,
 * with bearer-token authentication and RBAC evaluated against the rendered Role, so the test runs Patroni's real
 * Kubernetes code path against the rendered configuration (no real API server can run on this machine).
 *
 * Served (namespaced, `/api/v1/namespaces/{ns}/{configmaps|pods}`):
 *   GET    collection            list (labelSelector), ConfigMapList/PodList with metadata.resourceVersion
 *   GET    collection?watch=true watch from resourceVersion (chunked stream of {type, object} JSON events; a
 *                                labelSelector turns MODIFIED into ADDED/DELETED when an object enters/leaves it;
 *                                resourceVersion absent or "0": synthetic ADDED for the current objects first;
 *                                timeoutSeconds honoured)
 *   GET    /{name}               get (404 NotFound)
 *   POST   collection            create (201; 409 AlreadyExists)
 *   PATCH  /{name}               application/strategic-merge-patch+json (what Patroni sends) and
 *                                application/merge-patch+json; metadata.resourceVersion in the patch is a precondition
 *                                (409 Conflict when it is not the current one: the leader lock relies on it); a patch
 *                                that changes nothing does not bump the resourceVersion; null deletes a key
 *   DELETE /{name}               delete (DeleteOptions.preconditions.resourceVersion/uid honoured)
 *   DELETE collection            deletecollection (labelSelector) — what `patronictl remove` calls
 * Labels and annotations are validated like the API server does (label values: <= 63 characters of [A-Za-z0-9._-],
 * alphanumeric at both ends; annotation values strings), 422 Invalid otherwise.
 * Not served (404, audited): every other path and resource (Patroni calls endpoints/services only with
 * use_endpoints / bypass_api_service). PUT (replace) is answered 405 (Patroni never sends it). Strategic-merge list
 * directives (patchMergeKey, $patch) are not implemented: Patroni's patches carry only metadata maps, where strategic
 * merge and JSON merge patch agree.
 *
 * Pods are created by the test through `createPod` (the StatefulSet controller's job) and their status is set through
 * `setPodStatus` (the kubelet's job); both produce watch events like the real ones.
 */
import { randomUUID } from 'crypto';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { IncomingMessage, ServerResponse } from 'http';

export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** Who a bearer token authenticates, and the namespaced rules RoleBindings grant it there. */
export interface Identity {
  readonly user: string;
  /** namespace -> rules granted there */
  readonly rules: Record<string, PolicyRule[]>;
}

export interface AuditEntry {
  readonly at: number;
  readonly user: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name?: string;
  readonly code: number;
  readonly reason?: string;
  readonly contentType?: string;
  readonly userAgent?: string;
}

type Obj = Record<string, any>;

const KINDS: Record<string, string> = { configmaps: 'ConfigMap', pods: 'Pod' };

interface StoredEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
  readonly prev?: Obj;
  readonly rv: number;
}

interface Watcher {
  readonly key: string;
  readonly selector: Requirement[];
  readonly res: ServerResponse;
}

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Obj) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors (equality- and set-based, as kubectl/the API server parse them).

export interface Requirement {
  readonly key: string;
  readonly op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
  readonly values: string[];
}

export function parseLabelSelector(selector: string | undefined): Requirement[] {
  const out: Requirement[] = [];
  if (!selector) return out;
  // split on commas outside parentheses
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw))) {
      out.push({ key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) });
    } else if ((m = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(raw))) {
      out.push({ key: m[1], op: '!=', values: [m[2]] });
    } else if ((m = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(raw))) {
      out.push({ key: m[1], op: '=', values: [m[2]] });
    } else if ((m = /^!\s*(\S+)$/.exec(raw))) {
      out.push({ key: m[1], op: '!', values: [] });
    } else if (/^[^\s!=(),]+$/.test(raw)) {
      out.push({ key: raw, op: 'exists', values: [] });
    } else {
      throw new HttpError(400, 'BadRequest', `unable to parse requirement: ${raw}`);
    }
  }
  return out;
}

export function labelsMatch(labels: Record<string, string> | undefined, reqs: Requirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case '=':
        return has && l[r.key] === r.values[0];
      case '!=':
        return !has || l[r.key] !== r.values[0];
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
  });
}

/** A Service's `spec.selector` (a map: every pair must be a label of the pod). */
export function serviceSelects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// ---------------------------------------------------------------------------------------------------------------
// Object helpers.

const clone = <T>(o: T): T => (o === undefined ? o : JSON.parse(JSON.stringify(o)));

/** RFC 7386 JSON merge patch (what strategic merge does for maps; null deletes). */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Obj = target !== null && typeof target === 'object' && !Array.isArray(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function validateMeta(kind: string, obj: Obj): void {
  const errs: string[] = [];
  const md = obj.metadata ?? {};
  for (const [k, v] of Object.entries<any>(md.labels ?? {})) {
    if (!QUALIFIED_NAME.test(k)) errs.push(`metadata.labels: Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) errs.push(`metadata.labels: Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  let size = 0;
  for (const [k, v] of Object.entries<any>(md.annotations ?? {})) {
    if (!QUALIFIED_NAME.test(k)) errs.push(`metadata.annotations: Invalid value: "${k}"`);
    if (typeof v !== 'string') errs.push(`metadata.annotations.${k}: Invalid value: must be a string`);
    else size += k.length + v.length;
  }
  if (size > 256 * 1024) errs.push('metadata.annotations: Too long: must have at most 262144 bytes');
  if (errs.length) throw new HttpError(422, 'Invalid', `${kind} "${md.name}" is invalid: ${errs.join(', ')}`);
}

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, details, code };
}

function withKind(resource: string, obj: Obj): Obj {
  return { kind: KINDS[resource], apiVersion: 'v1', ...obj };
}

/** Items of a list response carry no kind/apiVersion (as the API server sends them). */
function bare(obj: Obj): Obj {
  const { kind: _k, apiVersion: _a, ...rest } = obj;
  return rest;
}

function sameIgnoringVersion(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

// ---------------------------------------------------------------------------------------------------------------

export interface ApiServerCerts {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A cluster CA and an API server certificate signed by it (SAN IP:127.0.0.1 and the in-cluster names), made with
 * openssl, like the cluster's own CA and kube-apiserver serving certificate.
 */
export function makeApiServerCerts(dir: string): ApiServerCerts {
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=kube-api-stub-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash', '-keyout', f('ca.key'), '-out', f('ca.crt')], { stdio: 'pipe' });
  execFileSync('openssl', ['req', '-new', ...ec, '-subj', '/CN=kube-apiserver', '-keyout', f('apiserver.key'), '-out', f('apiserver.csr')], { stdio: 'pipe' });
  fs.writeFileSync(
    f('apiserver.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      'subjectAltName=IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    ].join('\n') + '\n',
  );
  execFileSync('openssl', ['x509', '-req', '-in', f('apiserver.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('apiserver.ext'), '-out', f('apiserver.crt')], { stdio: 'pipe' });
  return { caCert: f('ca.crt'), cert: f('apiserver.crt'), key: f('apiserver.key') };
}

export interface KubeApiStubOptions {
  readonly tls: ApiServerCerts;
  /** bearer token -> identity */
  readonly tokens: Record<string, Identity>;
}

export class KubeApiStub {
  readonly audit: AuditEntry[] = [];
  private rv = 1000;
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly events = new Map<string, StoredEvent[]>();
  private readonly watchers = new Set<Watcher>();
  private server!: https.Server;
  port = 0;

  private constructor(private readonly opts: KubeApiStubOptions) {}

  static async start(opts: KubeApiStubOptions): Promise<KubeApiStub> {
    const stub = new KubeApiStub(opts);
    stub.server = https.createServer({ cert: fs.readFileSync(opts.tls.cert), key: fs.readFileSync(opts.tls.key) }, (req, res) => stub.handle(req, res));
    stub.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      stub.server.once('error', reject);
      stub.server.listen(0, '127.0.0.1', () => resolve());
    });
    stub.port = (stub.server.address() as { port: number }).port;
    return stub;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- direct access for the test (controllers, kubelet, assertions) -----------------------------------------

  /** Creates a Pod as the StatefulSet controller would. */
  createPod(namespace: string, pod: Obj): Obj {
    return clone(this.create(namespace, 'pods', pod));
  }

  /** Replaces a Pod's status as the kubelet does (pods/status); a watch event when it changes. */
  setPodStatus(namespace: string, name: string, mutate: (status: Obj) => Obj): void {
    const cur = this.objects(namespace, 'pods').get(name);
    if (!cur) throw new Error(`no pod ${namespace}/${name}`);
    const next = { ...clone(cur), status: mutate(clone(cur.status ?? {})) };
    if (sameIgnoringVersion(cur, next)) return;
    this.write(namespace, 'pods', 'MODIFIED', next, cur);
  }

  pods(namespace: string): Obj[] {
    return [...this.objects(namespace, 'pods').values()].map(clone);
  }

  configMap(namespace: string, name: string): Obj | undefined {
    return clone(this.objects(namespace, 'configmaps').get(name));
  }

  configMaps(namespace: string): Obj[] {
    return [...this.objects(namespace, 'configmaps').values()].map(clone);
  }

  // ---- store ---------------------------------------------------------------------------------------------------

  private objects(namespace: string, resource: string): Map<string, Obj> {
    const key = `${namespace}/${resource}`;
    let m = this.store.get(key);
    if (!m) this.store.set(key, (m = new Map()));
    return m;
  }

  private write(namespace: string, resource: string, type: StoredEvent['type'], obj: Obj, prev?: Obj): Obj {
    const key = `${namespace}/${resource}`;
    const rv = ++this.rv;
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(rv);
    if (type === 'DELETED') this.objects(namespace, resource).delete(stored.metadata.name);
    else this.objects(namespace, resource).set(stored.metadata.name, stored);
    const ev: StoredEvent = { type, object: stored, prev, rv };
    let list = this.events.get(key);
    if (!list) this.events.set(key, (list = []));
    list.push(ev);
    for (const w of this.watchers) if (w.key === key) this.deliver(w, resource, ev);
    return stored;
  }

  private create(namespace: string, resource: string, body: Obj): Obj {
    const kind = KINDS[resource];
    const md = body?.metadata;
    if (!md?.name) throw new HttpError(422, 'Invalid', `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    if (md.namespace && md.namespace !== namespace) throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    if (md.resourceVersion) throw new HttpError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    if (this.objects(namespace, resource).has(md.name)) throw new HttpError(409, 'AlreadyExists', `${resource} "${md.name}" already exists`, { name: md.name, kind: resource });
    const obj = bare(clone(body));
    obj.metadata = { ...obj.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    validateMeta(kind, obj);
    return withKind(resource, this.write(namespace, resource, 'ADDED', obj));
  }

  private patch(namespace: string, resource: string, name: string, contentType: string, body: Obj): Obj {
    const kind = KINDS[resource];
    if (!/^application\/(strategic-merge-patch|merge-patch)\+json/.test(contentType)) {
      throw new HttpError(415, 'UnsupportedMediaType', `the stub does not implement the patch type ${contentType || '(none)'}`);
    }
    const cur = this.objects(namespace, resource).get(name);
    if (!cur) throw new HttpError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
    const want = body?.metadata?.resourceVersion;
    if (want !== undefined && want !== null && String(want) !== cur.metadata.resourceVersion) {
      throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: resource });
    }
    if (body?.metadata?.name && body.metadata.name !== name) throw new HttpError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const next = bare(mergePatch(cur, body));
    // server-managed fields survive any patch
    next.metadata = { ...next.metadata, name, namespace, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, resourceVersion: cur.metadata.resourceVersion };
    validateMeta(kind, next);
    if (sameIgnoringVersion(cur, next)) return withKind(resource, clone(cur));
    return withKind(resource, this.write(namespace, resource, 'MODIFIED', next, cur));
  }

  private remove(namespace: string, resource: string, name: string, options: Obj | undefined): Obj {
    const cur = this.objects(namespace, resource).get(name);
    if (!cur) throw new HttpError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
    const pre = options?.preconditions ?? {};
    if ((pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) || (pre.uid && pre.uid !== cur.metadata.uid)) {
      throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the precondition does not match`, { name, kind: resource });
    }
    return withKind(resource, this.write(namespace, resource, 'DELETED', cur, cur));
  }

  // ---- watch ---------------------------------------------------------------------------------------------------

  private deliver(w: Watcher, resource: string, ev: StoredEvent): void {
    const now = labelsMatch(ev.object.metadata.labels, w.selector);
    const before = ev.prev ? labelsMatch(ev.prev.metadata.labels, w.selector) : false;
    let type: string | undefined;
    if (ev.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (ev.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) w.res.write(JSON.stringify({ type, object: withKind(resource, ev.object) }) + '\n');
  }

  private watch(res: ServerResponse, namespace: string, resource: string, q: URLSearchParams): void {
    const key = `${namespace}/${resource}`;
    const selector = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const from = q.get('resourceVersion');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    (res.socket as any)?.setNoDelay?.(true);
    const w: Watcher = { key, selector, res };
    if (!from || from === '0') {
      for (const o of this.objects(namespace, resource).values()) {
        if (labelsMatch(o.metadata.labels, selector)) res.write(JSON.stringify({ type: 'ADDED', object: withKind(resource, o) }) + '\n');
      }
    } else {
      const fromRv = Number(from);
      if (!Number.isFinite(fromRv)) {
        res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `invalid resourceVersion ${from}`) }) + '\n');
        return;
      }
      for (const ev of this.events.get(key) ?? []) if (ev.rv > fromRv) this.deliver(w, resource, ev);
    }
    this.watchers.add(w);
    // The response's 'close' (client gone, or ended): IncomingMessage's own 'close' fires once the request body
    // has been read, long before the watch ends.
    const drop = () => this.watchers.delete(w);
    res.on('close', drop);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0) {
      const t = setTimeout(() => {
        drop();
        res.end();
      }, timeout * 1000);
      res.on('close', () => clearTimeout(t));
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  private authorize(identity: Identity, verb: string, resource: string, namespace: string, name?: string): boolean {
    return (identity.rules[namespace] ?? []).some(
      (r) =>
        (r.apiGroups.includes('') || r.apiGroups.includes('*')) &&
        (r.resources.includes(resource) || r.resources.includes('*')) &&
        (r.verbs.includes(verb) || r.verbs.includes('*')) &&
        (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'https://stub');
      const q = u.searchParams;
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(u.pathname);
      const namespace = m?.[1] ?? '';
      const resource = m?.[2] ?? u.pathname;
      const name = m?.[3] !== undefined ? decodeURIComponent(m[3]) : undefined;
      const isWatch = ['true', '1', 'True'].includes(q.get('watch') ?? '');
      const method = req.method ?? 'GET';
      const verb =
        method === 'GET' ? (isWatch ? 'watch' : name ? 'get' : 'list')
        : method === 'POST' ? 'create'
        : method === 'PATCH' ? 'patch'
        : method === 'PUT' ? 'update'
        : method === 'DELETE' ? (name ? 'delete' : 'deletecollection')
        : method.toLowerCase();
      const contentType = String(req.headers['content-type'] ?? '');
      const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
      const identity = auth ? this.opts.tokens[auth[1].trim()] : undefined;
      const entry = (code: number, reason?: string) =>
        this.audit.push({ at: Date.now(), user: identity?.user ?? 'system:anonymous', verb, resource, namespace, name, code, reason, contentType: method === 'PATCH' ? contentType : undefined, userAgent: req.headers['user-agent'] });
      const send = (code: number, body: Obj, reason?: string) => {
        entry(code, reason);
        const text = JSON.stringify(body);
        res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      try {
        if (!identity) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
        if (!m) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (the stub serves only /api/v1/namespaces/{ns}/{configmaps,pods})`);
        if (!this.authorize(identity, verb, resource, namespace, name)) {
          throw new HttpError(403, 'Forbidden', `${resource}${name ? ` "${name}"` : ''} is forbidden: User "${identity.user}" cannot ${verb} resource "${resource}" in API group "" in the namespace "${namespace}"`, { name, kind: resource });
        }
        if (!KINDS[resource]) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (the stub does not serve ${resource})`);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        if (text) {
          try {
            body = JSON.parse(text);
          } catch {
            throw new HttpError(400, 'BadRequest', 'the request body is not JSON');
          }
        }
        const items = () => [...this.objects(namespace, resource).values()].filter((o) => labelsMatch(o.metadata.labels, parseLabelSelector(q.get('labelSelector') ?? undefined)));
        switch (verb) {
          case 'watch':
            entry(200);
            return this.watch(res, namespace, resource, q);
          case 'list':
            return send(200, { kind: `${KINDS[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: items().map(bare) });
          case 'get': {
            const o = this.objects(namespace, resource).get(name!);
            if (!o) throw new HttpError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
            return send(200, withKind(resource, o));
          }
          case 'create':
            if (name) throw new HttpError(405, 'MethodNotAllowed', 'POST to a named object');
            return send(201, this.create(namespace, resource, body));
          case 'patch':
            return send(200, this.patch(namespace, resource, name!, contentType, body));
          case 'delete':
            this.remove(namespace, resource, name!, body);
            return send(200, status(200, '', '', { name, kind: resource }));
          case 'deletecollection': {
            const deleted = items().map((o) => this.remove(namespace, resource, o.metadata.name, body));
            return send(200, { kind: `${KINDS[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: deleted.map(bare) });
          }
          default:
            throw new HttpError(405, 'MethodNotAllowed', `the stub does not implement ${method} (${verb})`);
        }
      } catch (e) {
        if (e instanceof HttpError) return send(e.code, status(e.code, e.reason, e.message, e.details), e.reason);
        return send(500, status(500, 'InternalError', String((e as Error).stack ?? e)), 'InternalError');
      }
    });
  }
}
