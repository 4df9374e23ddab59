/** The printed cost table and cost.md. */
import * as P from '../../data/prices-us-west-2';
import { markdownTable, textTable, type Align } from '../capacity/format';
import { USAGE_ASSUMPTIONS, type CostModel } from './lines';

const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function costHeader(m: CostModel): string {
  return `Cost — ${m.env}: ${P.REGION}, USD per month (${P.HOURS_PER_MONTH} h). List prices on ${P.PRICES_CHECKED} (public on-demand, no discounts or tax): must be re-checked before use. * = usage assumption.`;
}

function rows(m: CostModel): { headers: string[]; body: string[][]; align: Align[] } {
  const nodes = (n: number) => `${n} node${n === 1 ? '' : 's'}`;
  const headers = ['Line item', `Minimum scale (${nodes(m.nodes.min)})`, 'Monthly', `Maximum scale (${nodes(m.nodes.max)})`, 'Monthly'];
  const body = m.lines.map((l) => [`${l.assumption ? '* ' : ''}${l.item}`, l.detail.min, usd(l.usd.min), l.detail.max, usd(l.usd.max)]);
  body.push(['Total', '', usd(m.total.min), '', usd(m.total.max)]);
  return { headers, body, align: ['l', 'r', 'r', 'r', 'r'] };
}

export function costSummary(m: CostModel): string {
  const r = rows(m);
  return [costHeader(m), textTable(r.headers, r.body, r.align), ...m.notes.map((n) => `  note: ${n}`)].join('\n');
}

export const SOURCES: readonly string[] = [
  'EC2 on-demand (Linux): https://aws.amazon.com/ec2/pricing/on-demand/',
  'EKS (standard 0.10/h, extended support 0.60/h per cluster): https://aws.amazon.com/eks/pricing/',
  'NAT gateway, public IPv4: https://aws.amazon.com/vpc/pricing/',
  'Interface endpoints: https://aws.amazon.com/privatelink/pricing/',
  'EBS: https://aws.amazon.com/ebs/pricing/',
  'Load balancers: https://aws.amazon.com/elasticloadbalancing/pricing/',
  'S3: https://aws.amazon.com/s3/pricing/',
  'Secrets Manager: https://aws.amazon.com/secrets-manager/pricing/',
  'KMS: https://aws.amazon.com/kms/pricing/',
  'WAF: https://aws.amazon.com/waf/pricing/',
  'CloudWatch Logs: https://aws.amazon.com/cloudwatch/pricing/',
  'EKS support calendar: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html',
];

export const COUNTING: readonly string[] = [
  'Minimum scale: every node group at MinSize. Maximum scale: the groups grown in turn towards MaxSize until the cluster-autoscaler --max-nodes-total is reached (the capacity check\'s scenarios (a) and (b)). A month is 730 hours.',
  'Counted from the render: node groups (instance type, node count, launch-template root volume), EKS cluster version (standard or extended support on the price date), NAT gateways, Elastic IPs, interface endpoints × their subnets, ALBs (one per ingress group or ungrouped Ingress of the ALB class, the edge Ingress CDK applies included), WAF web ACLs and their rules, KMS keys, Secrets Manager secrets, persistent volumes (StatefulSet volumeClaimTemplates × replicas, PersistentVolumeClaims) priced by their StorageClass type.',
  'Not included: data transfer out to the internet and between AZs, EBS snapshots, S3 requests and the access-log bucket, KMS and Secrets Manager API requests, CloudWatch Logs storage and metrics, ECR storage, Route 53, ACM (free for public certificates), support plans, tax.',
];

export function costMarkdown(m: CostModel): string {
  const r = rows(m);
  const a = USAGE_ASSUMPTIONS;
  return [
    `# Cost — ${m.env}`,
    '',
    `Region ${P.REGION}, USD per month (${P.HOURS_PER_MONTH} hours). **List prices on ${P.PRICES_CHECKED}** (AWS public on-demand prices, no Savings Plans, Reserved Instances, Spot or tax): **re-check them before relying on a total.** Lines marked * rest on the usage assumptions below.`,
    '',
    markdownTable(r.headers, r.body, r.align),
    '',
    ...(m.notes.length ? ['## Notes', '', ...m.notes.map((n) => `- ${n}`), ''] : []),
    '## What the lines are made of',
    '',
    ...m.details.map((d) => `- ${d}`),
    '',
    ...(m.findings.length ? ['## Missing inputs', '', ...m.findings.map((f) => `- **${f.rule}** \`${f.object}\` \`${f.field ?? ''}\`: ${f.message}`), ''] : []),
    '## Usage assumptions (src/checks/cost/lines.ts, USAGE_ASSUMPTIONS)',
    '',
    `- NAT gateway data processed: ${a.natGbPerNodeMonth} GB per node-month.`,
    `- Interface endpoint data processed: ${a.interfaceEndpointGbPerNodeMonth} GB per node-month.`,
    `- ALB: ${a.albLcuPerNode} LCU per node on average, at least 1 per ALB; NLB: ${a.nlbLcuPerNode} NLCU per node, at least 1.`,
    `- WAF: ${a.wafMillionRequestsPerNodeMonth} million requests per node-month per web ACL; WAF logs ${a.wafLogGbPerMillionRequests} GB per million requests.`,
    `- VPC flow logs ${a.flowLogGbPerNodeMonth} GB per node-month; EKS control-plane logs ${a.controlPlaneLogGbPerTypeMonth} GB per enabled log type per month.`,
    `- S3 backups: ${a.backupStorageFactor} × the database volume (full + differential backups + WAL), S3 Standard.`,
    '',
    '## How resources are counted',
    '',
    ...COUNTING.map((x) => `- ${x}`),
    '',
    `## Sources (prices as of ${P.PRICES_CHECKED})`,
    '',
    ...SOURCES.map((x) => `- ${x}`),
    '',
  ].join('\n');
}
