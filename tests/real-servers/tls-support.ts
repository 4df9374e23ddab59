/**
 * TLS material for the real-server tier, laid out as the kubelet lays out a Secret volume: the keys are symlinks
 * into `..data`, itself a symlink to a timestamped directory, and an update swaps `..data` atomically
 * (kubernetes pkg/volume/util/atomic_writer.go). cert-manager stands in as a test CA made with openssl.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

export interface Ca {
  readonly cert: string;
  readonly key: string;
}

export function makeCa(dir: string, name: string): Ca {
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', key, '-out', cert]);
  return { cert, key };
}

/** A leaf key + certificate signed by `ca` (a new key each time, as cert-manager's rotationPolicy Always). */
export function issue(ca: Ca, dir: string, opts: { commonName: string; dnsNames?: string[]; ips?: string[]; usage: 'server' | 'client' }): { crt: string; key: string } {
  fs.mkdirSync(dir, { recursive: true });
  const id = crypto.randomBytes(4).toString('hex');
  const key = path.join(dir, `leaf-${id}.key`);
  const csr = path.join(dir, `leaf-${id}.csr`);
  const crt = path.join(dir, `leaf-${id}.crt`);
  const ext = path.join(dir, `leaf-${id}.ext`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${opts.commonName}`, '-keyout', key, '-out', csr]);
  const san = [...(opts.dnsNames ?? []).map((n) => `DNS:${n}`), ...(opts.ips ?? []).map((i) => `IP:${i}`)];
  fs.writeFileSync(ext, [san.length ? `subjectAltName=${san.join(',')}` : '', `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`, 'keyUsage=critical,digitalSignature'].filter(Boolean).join('\n') + '\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', crt]);
  return { crt: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

/** Writes a Secret volume (tls.crt, tls.key, ca.crt) the kubelet way; a second call is a rotation. */
export function writeSecretVolume(dir: string, files: Record<string, string>, owner: { uid: number; gid: number }, mode = 0o600): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${crypto.randomBytes(3).toString('hex')}`;
  const target = path.join(dir, stamp);
  fs.mkdirSync(target, { mode: 0o755 });
  for (const [name, content] of Object.entries(files)) {
    const f = path.join(target, name);
    fs.writeFileSync(f, content, { mode });
    fs.chownSync(f, owner.uid, owner.gid);
  }
  const dataLink = path.join(dir, '..data');
  const old = fs.existsSync(dataLink) ? fs.readlinkSync(dataLink) : undefined;
  const tmp = path.join(dir, '..data_tmp');
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(stamp, tmp);
  fs.renameSync(tmp, dataLink); // atomic, as the kubelet's atomic writer
  for (const name of Object.keys(files)) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join('..data', name), link);
  }
  if (old && old !== stamp) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

/** SHA-256 fingerprint of a PEM certificate. */
export function fingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256;
}
