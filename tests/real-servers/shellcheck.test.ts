import { k8sDir } from '@optibid/rendered';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { DIST, dataNamespace, ENV, renderedObject } from './support';

/**
 * Every shell script the cluster runs, read from the rendered dist/ YAML and checked by shellcheck (the scripts
 * run in minimal images: POSIX sh, so shellcheck checks them as sh).
 */
const ns = dataNamespace();
// Every `*.sh` key of every rendered ConfigMap of the environment (a new script is checked without an edit here).
const scripts: Record<string, string> = {};
const envDir = k8sDir(DIST, ENV);
for (const dir of fs.readdirSync(envDir).filter((d) => fs.statSync(path.join(envDir, d)).isDirectory())) {
  for (const f of fs.readdirSync(path.join(envDir, dir)).filter((x) => x.startsWith('configmap-'))) {
    const cm = parse(fs.readFileSync(path.join(envDir, dir, f), 'utf8'));
    for (const [k, v] of Object.entries<string>(cm.data ?? {})) if (k.endsWith('.sh')) scripts[`${cm.metadata.name} ${k}`] = v;
  }
}
for (const name of ['postgres-backup-full', 'postgres-backup-diff', 'postgres-pitr-restore', 'redis-backup']) {
  const cj = renderedObject(ns, 'CronJob', name);
  const c = cj.spec.jobTemplate.spec.template.spec.containers[0];
  if (c.command[0] === '/bin/sh' && c.command[1] === '-c') scripts[`${name} command`] = `#!/bin/sh\n${c.command[2]}\n`;
}

test('the rendered scripts include the data tier\'s start, reload and restore scripts', () => {
  expect(Object.keys(scripts).length).toBeGreaterThanOrEqual(8);
});

test.each(Object.keys(scripts))('%s passes shellcheck', (name) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sc-')), 'script.sh');
  fs.writeFileSync(file, scripts[name]);
  let out = '';
  try {
    execFileSync('shellcheck', ['--shell=sh', '--severity=warning', file], { encoding: 'utf8' });
  } catch (e: any) {
    out = e.stdout || String(e);
  }
  expect(out).toBe('');
});
