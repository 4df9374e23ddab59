import { ENVIRONMENT_INPUTS } from '@optibid/constructs-lib';
import { buildEnvironment, helmValues, resourcesOf } from './support';

/**
 * external-dns as the stacks install it: one environment's zone, ALB Ingresses only, an owner id per environment,
 * never deleting records in production; the edge Ingress names the public hosts it publishes.
 */
describe.each(ENVIRONMENT_INPUTS.map((e) => e.name))('%s', (envName) => {
  const { config, names, templates } = buildEnvironment(envName);
  const chart = resourcesOf(templates.cluster, 'Custom::AWSCDK-EKS-HelmChart').find(([, r]) => r.Properties.Chart === 'external-dns');

  test('external-dns writes only this environment\'s zone, from ALB Ingresses, as owner optibid-<env>', () => {
    expect(chart).toBeDefined();
    const values = helmValues(chart![1].Properties);
    expect(chart![1].Properties.Namespace).toBe('external-dns');
    expect(values.txtOwnerId).toBe(`optibid-${envName}`);
    expect(values.policy).toBe(config.tier === 'production' ? 'upsert-only' : 'sync');
    expect(values.domainFilters).toEqual([config.ingress.dnsZone.name]);
    expect(values.extraArgs).toEqual(expect.arrayContaining(['--ingress-class=alb', `--zone-id-filter=${config.ingress.dnsZone.hostedZoneId}`]));
    expect(values.serviceAccount).toEqual({ create: true, name: names.identities.externalDns.serviceAccount });
  });

  test('the edge Ingress names the app and API hosts for external-dns', () => {
    const [, edge] = resourcesOf(templates.cluster, 'Custom::AWSCDK-EKS-KubernetesResource').find(([id]) => id.startsWith('EdgeIngress'))!;
    const text = JSON.stringify(edge.Properties.Manifest);
    expect(text).toContain(`external-dns.alpha.kubernetes.io/hostname\\":\\"${config.ingress.appHost},${config.ingress.apiHost}`);
    expect(text).toContain('alb.ingress.kubernetes.io/backend-protocol\\":\\"HTTP\\"');
  });
});
