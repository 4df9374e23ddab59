/**
 * AWS public on-demand list prices for us-west-2 (US West, Oregon), in USD, as transcribed on PRICES_CHECKED.
 * No discounts (Savings Plans, Reserved Instances, Spot, free tier, private pricing) and no tax. Prices change:
 * re-check every figure against the pages below before relying on a total, and move PRICES_CHECKED with them.
 *
 * Sources:
 * - EC2 on-demand, Linux: https://aws.amazon.com/ec2/pricing/on-demand/
 * - EKS control plane (standard and extended support): https://aws.amazon.com/eks/pricing/
 * - NAT gateway, public IPv4 addresses: https://aws.amazon.com/vpc/pricing/
 * - VPC interface endpoints (PrivateLink): https://aws.amazon.com/privatelink/pricing/
 * - EBS volumes: https://aws.amazon.com/ebs/pricing/
 * - Application / Network Load Balancer: https://aws.amazon.com/elasticloadbalancing/pricing/
 * - S3 Standard storage: https://aws.amazon.com/s3/pricing/
 * - Secrets Manager: https://aws.amazon.com/secrets-manager/pricing/
 * - KMS: https://aws.amazon.com/kms/pricing/
 * - WAF: https://aws.amazon.com/waf/pricing/
 * - CloudWatch Logs: https://aws.amazon.com/cloudwatch/pricing/
 */

/** The date the figures below were taken from the price pages (also the date the EKS support tier is judged on). */
export const PRICES_CHECKED = '2026-11-26';

export const REGION = 'us-west-2';

/** Hours in a month for monthly figures (AWS's own convention: 8760 / 12). */
export const HOURS_PER_MONTH = 730;

/** EC2 on-demand Linux, USD per instance-hour. */
export const EC2_ON_DEMAND_PER_HOUR: Readonly<Record<string, number>> = {
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm5.4xlarge': 0.768,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6i.2xlarge': 0.384,
  'm7i.large': 0.1008,
  'm7i.xlarge': 0.2016,
  'm7i.2xlarge': 0.4032,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c6i.xlarge': 0.17,
  'c6i.2xlarge': 0.34,
  'r5.xlarge': 0.252,
  'r5.2xlarge': 0.504,
  'r6i.xlarge': 0.252,
  'r6i.2xlarge': 0.504,
};

/** EKS control plane, USD per cluster-hour. */
export const EKS_CLUSTER_PER_HOUR = { standard: 0.1, extended: 0.6 } as const;

/** NAT gateway: per gateway-hour and per GB processed. */
export const NAT_GATEWAY_PER_HOUR = 0.045;
export const NAT_GATEWAY_PER_GB = 0.045;

/** Public IPv4 address (Elastic IP or service-managed, in use or idle), per address-hour. */
export const PUBLIC_IPV4_PER_HOUR = 0.005;

/** VPC interface endpoint: per endpoint per AZ per hour, and per GB processed (first PB tier). */
export const INTERFACE_ENDPOINT_PER_AZ_HOUR = 0.01;
export const INTERFACE_ENDPOINT_PER_GB = 0.01;

/** EBS, per GB-month of provisioned storage, by volume type. */
export const EBS_PER_GB_MONTH: Readonly<Record<string, number>> = { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 };
/** gp3 above its free baseline (3000 IOPS, 125 MB/s): per provisioned IOPS-month and per MB/s-month. */
export const EBS_GP3_BASELINE = { iops: 3000, throughputMBps: 125 } as const;
export const EBS_GP3_IOPS_PER_MONTH = 0.005;
export const EBS_GP3_THROUGHPUT_PER_MBPS_MONTH = 0.04;
/** io1/io2 provisioned IOPS, per IOPS-month (io2 first tier). */
export const EBS_PIOPS_PER_MONTH = 0.065;

/** Application Load Balancer: per ALB-hour and per LCU-hour. */
export const ALB_PER_HOUR = 0.0225;
export const ALB_PER_LCU_HOUR = 0.008;
/** Network Load Balancer: per NLB-hour and per NLCU-hour. */
export const NLB_PER_HOUR = 0.0225;
export const NLB_PER_NLCU_HOUR = 0.006;

/** S3 Standard, per GB-month (first 50 TB). */
export const S3_STANDARD_PER_GB_MONTH = 0.023;

/** Secrets Manager, per secret-month. */
export const SECRET_PER_MONTH = 0.4;

/** KMS customer managed key, per key-month (each of the first two rotations adds 1.00/month later on). */
export const KMS_KEY_PER_MONTH = 1.0;

/** WAF: per web ACL-month, per rule-month (a managed rule group counts as one rule), per million requests. */
export const WAF_WEB_ACL_PER_MONTH = 5.0;
export const WAF_RULE_PER_MONTH = 1.0;
export const WAF_PER_MILLION_REQUESTS = 0.6;

/** CloudWatch Logs ingestion, per GB (standard class; vended logs such as flow logs start at the same rate). */
export const CLOUDWATCH_LOGS_INGEST_PER_GB = 0.5;
