/**
 * The CDK app `cdk.json` runs (`npx cdk synth|diff|deploy` from the repository root). It holds every environment;
 * select one with stack globs, e.g. `npx cdk deploy 'optibid-production-*'`.
 */
import { loadEnvironments } from '@optibid/constructs-lib';
import { buildAwsApp } from '../src/app';

const { app } = buildAwsApp(loadEnvironments());
app.synth();
