import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILE, objectId, type Finding, type RenderedObject } from '@optibid/rendered';
import { SCHEMA_CHECK } from './unknown-fields';

/** Rule of the kustomization.yaml completeness check. */
export const KUSTOMIZATION_RULE = 'kustomization';

const KUSTOMIZATION_FILES = [KUSTOMIZATION_FILE, 'kustomization.yml', 'Kustomization'];

/** Every manifest file under `dir` (relative, `/`-separated), kustomization files excluded. */
function manifestFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...manifestFiles(dir, p));
    else if (/\.ya?ml$/.test(e.name) && !KUSTOMIZATION_FILES.includes(e.name)) out.push(p);
  }
  return out;
}

/**
 * Every manifest file of an environment folder (dist/k8s/<env>) must be listed in its kustomization.yaml
 * `resources` (else `kubectl apply -k` silently skips it), and every listed file must exist. A listed directory
 * must hold its own kustomization, whose resources count as listed. Remote resources (URLs) are ignored.
 */
export function checkKustomization(envDir: string, env: string, objects: readonly RenderedObject[] = []): Finding[] {
  const out: Finding[] = [];
  const refOf = (file: string) => {
    const o = objects.find((x) => x.file.split(path.sep).join('/') === file);
    return o ? objectId(o.obj) : '-';
  };
  const report = (file: string, message: string) => out.push({ check: SCHEMA_CHECK, rule: KUSTOMIZATION_RULE, env, file, object: refOf(file), message });

  const listed = new Set<string>();
  const visit = (rel: string): void => {
    const dir = path.join(envDir, rel);
    const name = KUSTOMIZATION_FILES.find((f) => fs.existsSync(path.join(dir, f)));
    const kfile = rel ? `${rel}/${name ?? 'kustomization.yaml'}` : (name ?? 'kustomization.yaml');
    if (!name) {
      report(kfile, 'missing: every environment (and every directory listed in resources) needs a kustomization.yaml');
      return;
    }
    let doc: { resources?: unknown } | null;
    try {
      doc = parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { resources?: unknown } | null;
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
      const abs = path.join(envDir, target);
      if (!fs.existsSync(abs)) report(target, `listed in ${kfile} but does not exist`);
      else if (fs.statSync(abs).isDirectory()) visit(target);
      else listed.add(target);
    }
  };
  visit('');

  for (const file of manifestFiles(envDir)) {
    if (!listed.has(file)) report(file, 'not listed in kustomization.yaml resources: `kubectl apply -k` would skip it');
  }
  return out;
}
