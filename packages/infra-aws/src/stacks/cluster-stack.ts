import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  addAwsLoadBalancerController,
  addCertManager,
  addClusterAutoscaler,
  addExternalDns,
  addExternalSecrets,
  addMetricsServer,
  addNginxIngress,
  backupPermissions,
  certManagerPermissions,
  clusterAutoscalerPermissions,
  ebsCsiDriverPermissions,
  EdgeIngress,
  GithubDeployRole,
  externalDnsPermissions,
  externalSecretsPermissions,
  loadBalancerControllerPermissions,
  ManagedAddons,
  NODE_PREREQUISITE_ADDONS,
  PlatformCluster,
  PlatformKey,
  PlatformNodeGroup,
  WorkloadIdentity,
  WorkloadPermissions,
} from '@optibid/constructs-lib/aws';
import type { WorkloadIdentityKey } from '@optibid/constructs-lib';
import type { PlatformStackProps } from './stack-props';

export interface ClusterStackProps extends PlatformStackProps {
  readonly vpc: ec2.IVpc;
  readonly backupKey: kms.IKey;
  readonly webAclArn: string;
}

/**
 * The EKS cluster and everything CDK installs into it: node groups, managed add-ons, workload identities, the
 * pinned Helm charts (whose CRDs must exist before CI applies dist/k8s) and the edge Ingress.
 */
export class ClusterStack extends Stack {
  readonly cluster: eks.Cluster;
  readonly identities: Readonly<Record<WorkloadIdentityKey, WorkloadIdentity>>;
  /** The role GitHub Actions deploys this environment with. */
  readonly deployRole: iam.IRole;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config, names, vpc } = props;
    const platform = new PlatformCluster(this, 'Eks', { config, names, vpc });
    const cluster = (this.cluster = platform.cluster);

    // Key for PersistentVolumes: the StorageClass names it by alias ARN (naming module), the EBS CSI role may use it.
    const ebsKey = new PlatformKey(this, 'EbsKey', { alias: names.kms.ebs, description: `${names.clusterName} EBS volumes (PersistentVolumes)` }).key;

    const addons = new ManagedAddons(this, 'Addons', { cluster, kubernetesVersion: config.cluster.kubernetesVersion });

    const nodeGroups = config.cluster.nodeGroups.map(
      (group) =>
        new PlatformNodeGroup(this, `NodeGroup-${group.name}`, {
          cluster,
          names,
          group,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        }),
    );
    for (const ng of nodeGroups) {
      for (const a of NODE_PREREQUISITE_ADDONS) ng.nodegroup.node.addDependency(addons.addons[a]);
    }
    // CoreDNS and the EBS CSI controller are Deployments: they need nodes to schedule on.
    for (const a of ['coredns', 'aws-ebs-csi-driver'] as const) {
      for (const ng of nodeGroups) addons.addons[a].node.addDependency(ng.nodegroup);
    }

    // IRSA identities (naming: IRSA_IDENTITY_KEYS) are trusted by the cluster's IAM OIDC provider: aws-eks-v2 creates
    // it on first access (AWS::IAM::OIDCProvider, feature flag useNativeOidcProvider), client id sts.amazonaws.com.
    const needsOidc = Object.values(names.identities).some((i) => i.credentials === 'irsa');
    const oidcProvider = needsOidc ? cluster.openIdConnectProvider : undefined;
    const identity = (key: WorkloadIdentityKey, description: string, permissions: WorkloadPermissions) =>
      new WorkloadIdentity(this, `Identity-${key}`, {
        identity: names.identities[key],
        clusterName: cluster.clusterName,
        clusterArn: names.clusterArn,
        account: config.account,
        permissions,
        description,
        ...(oidcProvider ? { oidcProvider } : {}),
      });
    this.identities = {
      backup: identity('backup', 'PostgreSQL (pgBackRest) and Redis backups to the backup bucket', backupPermissions(names, props.backupKey.keyArn)),
      postgres: identity('postgres', 'PostgreSQL pods: WAL archiving and replica restore (pgBackRest)', backupPermissions(names, props.backupKey.keyArn)),
      externalSecrets: identity('externalSecrets', 'External Secrets Operator: read the platform secrets', externalSecretsPermissions(names)),
      clusterAutoscaler: identity('clusterAutoscaler', 'Cluster autoscaler: scale this cluster node groups', clusterAutoscalerPermissions(names)),
      loadBalancerController: identity('loadBalancerController', 'AWS Load Balancer Controller', loadBalancerControllerPermissions()),
      ebsCsiDriver: identity('ebsCsiDriver', 'EBS CSI driver: volumes and the EBS key', ebsCsiDriverPermissions(ebsKey.keyArn)),
      certManager: identity('certManager', 'cert-manager: DNS-01 challenges in the environment hosted zone', certManagerPermissions(config.ingress.dnsZone.hostedZoneId)),
      externalDns: identity('externalDns', 'external-dns: records of the public hosts in the environment hosted zone', externalDnsPermissions(config.ingress.dnsZone.hostedZoneId)),
    };
    addons.addons['aws-ebs-csi-driver'].node.addDependency(this.identities.ebsCsiDriver);

    // Charts: after the nodes and the Pod Identity agent; each after its identity so it starts with credentials.
    const lbc = addAwsLoadBalancerController(this, cluster, config, names, vpc.vpcId);
    const charts = {
      lbc,
      certManager: addCertManager(this, cluster, config, names),
      externalSecrets: addExternalSecrets(this, cluster, config, names),
      clusterAutoscaler: addClusterAutoscaler(this, cluster, config, names),
      metricsServer: addMetricsServer(this, cluster, config, names),
      externalDns: addExternalDns(this, cluster, config, names),
      nginx: addNginxIngress(this, cluster, config, names),
    };
    for (const chart of Object.values(charts)) {
      for (const ng of nodeGroups) chart.node.addDependency(ng.nodegroup);
      chart.node.addDependency(addons.addons['coredns']);
    }
    lbc.node.addDependency(this.identities.loadBalancerController);
    charts.externalSecrets.node.addDependency(this.identities.externalSecrets);
    charts.clusterAutoscaler.node.addDependency(this.identities.clusterAutoscaler);
    charts.certManager.node.addDependency(this.identities.certManager);
    charts.externalDns.node.addDependency(this.identities.externalDns);
    // The LBC webhook must answer before any Service or Ingress is created.
    charts.nginx.node.addDependency(lbc);

    const edge = new EdgeIngress(this, 'EdgeIngress', { cluster, config, names, webAclArn: props.webAclArn });
    edge.node.addDependency(charts.nginx);

    // CI's deploy role (GitHub OIDC): cluster admin, since an apply creates namespaces, ClusterRoles and CRD objects.
    this.deployRole = new GithubDeployRole(this, 'GithubDeploy', { names, createOidcProvider: config.delivery.createOidcProvider }).role;
    platform.accessEntry('DeployAccess', this.deployRole, 'AmazonEKSClusterAdminPolicy', names.access.deployGroup);
  }
}
