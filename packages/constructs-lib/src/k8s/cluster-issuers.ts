import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface AcmeClusterIssuersProps {
  /** Issuer name -> ACME directory URL (naming module). */
  readonly issuers: Readonly<Record<string, string>>;
  readonly email: string;
  readonly region: string;
  /** Route 53 zone the DNS-01 challenge records go into. */
  readonly hostedZoneId: string;
  readonly dnsZone: string;
  readonly labels: Record<string, string>;
}

/**
 * Let's Encrypt ClusterIssuers (staging and production) answering DNS-01 challenges in Route 53, with credentials
 * from cert-manager's Pod Identity association (so challenges work behind the ALB and need no open HTTP path).
 */
export class AcmeClusterIssuers extends Construct {
  constructor(scope: Construct, id: string, props: AcmeClusterIssuersProps) {
    super(scope, id);
    for (const [name, server] of Object.entries(props.issuers)) {
      new ApiObject(this, name, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name, labels: props.labels },
        spec: {
          acme: {
            server,
            email: props.email,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers: [{ selector: { dnsZones: [props.dnsZone] }, dns01: { route53: { region: props.region, hostedZoneID: props.hostedZoneId } } }],
          },
        },
      });
    }
  }
}

export interface TlsCertificateProps {
  readonly name: string;
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  readonly issuer: string;
  readonly labels: Record<string, string>;
}

/** A cert-manager Certificate for the application hosts: ECDSA P-256, a fresh key on every renewal. */
export class TlsCertificate extends Construct {
  constructor(scope: Construct, id: string, props: TlsCertificateProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        secretName: props.secretName,
        dnsNames: [...props.dnsNames],
        issuerRef: { kind: 'ClusterIssuer', name: props.issuer, group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        duration: '2160h',
        renewBefore: '720h',
      },
    });
  }
}
