import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface NamespaceCaProps {
  /** Prefix of the issuer and CA names (e.g. `data` -> `data-ca`). */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

export interface TlsCertificateRequest {
  readonly name: string;
  readonly dnsNames?: readonly string[];
  readonly commonName?: string;
  readonly usages: readonly ('server auth' | 'client auth')[];
}

/**
 * A private CA for one namespace (cert-manager: self-signed root -> CA Issuer) for in-cluster TLS: PostgreSQL and
 * PgBouncer server certificates and the pgBackRest mutual-TLS pair. Certificates renew automatically.
 */
export class NamespaceCa extends Construct {
  readonly issuerName: string;
  private readonly props: NamespaceCaProps;

  constructor(scope: Construct, id: string, props: NamespaceCaProps) {
    super(scope, id);
    this.props = props;
    const meta = (name: string) => ({ name, namespace: props.namespace, labels: props.labels });
    const root = `${props.name}-ca-root`;
    this.issuerName = `${props.name}-ca`;
    new ApiObject(this, 'SelfSigned', { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(root), spec: { selfSigned: {} } });
    new ApiObject(this, 'CaCert', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta(this.issuerName),
      spec: {
        isCA: true,
        commonName: `${props.namespace} ${props.name} CA`,
        secretName: this.issuerName,
        duration: '87600h',
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: { kind: 'Issuer', name: root, group: 'cert-manager.io' },
      },
    });
    new ApiObject(this, 'CaIssuer', { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(this.issuerName), spec: { ca: { secretName: this.issuerName } } });
  }

  /** A certificate from this CA, in a Secret of the same name (tls.crt, tls.key, ca.crt). */
  certificate(id: string, req: TlsCertificateRequest): string {
    new ApiObject(this, id, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: req.name, namespace: this.props.namespace, labels: this.props.labels },
      spec: {
        secretName: req.name,
        ...(req.commonName ? { commonName: req.commonName } : {}),
        ...(req.dnsNames ? { dnsNames: [...req.dnsNames] } : {}),
        usages: ['digital signature', 'key encipherment', ...req.usages],
        duration: '2160h',
        renewBefore: '360h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { kind: 'Issuer', name: this.issuerName, group: 'cert-manager.io' },
      },
    });
    return req.name;
  }
}
