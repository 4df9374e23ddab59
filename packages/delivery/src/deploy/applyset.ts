/**
 * ApplySet membership (KEP-3659) as kubectl computes it, and rewriting rendered manifests for the commands that
 * must not disturb it.
 *
 * `kubectl apply --applyset=...` labels every member `applyset.kubernetes.io/part-of: <id>` under our field manager.
 * A later server-side apply (or server-side `kubectl diff`) of the SAME object under the SAME field manager whose
 * input lacks that label removes it: the manager stops asserting a field it owned. That is what step (b) (the
 * ExternalSecrets applied ahead of their namespace) and the plan's `kubectl diff` would do, taking ExternalSecrets
 * out of their set or showing a label removal on every object. So those commands get copies of the files that carry
 * the label with exactly the id kubectl uses. The ApplySet apply itself must get the files WITHOUT it (kubectl
 * refuses input that already has the label: "ApplySet label ... already set in input data").
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isMap, parseAllDocuments } from 'yaml';

export const APPLYSET_PART_OF_LABEL = 'applyset.kubernetes.io/part-of';

/** The object kubectl records an ApplySet on. */
export interface ApplySetParent {
  readonly name: string;
  /** '' for a cluster-scoped parent. */
  readonly namespace: string;
  readonly kind: string;
  /** API group; '' for the core group (ConfigMap, Secret). */
  readonly group: string;
}

/**
 * The ApplySet id: `applyset-` + base64url-without-padding(sha256(`<name>.<namespace>.<kind>.<group>`)) + `-v1`
 * (kubectl's `ApplySet.ID()`, KEP-3659 "ApplySet specification").
 */
export function applysetId(parent: ApplySetParent): string {
  const unencoded = [parent.name, parent.namespace, parent.kind, parent.group].join('.');
  // Node's base64url encoding has no padding, like Go's base64.RawURLEncoding.
  return `applyset-${createHash('sha256').update(unencoded, 'utf8').digest('base64url')}-v1`;
}

/** Name of each namespace's ApplySet parent ConfigMap. */
export function applysetParentName(prefix: string): string {
  return `${prefix}-applyset`;
}

/** The id of the ApplySet one namespace is deployed as (parent: ConfigMap `<prefix>-applyset` in that namespace). */
export function namespaceApplysetId(prefix: string, namespace: string): string {
  return applysetId({ name: applysetParentName(prefix), namespace, kind: 'ConfigMap', group: '' });
}

export interface ObjectKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export function describeKind(k: ObjectKind): string {
  return `${k.kind} (${k.apiVersion})`;
}

export interface RewriteOptions {
  /** Set `applyset.kubernetes.io/part-of` to this id on every object. */
  readonly partOf?: string;
  /** Leave out objects of these kinds. */
  readonly drop?: (k: ObjectKind) => boolean;
}

/**
 * A manifest (one or more YAML documents) with the ApplySet label added and/or some objects left out. Pure.
 * `text` is undefined when no object is left. Formatting and comments of the kept documents are preserved.
 */
export function rewriteManifest(text: string, opts: RewriteOptions): { readonly text: string | undefined; readonly dropped: number } {
  const kept: string[] = [];
  let dropped = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS() as { apiVersion?: unknown; kind?: unknown } | null;
    if (obj === null || typeof obj !== 'object') continue;
    if (opts.drop?.({ apiVersion: String(obj.apiVersion), kind: String(obj.kind) })) {
      dropped++;
      continue;
    }
    if (opts.partOf !== undefined) {
      if (isMap(doc.getIn(['metadata', 'labels']))) doc.setIn(['metadata', 'labels', APPLYSET_PART_OF_LABEL], opts.partOf);
      else doc.setIn(['metadata', 'labels'], doc.createNode({ [APPLYSET_PART_OF_LABEL]: opts.partOf }));
    }
    kept.push(doc.toString({ lineWidth: 0 }).replace(/^---[ \t]*\n/, ''));
  }
  return { text: kept.length > 0 ? kept.join('---\n') : undefined, dropped };
}

/**
 * Writes rewritten copies of `files` (paths relative to `srcRoot`) into `destDir` under their base names and
 * returns the absolute paths written (a file with nothing left is not written) and how many objects were dropped.
 */
export function writeManifestCopies(srcRoot: string, files: readonly string[], destDir: string, opts: RewriteOptions): { readonly written: string[]; readonly dropped: number } {
  fs.mkdirSync(destDir, { recursive: true });
  const written: string[] = [];
  let dropped = 0;
  for (const f of files) {
    const out = rewriteManifest(fs.readFileSync(path.join(srcRoot, f), 'utf8'), opts);
    dropped += out.dropped;
    if (out.text === undefined) continue;
    const dest = path.join(destDir, path.basename(f));
    fs.writeFileSync(dest, out.text.endsWith('\n') ? out.text : `${out.text}\n`);
    written.push(dest);
  }
  return { written, dropped };
}
