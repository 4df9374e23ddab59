import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { MANAGED_ADDON_VERSIONS, MANAGED_ADDONS, ManagedAddonName } from '../../versions/charts';

export interface ManagedAddonsProps {
  readonly cluster: eks.ICluster;
  /** Control-plane minor; selects the add-on versions from the version table. */
  readonly kubernetesVersion: string;
}

/**
 * Add-on configuration. The VPC CNI only enforces NetworkPolicies when its network-policy agent is on: without this
 * every policy in dist/k8s would be accepted by the API server and silently ignored.
 */
export const ADDON_CONFIGURATION: Partial<Record<ManagedAddonName, Record<string, unknown>>> = {
  'vpc-cni': { enableNetworkPolicy: 'true' },
};

/** Add-ons nodes need before they can turn Ready (networking and the Pod Identity agent). */
export const NODE_PREREQUISITE_ADDONS: readonly ManagedAddonName[] = ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent'];

/**
 * The EKS managed add-ons, each pinned to the version table's build for the control-plane minor. EKS, not Helm,
 * upgrades them; `preserveOnDelete` keeps networking alive if the stack is ever torn down by mistake.
 */
export class ManagedAddons extends Construct {
  readonly addons: Readonly<Record<ManagedAddonName, eks.Addon>>;

  constructor(scope: Construct, id: string, props: ManagedAddonsProps) {
    super(scope, id);
    const versions = MANAGED_ADDON_VERSIONS[props.kubernetesVersion];
    if (!versions) throw new Error(`No managed add-on versions for Kubernetes ${props.kubernetesVersion} in the version table`);
    const addons = {} as Record<ManagedAddonName, eks.Addon>;
    for (const name of MANAGED_ADDONS) {
      addons[name] = new eks.Addon(this, name, {
        cluster: props.cluster,
        addonName: name,
        addonVersion: versions[name],
        preserveOnDelete: true,
        configurationValues: ADDON_CONFIGURATION[name],
      });
    }
    this.addons = addons;
  }
}
