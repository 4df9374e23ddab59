/**
 * `backup-target`: the backups the YAML configures land where the templates put the backup bucket, encrypted with a
 * key of the templates, and the identity that writes them may do so.
 *
 * Two kinds of backup configuration are read:
 * - pgBackRest files in ConfigMaps (every data entry with a `repo<N>-type=s3` repository): `repo<N>-s3-bucket` is an
 *   `AWS::S3::Bucket` `BucketName`; `repo<N>-s3-region` (and the region in `repo<N>-s3-endpoint`) is the templates'
 *   region; `repo<N>-s3-kms-key-id` names an `AWS::KMS::Alias` of the templates (by name or alias ARN of this
 *   account and region) whose key is the bucket's default key; `repo<N>-s3-key-type` is `web-id` (IRSA): every
 *   container that mounts the file gets `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` (its own env, both, or the
 *   EKS pod identity webhook for an annotated ServiceAccount), which pgBackRest reads and without which it stops
 *   (pgbackrest/pgbackrest release/2.55.1 src/storage/s3/helper.c), and no `repo<N>-s3-role` (pgBackRest allows it only
 *   with `auto`) or static keys. `pod-id` is reported: pgBackRest has it only from 2.58.0, as experimental, and the
 *   timescaledb-ha image installs pgBackRest unpinned (an older one stops with an invalid-value error). Every pod that mounts the file runs
 *   under an identity allowed `s3:ListBucket` on the bucket, `s3:GetObject`/`PutObject`/`DeleteObject` under
 *   `repo<N>-path`, and `kms:GenerateDataKey`/`kms:Decrypt` on the key (the key policy delegating to IAM).
 * - aws CLI transfers in container commands (`aws s3 cp|sync|mv|rm|ls ... s3://bucket/prefix...`, e.g. the Redis
 *   backup CronJob): the bucket is a bucket of the templates, `--sse-kms-key-id` an alias of the templates matching
 *   the bucket's key, `--region` the templates' region (`AWS_REGION` is checked by `cluster-identity`), and the pod's identity may
 *   do the transfer (PutObject for uploads, GetObject for downloads, KMS as above) under the static prefix of the URL.
 */
import type { Finding, KubeObject, RenderedEnvironment } from '../../types';
import { objectId } from '../../types';
import { bucketDefaultKey, describeResolved, bucketsByName, iamAllows, keyPolicyAllows, kmsAliases, kmsKeyOf, parseKmsAliasRef, resourceId, resourceOfToken, roleArnOf, templatesAccount, templatesRegion, type CfnResource, type Statement } from '../../cfn';
import { containersOf, kubeIndex, ofKind, serviceAccountOf, type PodTemplate } from '../references/kube';
import { type MakeFinding } from '../../rule-set';
import { containersMountingConfigMap, containerWebIdentity, identityOf, IRSA_ANNOTATION, podsMountingConfigMap, statementsOf, WEB_IDENTITY_ENV } from './identity';

const RULE = 'backup-target';

/** Parses an INI file (pgBackRest): sections of `key=value`. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section = '';
  out.set(section, new Map());
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      if (!out.has(section)) out.set(section, new Map());
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out.get(section)!.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** What a workload does to the backup bucket: the S3 actions on an object key prefix, and the KMS key it uses. */
interface Access {
  readonly what: string;
  readonly bucket: string;
  /** Object key prefix (no leading slash), e.g. `postgres/`. */
  readonly prefix: string;
  readonly s3ObjectActions: readonly string[];
  readonly listBucket: boolean;
  /** Resolved key (token) the objects are encrypted with, if KMS. */
  readonly key?: string;
  readonly kmsActions: readonly string[];
}

function checkAccess(env: RenderedEnvironment, f: MakeFinding, t: PodTemplate, access: Access, object: string, field: string): Finding[] {
  const out: Finding[] = [];
  const sa = serviceAccountOf(t);
  const id = identityOf(env, t.namespace, sa);
  if (!id.roles.length) return out; // workload-identity reports pods without an identity
  const statements: Statement[] = statementsOf(env, id);
  const role = id.roles[0];
  const who = `the identity of ServiceAccount ${t.namespace}/${sa} (role ${id.roles.map(resourceId).join(', ')}), used by ${t.ownerId} for ${access.what}`;
  const objectArn = `arn:aws:s3:::${access.bucket}/${access.prefix}verify-probe`;
  const missing: string[] = [];
  if (access.listBucket && !iamAllows(statements, 's3:ListBucket', `arn:aws:s3:::${access.bucket}`)) missing.push(`s3:ListBucket on arn:aws:s3:::${access.bucket}`);
  for (const a of access.s3ObjectActions) if (!iamAllows(statements, a, objectArn)) missing.push(`${a} on arn:aws:s3:::${access.bucket}/${access.prefix}*`);
  if (access.key) {
    const keyResource = resourceOfToken(env, access.key);
    for (const a of access.kmsActions) {
      if (!iamAllows(statements, a, access.key)) missing.push(`${a} on the key ${describeResolved(access.key)}`);
      else if (keyResource && !id.roles.some((r) => keyPolicyAllows(env, keyResource, roleArnOf(env, r), a))) missing.push(`${a} by the key policy of ${resourceId(keyResource)} (it neither delegates to IAM nor names the role)`);
    }
  }
  if (missing.length) out.push(f(RULE, role ? resourceId(role) : object, role ? 'Properties.Policies' : field, `${who} is not allowed ${missing.join(', ')}`));
  return out;
}

function checkKey(env: RenderedEnvironment, f: MakeFinding, object: string, field: string, ref: string | undefined, bucket: CfnResource, what: string): { key?: string; findings: Finding[] } {
  const findings: Finding[] = [];
  const bucketKey = bucketDefaultKey(env, bucket);
  if (ref === undefined) return { ...(bucketKey ? { key: bucketKey } : {}), findings };
  const region = templatesRegion(env);
  const account = templatesAccount(env);
  const alias = parseKmsAliasRef(ref);
  if (alias && ((alias.region && region && alias.region !== region) || (alias.account && account && alias.account !== account))) {
    findings.push(f(RULE, object, field, `${what} names KMS alias ${ref}, in ${alias.region}/${alias.account} rather than the templates' ${region}/${account}`));
  }
  const k = kmsKeyOf(env, ref);
  if (!k) {
    findings.push(f(RULE, object, field, `${what} encrypts with KMS key ${ref}, which is no AWS::KMS::Alias AliasName of the templates (aliases: ${kmsAliases(env).map((a) => a.aliasName).join(', ') || 'none'})`));
    return { ...(bucketKey ? { key: bucketKey } : {}), findings };
  }
  if (bucketKey && k.key !== bucketKey) {
    findings.push(f(RULE, object, field, `${what} encrypts with ${ref} (${describeResolved(k.key)}), but the bucket ${resourceId(bucket)} encrypts by default with ${describeResolved(bucketKey)}: the backups would not use the backup key of the templates`));
  }
  return { key: k.key, findings };
}

function pgBackRest(env: RenderedEnvironment, f: MakeFinding, cm: KubeObject, key: string, text: string): Finding[] {
  const out: Finding[] = [];
  const object = objectId(cm);
  const field = `data[${JSON.stringify(key)}]`;
  const ini = parseIni(text);
  const opts = new Map<string, string>();
  for (const [, section] of ini) for (const [k, v] of section) if (/^repo\d+-/.test(k)) opts.set(k, v);
  const repos = [...opts.entries()].filter(([k, v]) => /^repo\d+-type$/.test(k) && v === 's3').map(([k]) => k.replace(/-type$/, ''));
  const region = templatesRegion(env);
  const buckets = bucketsByName(env);
  for (const repo of repos) {
    const o = (name: string) => opts.get(`${repo}-${name}`);
    const bucketName = o('s3-bucket');
    const bucket = bucketName ? buckets.get(bucketName) : undefined;
    if (!bucket) {
      out.push(f(RULE, object, field, `${repo}-s3-bucket=${bucketName ?? '(unset)'} is no AWS::S3::Bucket BucketName of the templates (buckets: ${[...buckets.keys()].join(', ') || 'none'})`));
      continue;
    }
    const r = o('s3-region');
    if (region && r !== region) out.push(f(RULE, object, field, `${repo}-s3-region=${r ?? '(unset)'}, but the templates create bucket ${bucketName} in ${region}`));
    const endpoint = o('s3-endpoint');
    const epRegion = endpoint ? /^(?:https?:\/\/)?s3[.-]([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/.exec(endpoint)?.[1] : undefined;
    if (region && epRegion && epRegion !== region) out.push(f(RULE, object, field, `${repo}-s3-endpoint=${endpoint} is in ${epRegion}, but the bucket is in ${region}`));
    const keyType = o('s3-key-type') ?? 'shared';
    const pods = podsMountingConfigMap(env, cm);
    for (const t of pods) {
      const id = identityOf(env, t.namespace, serviceAccountOf(t));
      if (keyType === 'pod-id' && !id.associations.length && id.irsaRoleArn) out.push(f(RULE, object, field, `${repo}-s3-key-type=pod-id, but ServiceAccount ${t.namespace}/${serviceAccountOf(t)} of ${t.ownerId} gets its role through IRSA (use web-id)`));
      if (keyType === 'web-id' && !id.irsaRoleArn && id.associations.length) out.push(f(RULE, object, field, `${repo}-s3-key-type=web-id, but ServiceAccount ${t.namespace}/${serviceAccountOf(t)} of ${t.ownerId} gets its role through EKS Pod Identity, which web-id does not read: give it an IRSA role (${IRSA_ANNOTATION})`));
      if (keyType !== 'web-id') continue;
      for (const c of containersMountingConfigMap(t, cm.metadata.name)) {
        const w = containerWebIdentity(env, t, c);
        if (w.complete) continue;
        const partial = w.explicit.roleArnDefined || w.explicit.tokenFileDefined;
        out.push(
          f(RULE, t.ownerId, `${c.path}.env`, `${repo}-s3-key-type=web-id (${object} ${field}), but container ${c.container.name} of ${t.ownerId} ${partial ? `sets only ${w.explicit.roleArnDefined ? WEB_IDENTITY_ENV.roleArn : WEB_IDENTITY_ENV.tokenFile} (the EKS pod identity webhook then adds neither)` : `gets neither ${WEB_IDENTITY_ENV.roleArn} nor ${WEB_IDENTITY_ENV.tokenFile}: it sets none and ${id.irsaRoleArn ? 'is skipped by the webhook (eks.amazonaws.com/skip-containers)' : `ServiceAccount ${t.namespace}/${serviceAccountOf(t)} has no ${IRSA_ANNOTATION} for the EKS pod identity webhook`}`}: pgBackRest stops with "option '${repo}-s3-key-type' is 'web-id' but '${WEB_IDENTITY_ENV.roleArn}' and '${WEB_IDENTITY_ENV.tokenFile}' are not set"`),
        );
      }
    }
    if (keyType === 'pod-id') out.push(f(RULE, object, field, `${repo}-s3-key-type=pod-id exists only from pgBackRest 2.58.0, as experimental, and the timescaledb-ha image installs pgBackRest unpinned: an older pgBackRest refuses the value. Use web-id (IRSA, in every release since 2.36)`));
    else if (keyType !== 'web-id') out.push(f(RULE, object, field, `${repo}-s3-key-type=${keyType}: pgBackRest would use ${keyType === 'shared' ? 'static access keys' : 'the node instance role'}, not the workload identity the templates grant the backup bucket to (use web-id)`));
    if (keyType === 'web-id') {
      for (const extra of ['s3-role', 's3-key', 's3-key-secret', 's3-token']) {
        if (o(extra) !== undefined) out.push(f(RULE, object, field, `${repo}-${extra} is set with ${repo}-s3-key-type=web-id: ${extra === 's3-role' ? 'pgBackRest allows it only with key-type auto (web-id takes the role from AWS_ROLE_ARN)' : 'web-id gets temporary credentials from STS; static keys must not be in the file'}`));
      }
    }
    const kms = checkKey(env, f, object, field, o('s3-kms-key-id'), bucket, `${repo}-s3-kms-key-id`);
    out.push(...kms.findings);
    const path = (o('path') ?? '/var/lib/pgbackrest').replace(/^\/+|\/+$/g, '');
    const access: Access = {
      what: `pgBackRest ${repo} s3://${bucketName}/${path}`,
      bucket: bucketName!,
      prefix: path ? `${path}/` : '',
      s3ObjectActions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      listBucket: true,
      ...(kms.key ? { key: kms.key } : {}),
      kmsActions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    };
    for (const t of pods) out.push(...checkAccess(env, f, t, access, object, field));
  }
  return out;
}

/** Shell words of a command line, quotes removed; `;`, `&&`, `|` kept as separate words. */
function shellWords(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|([;|&]+)|([^\s;|&"']+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

const CLI_VALUE_OPTIONS = new Set(['--sse', '--sse-kms-key-id', '--region', '--storage-class', '--exclude', '--include', '--acl', '--profile', '--endpoint-url', '--expected-size', '--content-type', '--cache-control', '--metadata', '--grants', '--sse-c', '--sse-c-key', '--page-size']);

function awsCli(env: RenderedEnvironment, f: MakeFinding, t: PodTemplate): Finding[] {
  const out: Finding[] = [];
  const region = templatesRegion(env);
  const buckets = bucketsByName(env);
  for (const { container, path } of containersOf(t)) {
    const field = `${path}.${container.args?.length && !container.command?.some((c: string) => /aws\s+s3/.test(c)) ? 'args' : 'command'}`;
    const words = shellWords([...(container.command ?? []), ...(container.args ?? [])].join(' '));
    for (let i = 0; i < words.length - 2; i++) {
      if (words[i] !== 'aws' || words[i + 1] !== 's3') continue;
      const op = words[i + 2];
      const positional: string[] = [];
      const options = new Map<string, string>();
      for (let j = i + 3; j < words.length && !/^[;|&]+$/.test(words[j]); j++) {
        const w = words[j];
        if (w.startsWith('--')) {
          const [k, v] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, CLI_VALUE_OPTIONS.has(w) ? words[++j] : ''];
          options.set(k, v);
        } else positional.push(w);
      }
      const cliRegion = options.get('--region');
      if (cliRegion && region && cliRegion !== region) out.push(f(RULE, t.ownerId, field, `aws s3 ${op} uses --region ${cliRegion}, but the templates deploy to ${region}`));
      positional.forEach((p, k) => {
        const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(p);
        if (!m) return;
        const [, bucketName, key] = m;
        const bucket = buckets.get(bucketName);
        if (!bucket) {
          out.push(f(RULE, t.ownerId, field, `aws s3 ${op} targets bucket ${bucketName}, which is no AWS::S3::Bucket BucketName of the templates (buckets: ${[...buckets.keys()].join(', ') || 'none'})`));
          return;
        }
        const upload = ['cp', 'sync', 'mv'].includes(op) && k === positional.length - 1 && positional.length >= 2;
        const download = ['cp', 'sync', 'mv'].includes(op) && !upload;
        const kmsRef = options.get('--sse-kms-key-id');
        const kms = checkKey(env, f, t.ownerId, field, upload ? kmsRef : undefined, bucket, `aws s3 ${op} --sse-kms-key-id`);
        out.push(...kms.findings);
        const prefix = key.split('$')[0];
        const access: Access = {
          what: `aws s3 ${op} ${p}`,
          bucket: bucketName,
              prefix,
          s3ObjectActions: upload ? ['s3:PutObject'] : download ? ['s3:GetObject'] : op === 'rm' ? ['s3:DeleteObject'] : [],
          listBucket: op === 'ls' || op === 'sync' || (options.has('--recursive') && !upload),
          ...(kms.key ? { key: kms.key } : {}),
          kmsActions: upload ? ['kms:GenerateDataKey', 'kms:Decrypt'] : download ? ['kms:Decrypt'] : [],
        };
        out.push(...checkAccess(env, f, t, access, t.ownerId, field));
      });
    }
  }
  return out;
}

export function backupTarget(env: RenderedEnvironment, f: MakeFinding): Finding[] {
  const out: Finding[] = [];
  for (const cm of ofKind(env, 'ConfigMap')) {
    for (const [key, text] of Object.entries<unknown>(cm.data ?? {})) {
      if (typeof text === 'string' && /^\s*repo\d+-type\s*=\s*s3\s*$/m.test(text)) out.push(...pgBackRest(env, f, cm, key, text));
    }
  }
  for (const t of kubeIndex(env).podTemplates) out.push(...awsCli(env, f, t));
  return out;
}
