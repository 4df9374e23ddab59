import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { PlatformNames, PlatformSecretKey } from '../naming/naming';

/** One key of a Kubernetes Secret, read from a property of a Secrets Manager secret. */
export interface SecretKeyRef {
  /** Key in the Kubernetes Secret (often the environment variable name). */
  readonly key: string;
  /** The platform secret (naming module key) to read. */
  readonly from: PlatformSecretKey;
  /** JSON property of the Secrets Manager value. */
  readonly property: string;
}

export interface PlatformExternalSecretProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The naming module's names: the ClusterSecretStore and the Secrets Manager secret names. */
  readonly names: Pick<PlatformNames, 'externalSecrets' | 'secrets'>;
  readonly keys: readonly SecretKeyRef[];
  /**
   * Files or values rendered in the cluster from the keys (External Secrets template, `{{ .<key> }}` placeholders);
   * the Secret then holds these instead of the raw keys.
   * @default none (the Secret holds the keys)
   */
  readonly template?: Readonly<Record<string, string>>;
  /**
   * How often External Secrets re-reads Secrets Manager (a rotated value reaches the pods within this time).
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

/**
 * An ExternalSecret: the only way a credential reaches a pod. The Kubernetes Secret it creates is owned by it; the
 * value never appears in git or dist/.
 */
export class PlatformExternalSecret extends Construct {
  constructor(scope: Construct, id: string, props: PlatformExternalSecretProps) {
    super(scope, id);
    // A key naming no platform secret is a mistake in the code that builds this ExternalSecret: say which.
    const unknown = props.keys.filter((k) => !(k.from in props.names.secrets));
    if (unknown.length) {
      throw new Error(
        `ExternalSecret ${props.namespace}/${props.name}: ${unknown.map((k) => `key ${k.key} reads secret '${k.from}'`).join(', ')}, which is not a platform secret ` +
          `(PLATFORM_SECRETS: ${Object.keys(props.names.secrets).join(', ')}); add it to the services table or OTHER_SECRETS in naming/naming.ts`,
      );
    }
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        refreshInterval: props.refreshInterval ?? '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: props.names.externalSecrets.clusterSecretStore },
        target: {
          name: props.name,
          creationPolicy: 'Owner',
          deletionPolicy: 'Retain',
          ...(props.template ? { template: { engineVersion: 'v2', data: props.template } } : {}),
        },
        data: props.keys.map((k) => ({
          secretKey: k.key,
          remoteRef: { key: props.names.secrets[k.from].name, property: k.property },
        })),
      },
    });
  }
}

export interface ClusterSecretStoreProps {
  readonly name: string;
  readonly region: string;
  readonly labels: Record<string, string>;
  /** Namespaces allowed to read through this store. */
  readonly namespaces: readonly string[];
}

/**
 * The ClusterSecretStore on AWS Secrets Manager. No `auth` block: the controller's credentials come from its EKS Pod
 * Identity association, whose role may read only the platform's secrets. Limited to the platform's namespaces.
 */
export class AwsClusterSecretStore extends Construct {
  constructor(scope: Construct, id: string, props: ClusterSecretStoreProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: props.name, labels: props.labels },
      spec: {
        provider: { aws: { service: 'SecretsManager', region: props.region } },
        conditions: [{ namespaces: [...props.namespaces] }],
      },
    });
  }
}
