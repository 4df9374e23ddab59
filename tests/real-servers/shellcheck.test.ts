import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dataNamespace, renderedConfigMap, renderedObject } from './support';

/**
 * Every shell script the cluster runs, read from the rendered dist/ YAML and checked by shellcheck (the scripts
 * run in minimal images: POSIX sh, so shellcheck checks them as sh).
 */
const ns = dataNamespace();
const scripts: Record<string, string> = {
  'redis start.sh': renderedConfigMap(ns, 'redis-config')['start.sh'],
  'redis bootstrap.sh': renderedConfigMap(ns, 'redis-config')['bootstrap.sh'],
  'redis snapshot.sh': renderedConfigMap(ns, 'redis-config')['snapshot.sh'],
  'postgres post-bootstrap.sh': renderedConfigMap(ns, 'postgres-init')['post-bootstrap.sh'],
};
for (const name of ['postgres-backup-full', 'postgres-backup-diff', 'postgres-pitr-restore', 'redis-backup']) {
  const cj = renderedObject(ns, 'CronJob', name);
  const c = cj.spec.jobTemplate.spec.template.spec.containers[0];
  if (c.command[0] === '/bin/sh' && c.command[1] === '-c') scripts[`${name} command`] = `#!/bin/sh\n${c.command[2]}\n`;
}

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
