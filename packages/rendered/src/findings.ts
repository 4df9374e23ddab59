/**
 * The one Finding every check reports (schema, policy, contract, references, API versions, capacity, cost, traffic),
 * naming the environment, the object, the file and field where known, so a reader can go straight to it.
 */
import { objectId, type RenderedObject } from './objects';

export interface Finding {
  /** Check name, e.g. `policy`, `contract`. */
  readonly check: string;
  /** Rule within the check, e.g. `pss-restricted`, `external-secret-exists`. */
  readonly rule: string;
  readonly env: string;
  /** `<Kind>/<namespace>/<name>` for Kubernetes objects, `<stack>/<logicalId>` for CloudFormation, `-` for none. */
  readonly object: string;
  /** File relative to dist/k8s/<env>/ (Kubernetes objects) when known. */
  readonly file?: string;
  /** Field path within the object, e.g. `spec.selector.matchLabels`. */
  readonly field?: string;
  readonly message: string;
}

/** A finding about one rendered object. */
export function objectFinding(check: string, rule: string, o: RenderedObject, message: string, field?: string): Finding {
  return { check, rule, env: o.env, object: objectId(o.obj), file: o.file, ...(field !== undefined ? { field } : {}), message };
}

/** One line: `✗ [check/rule] object field (file): message`. */
export function formatFinding(f: Finding): string {
  return `  ✗ [${f.check}/${f.rule}] ${f.object}${f.field ? ` ${f.field}` : ''}${f.file ? ` (${f.file})` : ''}: ${f.message}`;
}

/** Removes findings with the same check, rule, object, field and message (several paths can reach one defect). */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.check}\u0000${f.rule}\u0000${f.object}\u0000${f.field ?? ''}\u0000${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
