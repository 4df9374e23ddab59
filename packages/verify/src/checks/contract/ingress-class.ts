/**
 * `ingress-class`: every Ingress (rendered YAML, and the manifests the cluster template applies) is served by a
 * controller the templates install.
 *
 * - Its class (`spec.ingressClassName`, else the `kubernetes.io/ingress.class` annotation, else the default
 *   IngressClass) is an IngressClass a chart creates — NGINX Inc. `nginx-ingress` (`controller.ingressClass.name`,
 *   default `nginx`, `create` default true), community `ingress-nginx` (`controller.ingressClassResource`),
 *   `aws-load-balancer-controller` (`ingressClass`, default `alb`, with `createIngressClassResource`) — or a
 *   rendered / applied IngressClass object.
 * - Its controller-specific annotations belong to that controller: `nginx.org/*` are read only by NGINX Inc.'s
 *   controller, `nginx.ingress.kubernetes.io/*` only by ingress-nginx, `alb.ingress.kubernetes.io/*` only by the AWS
 *   Load Balancer Controller; an annotation of another family is silently ignored.
 * - An Ingress applied by the templates whose backend is in a chart's namespace (the edge ALB forwarding to NGINX)
 *   names the Service the chart creates (NGINX Inc.: `serviceNameOverride`, else `<fullname>-<controller.name>`)
 *   and one of its ports (`controller.service.httpPort.port`, default 80; `httpsPort.port`, default 443).
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { helmCharts, kubernetesManifests, resourceId, type HelmChart } from '../../cfn';
import { kubeIndex, ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { allIngresses } from './waf';

const RULE = 'ingress-class';

interface InstalledClass {
  readonly name: string;
  readonly family?: 'nginx-inc' | 'ingress-nginx' | 'alb';
  readonly isDefault: boolean;
  readonly source: string;
  readonly chart?: HelmChart;
}

const FAMILY_PREFIX: Record<NonNullable<InstalledClass['family']>, string> = {
  'nginx-inc': 'nginx.org/',
  'ingress-nginx': 'nginx.ingress.kubernetes.io/',
  alb: 'alb.ingress.kubernetes.io/',
};

function familyOfController(controller: string | undefined): InstalledClass['family'] {
  if (controller === 'nginx.org/ingress-controller') return 'nginx-inc';
  if (controller === 'k8s.io/ingress-nginx') return 'ingress-nginx';
  if (controller === 'ingress.k8s.aws/alb') return 'alb';
  return undefined;
}

function fullname(c: HelmChart, chartName: string): string {
  if (c.values?.fullnameOverride) return String(c.values.fullnameOverride);
  const name = c.values?.nameOverride ?? chartName;
  return c.release.includes(name) ? c.release : `${c.release}-${name}`;
}

/**
 * The controller Service an ingress chart creates, and its HTTP and HTTPS ports: NGINX Inc. `serviceNameOverride`,
 * else `<fullname>-<controller.name>`, ports `controller.service.httpPort.port` (80) / `httpsPort.port` (443);
 * ingress-nginx `<fullname>-controller`, `controller.service.ports.http/https`.
 */
export function controllerService(chart: HelmChart): { name: string; httpPort?: number; httpsPort?: number } {
  const v = chart.values?.controller ?? {};
  if (chart.chart === 'nginx-ingress') {
    return {
      name: chart.values?.serviceNameOverride ?? `${fullname(chart, 'nginx-ingress')}-${v.name ?? 'controller'}`,
      httpPort: v.service?.httpPort?.enable === false ? undefined : Number(v.service?.httpPort?.port ?? 80),
      httpsPort: v.service?.httpsPort?.enable === false ? undefined : Number(v.service?.httpsPort?.port ?? 443),
    };
  }
  return { name: `${fullname(chart, 'ingress-nginx')}-controller`, httpPort: Number(v.service?.ports?.http ?? 80), httpsPort: Number(v.service?.ports?.https ?? 443) };
}

export function installedClasses(env: RenderedEnvironment): InstalledClass[] {
  const out: InstalledClass[] = [];
  for (const c of helmCharts(env)) {
    const v = c.values ?? {};
    const source = `chart ${c.release} (${resourceId(c)})`;
    if (c.chart === 'nginx-ingress') {
      const ic = v.controller?.ingressClass;
      const name = typeof ic === 'string' ? ic : (ic?.name ?? 'nginx');
      if (typeof ic === 'string' || ic?.create !== false) out.push({ name, family: 'nginx-inc', isDefault: ic?.setAsDefaultIngress === true, source, chart: c });
    } else if (c.chart === 'ingress-nginx') {
      const r = v.controller?.ingressClassResource ?? {};
      if (r.enabled !== false) out.push({ name: r.name ?? 'nginx', family: 'ingress-nginx', isDefault: r.default === true, source, chart: c });
    } else if (c.chart === 'aws-load-balancer-controller') {
      if (v.createIngressClassResource !== false) out.push({ name: v.ingressClass ?? 'alb', family: 'alb', isDefault: v.ingressClassConfig?.default === true, source, chart: c });
    }
  }
  const objects: { obj: KubeObject; source: string }[] = ofKind(env, 'IngressClass').map((obj) => ({ obj, source: `IngressClass/_cluster/${obj.metadata.name}` }));
  for (const m of kubernetesManifests(env)) for (const obj of m.objects) if (obj.kind === 'IngressClass') objects.push({ obj, source: `manifest ${resourceId(m)}` });
  for (const { obj, source } of objects) {
    out.push({ name: obj.metadata.name, family: familyOfController(obj.spec?.controller), isDefault: obj.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true', source });
  }
  return out;
}

export function ingressClass(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const classes = installedClasses(env);
  const list = classes.map((c) => `${c.name} (${c.source})`).join(', ') || 'none';
  for (const { obj, object, fieldPrefix } of allIngresses(env)) {
    const ann = obj.metadata.annotations ?? {};
    const ns = obj.metadata.namespace ?? 'default';
    const who = `Ingress ${ns}/${obj.metadata.name}`;
    const named: string | undefined = obj.spec?.ingressClassName ?? ann['kubernetes.io/ingress.class'];
    const field = `${fieldPrefix}${obj.spec?.ingressClassName !== undefined || ann['kubernetes.io/ingress.class'] === undefined ? 'spec.ingressClassName' : 'metadata.annotations["kubernetes.io/ingress.class"]'}`;
    const cls = named !== undefined ? classes.find((c) => c.name === named) : classes.find((c) => c.isDefault);
    if (!cls) {
      out.push(f(RULE, object, field, named !== undefined ? `${who} uses IngressClass ${named}, which no chart or IngressClass object of the render installs (installed: ${list}): no controller serves it` : `${who} names no IngressClass and none is the default (installed: ${list}): no controller serves it`));
      continue;
    }
    if (cls.family) {
      for (const [family, prefix] of Object.entries(FAMILY_PREFIX)) {
        if (family === cls.family) continue;
        const foreign = Object.keys(ann).filter((k) => k.startsWith(prefix));
        if (foreign.length) out.push(f(RULE, object, `${fieldPrefix}metadata.annotations`, `${who} is served by ${cls.name} (${cls.source}) but carries ${foreign.join(', ')}, which only the ${family} controller reads: they are ignored`));
      }
    }
    if (!fieldPrefix) continue; // backends of rendered Ingresses are checked by references/ingress-backends
    const backends: { b: any; field: string }[] = [];
    if (obj.spec?.defaultBackend) backends.push({ b: obj.spec.defaultBackend, field: `${fieldPrefix}spec.defaultBackend` });
    (obj.spec?.rules ?? []).forEach((r: any, i: number) => (r.http?.paths ?? []).forEach((p: any, j: number) => backends.push({ b: p.backend, field: `${fieldPrefix}spec.rules[${i}].http.paths[${j}].backend` })));
    for (const { b, field: bf } of backends) {
      const s = b?.service;
      if (!s) continue;
      if (kubeIndex(env).get('Service', ns, s.name)) continue;
      const chart = helmCharts(env).find((c) => c.namespace === ns && (c.chart === 'nginx-ingress' || c.chart === 'ingress-nginx'));
      if (!chart) {
        out.push(f(RULE, object, `${bf}.service.name`, `${who} forwards to Service ${ns}/${s.name}, which is neither rendered nor created by an ingress controller chart of the templates in ${ns}`));
        continue;
      }
      const svc = controllerService(chart);
      const svcName = svc.name;
      const ports = [svc.httpPort, svc.httpsPort].filter((x) => x !== undefined);
      if (s.name !== svcName) out.push(f(RULE, object, `${bf}.service.name`, `${who} forwards to Service ${ns}/${s.name}, but chart ${chart.release} (${resourceId(chart)}) creates its controller Service as ${svcName}`));
      else if (s.port?.number !== undefined && !ports.includes(s.port.number)) out.push(f(RULE, object, `${bf}.service.port.number`, `${who} forwards to port ${s.port.number} of ${svcName}, which exposes ${ports.join(', ')}`));
    }
  }
  return out;
}
