import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadEnvironments } from '@optibid/constructs-lib';
import { buildAwsApp } from '../src/app';

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}

/** Synthesizes with the AwsSolutions pack (and CDK's CloudFormation validation) and returns the report's violations. */
function synthWithNag(app: App, outdir: string): { threw: boolean; violations: Violation[] } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let threw = false;
  try {
    app.synth();
  } catch {
    threw = true;
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  const violations = (report.pluginReports as { violations: Violation[] }[]).flatMap((r) => r.violations);
  return { threw, violations };
}

const describeViolation = (v: Violation) => `${v.ruleName} (${v.severity}) at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`;

describe('cdk-nag AwsSolutions', () => {
  test('zero unsuppressed findings and no CloudFormation validation errors on every stack of every environment', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
    const { app } = buildAwsApp(loadEnvironments(), { outdir, disableAssetStaging: true, cloudFormationValidation: true });
    const { threw, violations } = synthWithNag(app, outdir);
    const blocking = violations.filter((v) => v.severity === 'error' || v.severity === 'fatal');
    expect(blocking.map(describeViolation)).toEqual([]);
    expect(threw).toBe(false);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('the harness catches a finding (negative control: an unlogged, unencrypted-in-transit bucket)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-neg-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Negative', { env: { account: '111111111111', region: 'us-west-2' } });
    new s3.Bucket(stack, 'Sloppy');
    const { threw, violations } = synthWithNag(app, outdir);
    expect(threw).toBe(true);
    expect(violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('every acknowledgement carries a specific reason', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-ack-'));
    const { app } = buildAwsApp(loadEnvironments(), { outdir, disableAssetStaging: true, cloudFormationValidation: false });
    app.synth();
    const acks: Record<string, string> = {};
    const visit = (c: import('constructs').IConstruct) => {
      for (const m of c.node.metadata) {
        if (m.type === 'aws:cdk:acknowledged-rules') Object.assign(acks, m.data as Record<string, string>);
      }
      c.node.children.forEach(visit);
    };
    visit(app);
    const ours = Object.entries(acks).filter(([id]) => id.includes('AwsSolutions'));
    expect(ours.length).toBeGreaterThan(10);
    for (const [id, reason] of ours) expect(`${id}: ${reason}`).toMatch(/: .{40,}/);
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});
