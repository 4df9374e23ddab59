import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/** Namespace labels that opt a namespace into Istio sidecar injection. */
export const ISTIO_INJECTION_LABELS = { 'istio-injection': 'enabled' } as const;

/** Strict mTLS for every workload of a namespace (rendered only when the mesh flag is on). */
export class StrictMtls extends Construct {
  constructor(scope: Construct, id: string, props: { readonly namespace: string; readonly labels: Record<string, string> }) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: props.namespace, labels: props.labels },
      spec: { mtls: { mode: 'STRICT' } },
    });
  }
}
