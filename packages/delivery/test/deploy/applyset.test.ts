import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { APPLYSET_PART_OF_LABEL, applysetId, namespaceApplysetId, rewriteManifest, writeManifestCopies } from '../../src/deploy/applyset';

/** The KEP-3659 id the way the brief (and the KEP) computes it by hand; null when openssl is not installed. */
function opensslId(unencoded: string): string | null {
  try {
    const b64 = execFileSync('sh', ['-c', `printf '%s' "$1" | openssl dgst -sha256 -binary | openssl base64 -A | tr -d '=' | tr '/+' '_-'`, 'sh', unencoded], { encoding: 'utf8' }).trim();
    return b64 ? `applyset-${b64}-v1` : null;
  } catch {
    return null;
  }
}

describe('ApplySet id (KEP-3659, kubectl ApplySet.ID())', () => {
  test('known vectors', () => {
    // printf '%s' 'x.y.ConfigMap.' | openssl dgst -sha256 -binary | openssl base64 -A | tr -d '=' | tr '/+' '_-'
    expect(applysetId({ name: 'x', namespace: 'y', kind: 'ConfigMap', group: '' })).toBe('applyset-6UudeNYvw0WHxYbiJsYkZEtylzzf6Akz5gBX1m1SwTQ-v1');
    // kubectl's own test (pkg/cmd/apply/apply_test.go): parent Secret my-set in namespace test.
    expect(applysetId({ name: 'my-set', namespace: 'test', kind: 'Secret', group: '' })).toBe('applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1');
  });

  test('agrees with openssl for the parent of every namespace (when openssl is installed)', () => {
    for (const ns of ['optibid', 'optibid-data', 'monitoring', 'monitoring-agents']) {
      const expected = opensslId(`optibid-production-applyset.${ns}.ConfigMap.`);
      if (expected === null) return;
      expect(namespaceApplysetId('optibid-production', ns)).toBe(expected);
    }
  });

  test('is a valid label value: no padding, URL-safe alphabet, at most 63 characters', () => {
    const id = namespaceApplysetId('optibid-production', 'optibid');
    expect(id).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(id.length).toBeLessThanOrEqual(63);
  });
});

describe('rewriteManifest', () => {
  const es = [
    '# rendered',
    'apiVersion: external-secrets.io/v1',
    'kind: ExternalSecret',
    'metadata:',
    '  labels:',
    '    app.kubernetes.io/name: backend-secrets',
    '  name: backend-secrets',
    '  namespace: optibid',
    'spec:',
    '  refreshInterval: 1h',
    '',
  ].join('\n');

  test('adds the part-of label next to the existing labels and changes nothing else', () => {
    const out = rewriteManifest(es, { partOf: 'applyset-abc-v1' }).text!;
    const obj = parse(out);
    expect(obj.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'backend-secrets', [APPLYSET_PART_OF_LABEL]: 'applyset-abc-v1' });
    const { labels: _, ...restMeta } = obj.metadata;
    const original = parse(es);
    expect({ ...obj, metadata: restMeta }).toEqual({ ...original, metadata: { name: 'backend-secrets', namespace: 'optibid' } });
    expect(out).toContain('# rendered');
  });

  test('creates labels when there are none (absent or empty)', () => {
    for (const text of ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n']) {
      expect(parse(rewriteManifest(text, { partOf: 'applyset-abc-v1' }).text!).metadata.labels).toEqual({ [APPLYSET_PART_OF_LABEL]: 'applyset-abc-v1' });
    }
  });

  test('drops objects of the given kinds, per document; nothing left = undefined', () => {
    const multi = `---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n`;
    const drop = (k: { apiVersion: string; kind: string }) => k.apiVersion === 'cert-manager.io/v1' && k.kind === 'Certificate';
    const out = rewriteManifest(multi, { drop, partOf: 'applyset-abc-v1' });
    expect(out.dropped).toBe(1);
    const docs = parseAllDocuments(out.text!).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Service']);
    expect(docs[0].metadata.labels[APPLYSET_PART_OF_LABEL]).toBe('applyset-abc-v1');
    expect(rewriteManifest('apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n', { drop })).toEqual({ text: undefined, dropped: 1 });
  });

  test('writeManifestCopies writes under the base names and skips files with nothing left', () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'applyset-test-'));
    try {
      fs.mkdirSync(path.join(src, 'optibid'));
      fs.writeFileSync(path.join(src, 'optibid', 'externalsecret-backend-secrets.yaml'), es);
      fs.writeFileSync(path.join(src, 'optibid', 'certificate-tls.yaml'), 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: tls\n');
      const dest = path.join(src, 'out');
      const r = writeManifestCopies(src, ['optibid/externalsecret-backend-secrets.yaml', 'optibid/certificate-tls.yaml'], dest, { partOf: 'applyset-abc-v1', drop: (k) => k.kind === 'Certificate' });
      expect(r).toEqual({ written: [path.join(dest, 'externalsecret-backend-secrets.yaml')], dropped: 1 });
      expect(parse(fs.readFileSync(r.written[0], 'utf8')).metadata.labels[APPLYSET_PART_OF_LABEL]).toBe('applyset-abc-v1');
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });
});
