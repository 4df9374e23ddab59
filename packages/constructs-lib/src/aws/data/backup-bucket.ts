import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import type { PlatformNames } from '../../naming/naming';
import { PlatformKey } from '../security/platform-key';

export interface BackupBucketProps {
  readonly config: EnvironmentConfig;
  readonly names: PlatformNames;
}

/**
 * The backup bucket (pgBackRest repository, Redis snapshots): named by the naming module, SSE-KMS with its own
 * rotating key, versioned, public access blocked, TLS-only, lifecycle to colder storage then expiry, and server
 * access logs to a separate bucket (S3 access logging cannot write to an SSE-KMS bucket).
 */
export class BackupBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const { config, names } = props;
    const b = config.backups;
    this.key = new PlatformKey(this, 'Key', { alias: names.kms.backups, description: `${names.prefix} backups` }).key;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      bucketName: names.backup.logBucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(b.expirationDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: names.backup.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: names.backup.accessLogPrefix,
      lifecycleRules: [
        {
          id: 'tier-and-expire-backups',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(b.transitionToInfrequentAccessDays) },
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(b.transitionToGlacierDays) },
          ],
          expiration: Duration.days(b.expirationDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
