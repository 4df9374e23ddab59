/**
 * `waf`: the public load balancer is protected by the web ACL the templates create.
 *
 * Ingresses are read from the YAML and from the manifests the cluster template applies
 * (`Custom::AWSCDK-EKS-KubernetesResource`, where the edge Ingress lives). For every Ingress with the annotation
 * `alb.ingress.kubernetes.io/wafv2-acl-arn`: the value resolves (a token through `Fn::ImportValue` and the export of
 * the edge stack, or a literal `arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>`) to an
 * `AWS::WAFv2::WebACL` of the templates with scope `REGIONAL`, in the templates' account and region. Every
 * internet-facing ALB Ingress (class `alb`, `alb.ingress.kubernetes.io/scheme: internet-facing`) carries the
 * annotation when the templates define a web ACL; and every regional web ACL is attached to some Ingress.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { hasToken, kubernetesManifests, resourceId, resourceOfToken, resources, resolveString, templatesAccount, templatesRegion, type CfnResource } from '../../cfn';
import { ofKind } from '../references/kube';
import { type MakeFinding } from '../../rule-set';

const RULE = 'waf';
const ANNOTATION = 'alb.ingress.kubernetes.io/wafv2-acl-arn';

/** Every Ingress the cluster gets: rendered YAML and template manifests, with how findings name it. */
export function allIngresses(env: RenderedEnvironment): { obj: KubeObject; object: string; fieldPrefix: string }[] {
  const out = ofKind(env, 'Ingress').map((obj) => ({ obj, object: objectId(obj), fieldPrefix: '' }));
  for (const m of kubernetesManifests(env)) {
    m.objects.forEach((obj, i) => {
      if (obj.kind === 'Ingress') out.push({ obj, object: resourceId(m), fieldPrefix: `Properties.Manifest[${i}].` });
    });
  }
  return out;
}

export function waf(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  const acls = resources(env, 'AWS::WAFv2::WebACL');
  const regional = acls.filter((a) => resolveString(env, a.stack, a.properties.Scope) === 'REGIONAL');
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  const attached = new Set<string>();
  for (const { obj, object, fieldPrefix } of allIngresses(env)) {
    const ann = obj.metadata.annotations ?? {};
    const value = ann[ANNOTATION];
    const field = `${fieldPrefix}metadata.annotations[${JSON.stringify(ANNOTATION)}]`;
    const name = `Ingress ${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
    if (value === undefined) {
      const cls = obj.spec?.ingressClassName ?? ann['kubernetes.io/ingress.class'];
      if (cls === 'alb' && ann['alb.ingress.kubernetes.io/scheme'] === 'internet-facing' && regional.length) {
        out.push(f(RULE, object, field, `${name} is an internet-facing ALB without ${ANNOTATION}: the web ACL ${regional.map(resourceId).join(', ')} of the templates does not protect it`));
      }
      continue;
    }
    let acl: CfnResource | undefined;
    const t = resourceOfToken(env, value);
    if (t) {
      if (t.type !== 'AWS::WAFv2::WebACL' || t.attribute !== 'Arn') {
        out.push(f(RULE, object, field, `${name} names ${resourceId(t)}.${t.attribute} (${t.type}) as its web ACL, not the Arn of an AWS::WAFv2::WebACL`));
        continue;
      }
      acl = t;
    } else if (hasToken(value)) {
      out.push(f(RULE, object, field, `${name}'s web ACL ${value} does not resolve to a resource of the templates (an import without an export?)`));
      continue;
    } else {
      const m = /^arn:aws[a-z-]*:wafv2:([a-z0-9-]+):(\d{12}):regional\/webacl\/([^/]+)\/[^/]+$/.exec(value);
      if (!m) {
        out.push(f(RULE, object, field, `${name}'s web ACL ${value} is not a regional WAFv2 web ACL ARN`));
        continue;
      }
      if ((region && m[1] !== region) || (account && m[2] !== account)) out.push(f(RULE, object, field, `${name}'s web ACL is in ${m[1]}/${m[2]}, but the load balancer is in ${region}/${account}`));
      acl = acls.find((a) => resolveString(env, a.stack, a.properties.Name) === m[3]);
      if (!acl) {
        out.push(f(RULE, object, field, `${name}'s web ACL ${m[3]} is no AWS::WAFv2::WebACL Name of the templates (${acls.map((a) => resolveString(env, a.stack, a.properties.Name)).join(', ') || 'none'})`));
        continue;
      }
    }
    const scope = resolveString(env, acl.stack, acl.properties.Scope);
    if (scope !== 'REGIONAL') out.push(f(RULE, object, field, `${name}'s web ACL ${resourceId(acl)} has scope ${scope}: an ALB needs a REGIONAL web ACL`));
    attached.add(resourceId(acl));
  }
  for (const a of regional) {
    if (!attached.has(resourceId(a))) {
      out.push(f(RULE, resourceId(a), 'Properties.Name', `web ACL ${resolveString(env, a.stack, a.properties.Name)} is attached to no Ingress (no ${ANNOTATION} resolves to it): the edge is unprotected`));
    }
  }
  return out;
}
