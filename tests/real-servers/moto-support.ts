/**
 * S3 + KMS + STS for the real-server tier: Debian 13's moto_server (moto 5.1) over TLS on loopback port 443, under
 * the real AWS host names. The server filesystem's /etc/hosts maps those names to a loopback address of its own (a marked block, removed
 * again), so the rendered endpoints (`repo1-s3-endpoint=s3.<region>.amazonaws.com`, host-style bucket addressing,
 * pgBackRest's fixed STS host `sts.amazonaws.com` for web-id: src/storage/s3/storage.c, S3_STS_HOST_STR) are used
 * unchanged. What differs from AWS is printed as substitutions: the CA that signs moto's certificate, and that moto
 * accepts any signature and any web identity token.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { addHosts, runServer, spawnServer } from './runtime';
import { Substitutions, waitFor } from './support';

export interface Moto {
  /** CA certificate that signed moto's server certificate (give it to clients as their CA file). */
  readonly caFile: string;
  readonly dir: string;
  readonly log: string;
  readonly region: string;
  /** Environment for aws-cli with static test keys (setup and inspection only; workloads use their credential path). */
  readonly adminEnv: Record<string, string>;
  /** KMS key id created for each alias. */
  readonly kmsKeyIds: Record<string, string>;
  aws(args: string[], env?: Record<string, string>): string;
  stop(): void;
}

/** A CA and a server certificate for the given DNS names (openssl on the host). */
function certificates(dir: string, names: string[]): { ca: string; cert: string; key: string } {
  const ca = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'san.ext');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=real-server tier moto CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', caKey, '-out', ca]);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', key, '-out', csr]);
  fs.writeFileSync(ext, `subjectAltName=${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
  run(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert]);
  for (const f of [ca, cert]) fs.chmodSync(f, 0o644);
  fs.chmodSync(key, 0o600);
  return { ca, cert, key };
}

/**
 * Starts moto with buckets (host-style names resolved to loopback) and KMS aliases created. `buckets` are the
 * rendered bucket names; `kmsAliases` the rendered `alias/...` names.
 */
export async function startMoto(opts: { region: string; buckets: string[]; kmsAliases: string[]; dir: string; subs: Substitutions }): Promise<Moto> {
  const { region, dir, subs } = opts;
  const names = [
    `s3.${region}.amazonaws.com`,
    ...opts.buckets.map((b) => `${b}.s3.${region}.amazonaws.com`),
    'sts.amazonaws.com',
    `sts.${region}.amazonaws.com`,
    `kms.${region}.amazonaws.com`,
    's3.amazonaws.com',
  ];
  // A loopback address of its own, so two test files (or a leftover server) never contend for port 443.
  const ip = `127.0.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
  const { ca, cert, key } = certificates(dir, names);
  const removeHosts = addHosts('moto', names.map((n) => [ip, n] as const));
  subs.add(`AWS: moto_server 5.1 (S3, KMS, STS) on ${ip}:443 over TLS; ${names.join(', ')} resolve to it through the server filesystem's /etc/hosts; its certificate is signed by a test CA`);
  const log = path.join(dir, 'moto.log');
  const proc = spawnServer('python3', [path.join(__dirname, 'moto-launcher.py'), '-H', ip, '-p', '443', '-c', cert, '-k', key], { log });
  subs.add('moto: started through tests/real-servers/moto-launcher.py, which routes unsigned requests for sts.amazonaws.com to STS (moto routes them by body only; AWS STS serves the GET form pgBackRest sends)');
  const stop = () => {
    try {
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
    removeHosts();
  };
  try {
    await waitFor(
      `moto_server on ${ip}:443`,
      () =>
        new Promise<boolean>((resolve) => {
          const req = https.request({ host: ip, port: 443, servername: names[0], path: '/', ca: fs.readFileSync(ca), method: 'GET', timeout: 2000 }, (res) => {
            res.resume();
            resolve((res.statusCode ?? 0) > 0);
          });
          req.on('error', () => resolve(false));
          req.end();
        }),
      60_000,
      300,
    );
  } catch (e) {
    stop();
    throw new Error(`${(e as Error).message}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : ''}`);
  }
  const adminEnv = {
    AWS_ACCESS_KEY_ID: 'AKIAREALSERVERTIER',
    AWS_SECRET_ACCESS_KEY: 'real-server-tier-admin',
    AWS_DEFAULT_REGION: region,
    AWS_CA_BUNDLE: ca,
    AWS_EC2_METADATA_DISABLED: 'true',
    HOME: dir,
  };
  const aws = (args: string[], env: Record<string, string> = adminEnv) => runServer('aws', args, { env, timeoutMs: 120_000 });
  const kmsKeyIds: Record<string, string> = {};
  for (const alias of opts.kmsAliases) {
    const id = JSON.parse(aws(['kms', 'create-key', '--output', 'json'])).KeyMetadata.KeyId as string;
    aws(['kms', 'create-alias', '--alias-name', alias, '--target-key-id', id]);
    kmsKeyIds[alias] = id;
  }
  for (const b of opts.buckets) aws(['s3api', 'create-bucket', '--bucket', b, '--create-bucket-configuration', `LocationConstraint=${region}`]);
  return { caFile: ca, dir, log, region, adminEnv, kmsKeyIds, aws, stop };
}

/**
 * A loopback stand-in for the EKS Pod Identity agent's container-credentials endpoint (what the AWS SDKs and aws-cli
 * call through AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). It answers only a
 * request that carries the token, with temporary keys, as the agent does.
 */
export async function startContainerCredentials(token: string): Promise<{ url: string; requests: number; stop(): void }> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    if (req.headers.authorization !== token) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: 'ASIAPODIDENTITYTEST',
        SecretAccessKey: 'pod-identity-test-secret',
        Token: 'pod-identity-test-session-token',
        AccountId: '123456789012',
        Expiration: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    get requests() {
      return state.requests;
    },
    stop: () => server.close(),
  };
}
