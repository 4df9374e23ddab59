/** Resource requests and memory limits on every container. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { containersOf, isRecord, podTemplates } from '@optibid/rendered';
import { compareQuantities, parseExactQuantity, type Quantity } from '@optibid/rendered';

const NAME = 'resources';

const REQUIRED: readonly ['requests' | 'limits', string][] = [
  ['requests', 'cpu'],
  ['requests', 'memory'],
  ['limits', 'memory'],
];

export const resources: PolicyCheck = {
  name: NAME,
  description:
    'Every container and init container sets resources.requests.cpu, requests.memory and limits.memory, with each request no higher than its limit, ' +
    'so the scheduler places pods on real capacity and a leaking container is OOM-killed instead of starving the node; ' +
    'limits.cpu is deliberately optional because CPU limits make the kernel throttle a container even when the node has idle CPU.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      for (const { container, ref } of containersOf(t.spec, ['container', 'initContainer'])) {
        const res = isRecord(container.resources) ? container.resources : {};
        const section = (s: 'requests' | 'limits'): Record<string, unknown> => (isRecord(res[s]) ? (res[s] as Record<string, unknown>) : {});
        const parsed: Record<'requests' | 'limits', Map<string, Quantity>> = { requests: new Map(), limits: new Map() };
        for (const s of ['requests', 'limits'] as const) {
          for (const [resource, value] of Object.entries(section(s))) {
            const q = parseExactQuantity(value);
            if (!q || q.num < 0n) findings.push(finding(NAME, t.owner, `${ref}: resources.${s}.${resource} ${JSON.stringify(value)} is not a valid Kubernetes quantity`));
            else parsed[s].set(resource, q);
          }
        }
        for (const [s, resource] of REQUIRED) {
          const value = section(s)[resource];
          if (value === undefined || value === null || value === '') {
            findings.push(finding(NAME, t.owner, `${ref}: resources.${s}.${resource} is required (every container declares requests.cpu, requests.memory and limits.memory)`));
          }
        }
        for (const [resource, request] of parsed.requests) {
          const limit = parsed.limits.get(resource);
          if (limit && compareQuantities(request, limit) > 0) {
            findings.push(
              finding(NAME, t.owner, `${ref}: resources.requests.${resource} (${section('requests')[resource]}) exceeds resources.limits.${resource} (${section('limits')[resource]}): requests must be <= limits`),
            );
          }
        }
      }
    }
    return findings;
  },
};
