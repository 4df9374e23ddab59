/**
 * Step 1: preflight. Read-only checks that every tool, the cluster context, the AWS account and dist/ are right
 * before anything is planned or changed. Every check runs and all failures are reported together (fixing them one
 * run at a time is slow); each failure says what is wrong and how to fix it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DeployContext } from './context';
import { firstLine } from './runner';

/** Is dist/ exactly what the source renders, and committed? scripts/deploy.ts wires the real check (freshness.ts). */
export interface DistFreshness {
  check(): { fresh: boolean; details: string };
}

export interface Version {
  readonly major: number;
  readonly minor: number;
}

/** `aws-cli/2.17.3 Python/3.11.9 Linux/6.1 exe/x86_64` */
export function parseAwsCliVersion(out: string): Version | undefined {
  const m = /aws-cli\/(\d+)\.(\d+)/.exec(out);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** `2.1148.1 (build fcf5e34)` */
export function parseCdkVersion(out: string): Version | undefined {
  const m = /^\s*(\d+)\.(\d+)\.\d+/.exec(out);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** `kubectl version --client -o json`; the minor may carry a `+` (vendor builds, e.g. "32+"). */
export function parseKubectlClientVersion(json: string): Version | undefined {
  try {
    const v = (JSON.parse(json) as { clientVersion?: { major?: string; minor?: string } }).clientVersion;
    const major = parseInt(v?.major ?? '', 10);
    const minor = parseInt(v?.minor ?? '', 10);
    return Number.isFinite(major) && Number.isFinite(minor) ? { major, minor } : undefined;
  } catch {
    return undefined;
  }
}

/** `1.35` */
export function parseKubernetesVersion(v: string): Version {
  const [major, minor] = v.split('.').map((p) => parseInt(p, 10));
  return { major, minor };
}

/** kubectl supports one minor version of skew either way with the API server. */
export function kubectlSkewOk(client: Version, server: Version): boolean {
  return client.major === server.major && Math.abs(client.minor - server.minor) <= 1;
}

function pinnedCdkVersion(repoRoot: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    return pkg.devDependencies?.['aws-cdk'];
  } catch {
    return undefined;
  }
}

export interface PreflightResult {
  readonly ok: boolean;
  readonly failures: readonly string[];
}

export async function runPreflight(ctx: DeployContext, freshness: DistFreshness): Promise<PreflightResult> {
  const { runner, config, names } = ctx;
  const failures: string[] = [];
  const server = parseKubernetesVersion(config.cluster.kubernetesVersion);
  const skewRange = `${server.major}.${server.minor - 1}-${server.major}.${server.minor + 1}`;

  // aws
  const aws = await runner.run({ cmd: 'aws', args: ['--version'] });
  const awsVersion = parseAwsCliVersion(`${aws.stdout}\n${aws.stderr}`);
  let awsUsable = false;
  if (aws.notFound) failures.push('aws: not found on PATH. Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html');
  else if (!awsVersion) failures.push(`aws: cannot read the version from 'aws --version' (exit ${aws.code}: ${firstLine(aws.stdout + aws.stderr)}); AWS CLI v2 is required`);
  else if (awsVersion.major !== 2)
    failures.push(
      `aws: aws-cli/${awsVersion.major}.${awsVersion.minor} found, aws-cli/2.x required (v1 is not supported by this tool). Install v2 and put it first on PATH: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html`,
    );
  else awsUsable = true;

  // cdk
  const cdk = await runner.run({ cmd: 'cdk', args: ['--version'] });
  const cdkVersion = parseCdkVersion(cdk.stdout);
  const pinned = pinnedCdkVersion(ctx.repoRoot);
  const cdkFix = `run the deploy through 'npm run deploy' after 'npm ci' (puts node_modules/.bin/cdk${pinned ? `, aws-cdk ${pinned},` : ''} on PATH) or install it: npm install -g aws-cdk${pinned ? `@${pinned}` : '@2'}`;
  if (cdk.notFound) failures.push(`cdk: not found on PATH. ${cdkFix}`);
  else if (!cdkVersion) failures.push(`cdk: cannot read the version from 'cdk --version' (exit ${cdk.code}: ${firstLine(cdk.stdout + cdk.stderr)}). ${cdkFix}`);
  else if (cdkVersion.major !== 2) failures.push(`cdk: version ${firstLine(cdk.stdout)} found, 2.x required. ${cdkFix}`);

  // kubectl
  const kubectlHint = `Install kubectl ${skewRange} (the cluster runs Kubernetes ${config.cluster.kubernetesVersion}; kubectl supports one minor version of skew): https://kubernetes.io/docs/tasks/tools/`;
  const kc = await runner.run({ cmd: 'kubectl', args: ['version', '--client', '-o', 'json'] });
  const kcVersion = parseKubectlClientVersion(kc.stdout);
  if (kc.notFound) failures.push(`kubectl: not found on PATH. ${kubectlHint}`);
  else if (!kcVersion) failures.push(`kubectl: cannot read the client version from 'kubectl version --client -o json' (exit ${kc.code}: ${firstLine(kc.stderr || kc.stdout)}). ${kubectlHint}`);
  else if (!kubectlSkewOk(kcVersion, server)) failures.push(`kubectl: client ${kcVersion.major}.${kcVersion.minor} is outside ${skewRange}. ${kubectlHint}`);

  // git
  const git = await runner.run({ cmd: 'git', args: ['--version'] });
  if (git.notFound) failures.push('git: not found on PATH. Install git (the deploy records and rolls back to git revisions): https://git-scm.com/downloads');
  else if (git.code !== 0) failures.push(`git: 'git --version' failed (exit ${git.code}: ${firstLine(git.stderr)})`);

  // The kube context: what `aws eks update-kubeconfig` writes for this cluster.
  const updateKubeconfig = `aws eks update-kubeconfig --name ${names.clusterName} --region ${names.region}`;
  if (!kc.notFound) {
    const cur = await runner.run({ cmd: 'kubectl', args: ['config', 'current-context'] });
    const active = cur.stdout.trim();
    if (cur.code !== 0 || active === '')
      failures.push(`kube context: none is active (${firstLine(cur.stderr) || 'no current-context'}); need '${ctx.kubeContext}'. Run: ${updateKubeconfig}`);
    else if (active !== ctx.kubeContext)
      failures.push(
        `kube context: '${active}' is active, need '${ctx.kubeContext}' (cluster ${names.clusterName}). Run: ${updateKubeconfig} (writes and selects that context; or 'kubectl config use-context ${ctx.kubeContext}' if it already exists)`,
      );
  }

  // AWS credentials for the environment's account (cdk would otherwise fail later, in the plan).
  if (awsUsable) {
    const who = await runner.run({ cmd: 'aws', args: ['sts', 'get-caller-identity', '--query', 'Account', '--output', 'text'] });
    const account = who.stdout.trim();
    if (who.code !== 0)
      failures.push(`AWS credentials: 'aws sts get-caller-identity' failed (${firstLine(who.stderr) || `exit ${who.code}`}). Sign in to account ${names.account} (aws sso login, or set AWS_PROFILE)`);
    else if (account !== names.account)
      failures.push(`AWS credentials: signed in to account ${account}, environment ${config.name} is in account ${names.account}. Switch AWS_PROFILE (or sign in) to ${names.account}`);
  }

  // dist/ is what the source renders, and committed (a deploy must be reproducible from a commit).
  const dist = freshness.check();
  if (!dist.fresh) failures.push(`dist/: ${dist.details}`);

  return { ok: failures.length === 0, failures };
}
