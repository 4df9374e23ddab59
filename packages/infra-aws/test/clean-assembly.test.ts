import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { loadEnvironments } from '@optibid/constructs-lib';
import { assertCleanAssembly, buildAwsApp } from '../src/app';
import { testOutdir } from './support';

describe('assertCleanAssembly', () => {
  test('passes for every platform environment (zone lookups answered by committed context)', () => {
    const { app } = buildAwsApp(loadEnvironments(), { outdir: testOutdir(), cloudFormationValidation: false, disableAssetStaging: true });
    const assembly = app.synth();
    expect(() => assertCleanAssembly(assembly)).not.toThrow();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('fails a synthesis that needed an AWS lookup (dummy values must never reach a template)', () => {
    const app = new App({ outdir: testOutdir() });
    const stack = new Stack(app, 'NeedsLookup', { env: { account: '999999999999', region: 'us-west-2' } });
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 3 });
    expect(() => assertCleanAssembly(app.synth())).toThrow(/availability-zones:account=999999999999/);
  });
});
