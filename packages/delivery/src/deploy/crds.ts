/**
 * Custom resources whose CRD is not installed yet. A change that adds a Helm chart (installed by `cdk deploy`, after
 * the plan) together with its first custom resources cannot be dry-run against the cluster before the deploy: the
 * API server does not know the kind yet. kubectl then fails with
 *
 *   error: resource mapping not found for name: "x" namespace: "y" from "f": no matches for kind "Certificate" in version "cert-manager.io/v1"
 *   ensure CRDs are installed first
 *
 * (`kubectl diff` stops at the first such object and shows no diff at all; `kubectl apply` reports every one). The
 * plan recognises exactly that error, names the kinds and runs the command again without objects of those kinds.
 */
import { type ObjectKind, describeKind } from './applyset';

const MISSING_KIND = /no matches for kind "([^"]+)" in version "([^"]+)"/g;
/** Every line of a "CRD not installed" failure matches one of these (kubectl prints warnings on stderr too). */
const CRD_ERROR_LINE = /no matches for kind|ensure CRDs are installed first|resource mapping not found|^Warning: /;

/**
 * The kinds a failed kubectl command reported as unknown to the API server, when that is its ONLY error; undefined
 * when stderr shows anything else (then the failure is real). Pure.
 */
export function missingCrdKinds(stderr: string): ObjectKind[] | undefined {
  if (!/no matches for kind|ensure CRDs are installed first/.test(stderr)) return undefined;
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (!lines.every((l) => CRD_ERROR_LINE.test(l))) return undefined;
  const kinds = new Map<string, ObjectKind>();
  for (const m of stderr.matchAll(MISSING_KIND)) kinds.set(`${m[2]} ${m[1]}`, { kind: m[1], apiVersion: m[2] });
  return kinds.size > 0 ? [...kinds.values()] : undefined;
}

/** The kinds found so far in one plan run. */
export class MissingKinds {
  private readonly kinds = new Map<string, ObjectKind>();

  get size(): number {
    return this.kinds.size;
  }

  has = (k: ObjectKind): boolean => this.kinds.has(`${k.apiVersion} ${k.kind}`);

  /** Adds the kinds stderr names (see missingCrdKinds); returns the ones not known before ([] = no progress). */
  addFrom(stderr: string): ObjectKind[] {
    const found = missingCrdKinds(stderr) ?? [];
    const added = found.filter((k) => !this.has(k));
    for (const k of added) this.kinds.set(`${k.apiVersion} ${k.kind}`, k);
    return added;
  }

  describe(): string {
    return [...this.kinds.values()].map(describeKind).join(', ');
  }
}
