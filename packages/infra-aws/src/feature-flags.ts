/**
 * CDK feature flags, in code rather than in cdk.json so `npx cdk synth` and `npm run synth` (which builds the App
 * itself) produce identical templates.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/core:target-partitions': ['aws'],
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-eks:defaultToAL2023': true,
  // cluster.openIdConnectProvider as a native AWS::IAM::OIDCProvider, not the deprecated custom-resource provider.
  '@aws-cdk/aws-eks:useNativeOidcProvider': true,
  '@aws-cdk/aws-ec2:restrictDefaultSecurityGroup': true,
  '@aws-cdk/aws-kms:aliasNameRef': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope': true,
  // Exports stay protected while a consumer stack imports them (CloudFormation's own behaviour).
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
};
