import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { main } from '../src/cli';
import { DIST, ENVIRONMENTS } from './support';

/**
 * `npm run verify` end to end on files: the committed dist/ passes; a deliberately broken copy (the three
 * breakages) fails with exit 1 and messages that name the object and the field.
 */
const REPO = path.resolve(DIST, '..');

function capture(run: () => number): { code: number; out: string } {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: run(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

/** A copy of dist/{k8s,cloudformation}/production with `edit` applied to some YAML files. */
function brokenDist(edits: Record<string, (obj: any) => void>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-broken-'));
  for (const sub of ['k8s', 'cloudformation']) fs.cpSync(path.join(DIST, sub, 'production'), path.join(root, sub, 'production'), { recursive: true });
  for (const [rel, edit] of Object.entries(edits)) {
    const file = path.join(root, 'k8s', 'production', rel);
    const obj = parse(fs.readFileSync(file, 'utf8'));
    edit(obj);
    fs.writeFileSync(file, stringify(obj));
  }
  return root;
}

test('the committed dist/ passes every check in every environment (exit 0) and prints the capacity and cost tables', () => {
  const { code, out } = capture(() => main([], REPO));
  expect(out).toMatch(/verify: 0 finding\(s\)/);
  expect(code).toBe(0);
  for (const env of ENVIRONMENTS) expect(out).toMatch(new RegExp(`^=== ${env} \\(\\d+ objects, \\d+ templates\\) ===$`, 'm'));
  for (const check of ['schema', 'policy']) expect(out).toContain(`-- ${check}: ok`);
  expect(out).toMatch(/Capacity — production/);
  expect(out).toMatch(/Cost — production/);
});

test('a broken variant fails with messages naming the object and the field', () => {
  const root = brokenDist({
    'optibid/service-backend.yaml': (o) => (o.spec.selector = { 'app.kubernetes.io/name': 'backend-typo' }),
    'optibid/externalsecret-backend-secrets.yaml': (o) => (o.spec.data[0].remoteRef.key = 'optibid/production/app/no-such-secret'),
    'optibid/horizontalpodautoscaler-backend.yaml': (o) => (o.spec.maxReplicas = 200),
  });
  try {
    const { code, out } = capture(() => main(['--dist', root, '--env', 'production'], REPO));
    expect(code).toBe(1);
    expect(out).toMatch(/\[references\/selector-matches\] Service\/optibid\/backend spec\.selector/);
    expect(out).toMatch(/\[contract\/external-secrets\] ExternalSecret\/optibid\/backend-secrets spec\.data\[0\]\.remoteRef\.key: .*optibid\/production\/app\/no-such-secret/);
    expect(out).toMatch(/\[capacity\/max-scale-fits\] HorizontalPodAutoscaler\/optibid\/backend spec\.maxReplicas/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('usage errors exit 2 naming the flag or the environment', () => {
  expect(capture(() => main(['--nope'], REPO))).toMatchObject({ code: 2, out: expect.stringContaining("Unknown option '--nope'") });
  expect(capture(() => main(['--dist'], REPO))).toMatchObject({ code: 2, out: expect.stringContaining("Option '--dist <value>' argument missing") });
  expect(capture(() => main(['--check', 'bogus'], REPO))).toMatchObject({ code: 2, out: expect.stringContaining('--check bogus: no such check') });
  expect(capture(() => main(['--env', 'qa'], REPO))).toMatchObject({ code: 2, out: expect.stringContaining('--env qa: not rendered') });
});

test('a truncated template or a YAML tab is named with its file: exit 2, no stack trace (issue 15)', () => {
  const root = brokenDist({});
  try {
    const tpl = path.join(root, 'cloudformation', 'production', 'optibid-production-data.template.json');
    fs.writeFileSync(tpl, fs.readFileSync(tpl, 'utf8').slice(0, 500));
    const truncated = capture(() => main(['--dist', root], REPO));
    expect(truncated.code).toBe(2);
    expect(truncated.out).toMatch(/^verify: cannot read .*cloudformation\/production\/optibid-production-data\.template\.json: /m);
    expect(truncated.out).not.toMatch(/\n\s+at /);
    fs.cpSync(path.join(DIST, 'cloudformation', 'production'), path.join(root, 'cloudformation', 'production'), { recursive: true });
    const yaml = path.join(root, 'k8s', 'production', 'optibid', 'service-backend.yaml');
    fs.writeFileSync(yaml, 'apiVersion: v1\nkind: Service\nmetadata:\n\tname: backend\n');
    const tab = capture(() => main(['--dist', root], REPO));
    expect(tab.code).toBe(2);
    expect(tab.out).toMatch(/^verify: cannot read .*k8s\/production\/optibid\/service-backend\.yaml: /m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
