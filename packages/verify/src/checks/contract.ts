/**
 * `contract`: the CloudFormation templates and the Kubernetes YAML of one environment fit together — what the YAML
 * expects from AWS exists in the templates, and what the templates grant the cluster is what the YAML uses. It reads
 * only the rendered files (dist/), through `../cfn` for the templates.
 *
 * Rules (each in `./contract/`):
 * - `workload-identity`  Pod Identity associations ↔ service accounts and the pods that need AWS.
 * - `controller-iam`     each controller's role covers the IAM policy its project publishes for the installed version.
 * - `external-secrets`   ExternalSecret keys ↔ Secrets Manager secrets, store region, the reader's IAM policy.
 * - `backup-target`      pgBackRest / aws CLI backup bucket, prefix, region, KMS key ↔ bucket, alias, backup role.
 * - `waf`                the edge Ingress's web ACL ↔ the WAFv2 web ACL of the edge stack.
 * - `waf-limits`         the WAF and NGINX body limits agree; the auth paths have a WAF rate rule.
 * - `storage-class`      the default StorageClass ↔ EBS CSI add-on, encryption alias, EBS CSI role.
 * - `cluster-identity`   cluster name / region / account used in YAML and chart values ↔ the EKS cluster and stacks.
 * - `ingress-class`      the Ingresses' classes ↔ the ingress controller charts the cluster template installs.
 * - `dns-records`        every public host is published by external-dns into a zone its role may write.
 * - `edge-path`          ALB → NGINX as the controllers behave: the TLS hop, redirect loop, HTTPS/HSTS, scaled rate limits.
 */
import type { VerifyCheck } from '../types';
import { backupTarget } from './contract/backup-target';
import { clusterIdentity } from './contract/cluster-identity';
import { controllerIam } from './contract/controller-iam';
import { dnsRecords } from './contract/dns-records';
import { edgePath } from './contract/edge-path';
import { externalSecrets } from './contract/external-secrets';
import { ingressClass } from './contract/ingress-class';
import { storageClass } from './contract/storage-class';
import { waf } from './contract/waf';
import { wafLimits } from './contract/waf-limits';
import { workloadIdentity } from './contract/workload-identity';
import { ruleSetCheck, type Rule } from '../rule-set';

/** The rules in the order they run, by name. */
export const CONTRACT_RULES: Readonly<Record<string, Rule>> = {
  'workload-identity': workloadIdentity,
  'controller-iam': controllerIam,
  'external-secrets': externalSecrets,
  'backup-target': backupTarget,
  waf,
  'waf-limits': wafLimits,
  'storage-class': storageClass,
  'cluster-identity': clusterIdentity,
  'ingress-class': ingressClass,
  'edge-path': edgePath,
  'dns-records': dnsRecords,
};

export const contractCheck: VerifyCheck = ruleSetCheck('contract', 'The CloudFormation templates and the Kubernetes YAML fit together: workload identities, External Secrets, backup bucket and keys, WAF, storage encryption, cluster name/region/account and ingress classes.', CONTRACT_RULES);
