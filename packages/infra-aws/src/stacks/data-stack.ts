import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BackupBucket, PlatformSecrets } from '@optibid/constructs-lib/aws';
import type { PlatformStackProps } from './stack-props';

/** Stateful AWS resources the cluster's workloads use: the backup bucket and its key, the Secrets Manager secrets. */
export class DataStack extends Stack {
  readonly backupBucket: s3.Bucket;
  readonly backupKey: kms.Key;
  readonly secrets: PlatformSecrets;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const backups = new BackupBucket(this, 'Backups', { config: props.config, names: props.names });
    this.backupBucket = backups.bucket;
    this.backupKey = backups.key;
    this.secrets = new PlatformSecrets(this, 'Secrets', { names: props.names });
  }
}
