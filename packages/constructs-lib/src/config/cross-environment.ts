/**
 * Rules across environments: what two environments may not share. Each is a real collision: two Ingresses for one
 * host (external-dns and cert-manager fight over its record and certificate), overlapping VPCs in one account and
 * region (peering, Transit Gateway and the VPN routes cannot tell them apart), one log index written by two
 * environments, and the account's single GitHub OIDC identity provider created by two stacks (IAM allows one per
 * URL and account: the second stack fails to create it).
 */
import { cidrsOverlap, parseCidr } from '../util/cidr';
import type { EnvironmentConfig } from './schema';

/** A rule broken between two environments, reported on `environment` and naming the other. */
export interface CrossEnvironmentViolation {
  readonly environment: string;
  readonly field: string;
  readonly message: string;
}

export function crossEnvironmentViolations(configs: readonly EnvironmentConfig[]): CrossEnvironmentViolation[] {
  const out: CrossEnvironmentViolation[] = [];
  const pairs = configs.flatMap((a, i) => configs.slice(i + 1).map((b) => [a, b] as const));
  for (const [a, b] of pairs) {
    // Reported on the later environment of the index (the one most likely copied), naming the other in the message.
    const both = (field: string, message: string) => out.push({ environment: b.name, field, message });
    for (const ka of ['appHost', 'apiHost'] as const) {
      for (const kb of ['appHost', 'apiHost'] as const) {
        if (a.ingress[ka] === b.ingress[kb]) both(`ingress.${kb}`, `host ${b.ingress[kb]} is environment '${a.name}'s ingress.${ka} too: two environments cannot serve one host (one DNS record, one certificate)`);
      }
    }
    if (a.account === b.account && a.region === b.region) {
      const ra = parseCidr(a.network.vpcCidr);
      const rb = parseCidr(b.network.vpcCidr);
      if (typeof ra !== 'string' && typeof rb !== 'string' && cidrsOverlap(ra, rb)) {
        both('network.vpcCidr', `${b.network.vpcCidr} overlaps environment '${a.name}'s VPC ${a.network.vpcCidr} in the same account ${b.account} and region ${b.region}`);
      }
    }
    if (a.monitoring.logging.host === b.monitoring.logging.host && a.monitoring.logging.index === b.monitoring.logging.index) {
      both('monitoring.logging.index', `index ${b.monitoring.logging.index} on ${b.monitoring.logging.host} is environment '${a.name}'s log index too: give each environment its own`);
    }
    if (a.account === b.account && a.delivery.createOidcProvider && b.delivery.createOidcProvider) {
      both('delivery.createOidcProvider', `environments '${a.name}' and '${b.name}' both create the GitHub OIDC identity provider of account ${b.account}: IAM allows one per URL and account; set it false in all but one`);
    }
  }
  return out;
}
