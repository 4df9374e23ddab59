import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig, loadEnvironment, platformNames, PlatformNames } from '@optibid/constructs-lib';
import { buildAwsApp, EnvironmentStacks } from '../src/app';

export interface BuiltEnvironment {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
  readonly stacks: EnvironmentStacks;
  readonly templates: Record<keyof EnvironmentStacks, Template>;
}

let outRoot: string | undefined;
afterAll(() => {
  if (outRoot) fs.rmSync(outRoot, { recursive: true, force: true });
});

/**
 * A cloud-assembly folder for one App, removed after the test file. An App given no outdir synthesises into a
 * mkdtemp(os.tmpdir()/cdk.out) that nothing removes (aws-cdk-lib core/lib/private/synthesis.ts); CDK_OUTDIR is no
 * substitute, since it also turns on every App's autoSynth at process exit (core/lib/app.ts).
 */
export function testOutdir(): string {
  outRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), 'optibid-infra-aws-test-'));
  return fs.mkdtempSync(path.join(outRoot, 'cdk.out-'));
}

/** Builds one environment's stacks (no validation plugins: those have their own test) and their templates. */
export function buildEnvironment(name: string): BuiltEnvironment {
  const config = loadEnvironment(name);
  const { environments } = buildAwsApp([config], { outdir: testOutdir(), cloudFormationValidation: false, disableAssetStaging: true });
  const stacks = environments[name];
  const templates = Object.fromEntries(Object.entries(stacks).map(([k, s]) => [k, Template.fromStack(s)])) as BuiltEnvironment['templates'];
  return { config, names: platformNames(config), stacks, templates };
}

/** Resources of one type as [logicalId, resource] pairs. */
export function resourcesOf(t: Template, type: string): [string, { Properties: Record<string, any>; DependsOn?: string[] }][] {
  return Object.entries(t.findResources(type)) as never;
}

/** Helm chart `Values` is a JSON string (possibly joined with tokens); this parses it with tokens as "<token>". */
export function helmValues(props: Record<string, any>): any {
  const v = props.Values;
  if (typeof v === 'string') return JSON.parse(v);
  const parts = v['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : '<token>')).join(''));
}
