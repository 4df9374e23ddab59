import * as path from 'path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILE, objectId, type Finding, type RenderedObject } from '@optibid/rendered';
import { SCHEMA_CHECK } from './unknown-fields';

/** Rule of the kustomization.yaml completeness check. */
export const KUSTOMIZATION_RULE = 'kustomization';

const KUSTOMIZATION_FILES = [KUSTOMIZATION_FILE, 'kustomization.yml', 'Kustomization'];

/** Every manifest file (relative, `/`-separated, sorted), kustomization files excluded. */
function manifestFiles(files: ReadonlyMap<string, string>): string[] {
  return [...files.keys()].filter((p) => /\.ya?ml$/.test(p) && !KUSTOMIZATION_FILES.includes(path.posix.basename(p))).sort((a, b) => a.localeCompare(b));
}

/**
 * Every manifest file of an environment folder (dist/k8s/<env>, as a map of relative path to text) must be listed
 * in its kustomization.yaml `resources` (else `kubectl apply -k` silently skips it), and every listed file must
 * exist. A listed directory must hold its own kustomization, whose resources count as listed. Remote resources
 * (URLs) are ignored.
 */
export function checkKustomization(files: ReadonlyMap<string, string>, env: string, objects: readonly RenderedObject[] = []): Finding[] {
  const out: Finding[] = [];
  const refOf = (file: string) => {
    const o = objects.find((x) => x.file === file);
    return o ? objectId(o.obj) : '-';
  };
  const report = (file: string, message: string) => out.push({ check: SCHEMA_CHECK, rule: KUSTOMIZATION_RULE, env, file, object: refOf(file), message });
  const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  const isDir = (rel: string) => [...files.keys()].some((k) => k.startsWith(`${rel}/`));

  const listed = new Set<string>();
  const visit = (rel: string): void => {
    const name = KUSTOMIZATION_FILES.find((f) => files.has(join(rel, f)));
    const kfile = join(rel, name ?? KUSTOMIZATION_FILE);
    if (!name) {
      report(kfile, 'missing: every environment (and every directory listed in resources) needs a kustomization.yaml');
      return;
    }
    let doc: { resources?: unknown } | null;
    try {
      doc = parse(files.get(kfile)!) as { resources?: unknown } | null;
    } catch (err) {
      report(kfile, `cannot be parsed: ${(err as Error).message}`);
      return;
    }
    const resources = doc?.resources ?? [];
    if (!Array.isArray(resources)) {
      report(kfile, '`resources` must be a list of file paths');
      return;
    }
    const seen = new Set<string>();
    for (const entry of resources) {
      if (typeof entry !== 'string' || !entry) {
        report(kfile, `resources entry ${JSON.stringify(entry)} is not a path`);
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry)) continue;
      const target = path.posix.normalize(rel ? `${rel}/${entry}` : entry);
      if (seen.has(target)) report(kfile, `lists ${entry} twice (kustomize rejects duplicate resources)`);
      seen.add(target);
      if (target.startsWith('../') || path.posix.isAbsolute(target)) {
        report(kfile, `lists ${entry}, outside the environment folder`);
        continue;
      }
      if (files.has(target)) listed.add(target);
      else if (isDir(target)) visit(target);
      else report(target, `listed in ${kfile} but does not exist`);
    }
  };
  visit('');

  for (const file of manifestFiles(files)) {
    if (!listed.has(file)) report(file, 'not listed in kustomization.yaml resources: `kubectl apply -k` would skip it');
  }
  return out;
}
