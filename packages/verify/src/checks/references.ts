/**
 * `references`: the rendered Kubernetes objects point at each other correctly — selectors select pods, ports exist,
 * HPAs, Ingresses, NetworkPolicy peers and pod references resolve, and every alert's job is scraped. It reads the
 * YAML; the only CloudFormation it reads is which charts and add-ons the cluster template installs (their
 * namespaces and pod labels, for NetworkPolicy peers).
 *
 * Rules (each in `./references/`):
 * - `selector-matches`  Services, PDBs, NetworkPolicies and HPA targets select at least one pod template.
 * - `ports-exist`       Service targetPorts and probe ports are declared container ports.
 * - `hpa-target`        HPA scaleTargetRef names a rendered Deployment/StatefulSet.
 * - `pod-references`    ConfigMaps, Secrets (and keys), ServiceAccounts, PVCs, PriorityClasses, StorageClasses exist.
 * - `network-peers`     NetworkPolicy namespace/pod selectors match something.
 * - `ingress-backends`  Ingress backends name a Service and one of its ports; TLS secrets are produced.
 * - `scrape-targets`    every job a Prometheus rule selects is produced by the Prometheus configuration.
 */
import type { VerifyCheck } from '../types';
import { ruleSetCheck, type Rule } from '../rule-set';
import { ingressBackends, networkPeers } from './references/network';
import { podReferences } from './references/pod-refs';
import { portsExist } from './references/ports';
import { scrapeTargetsRule } from './references/prometheus';
import { hpaTarget, selectorMatches } from './references/selectors';

/** The rules in the order they run, by name. */
export const REFERENCE_RULES: Readonly<Record<string, Rule>> = {
  'selector-matches': selectorMatches,
  'ports-exist': portsExist,
  'hpa-target': hpaTarget,
  'pod-references': podReferences,
  'network-peers': networkPeers,
  'ingress-backends': ingressBackends,
  'scrape-targets': scrapeTargetsRule,
};

export const referencesCheck: VerifyCheck = ruleSetCheck('references', 'The rendered objects reference each other correctly: selectors select pods, ports, HPA targets, ConfigMaps/Secrets/ServiceAccounts/StorageClasses/PriorityClasses, NetworkPolicy peers and Ingress backends exist, and every job an alert selects is scraped.', REFERENCE_RULES);
