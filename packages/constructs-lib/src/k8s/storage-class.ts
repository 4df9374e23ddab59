import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

export interface EncryptedGp3StorageClassProps {
  readonly name: string;
  /** EBS CSI provisioner name (naming module). */
  readonly provisioner: string;
  /** KMS key (alias ARN from the naming module) the EBS CSI driver encrypts volumes with. */
  readonly kmsKeyId: string;
  readonly labels: Record<string, string>;
}

/**
 * The default StorageClass: gp3, encrypted with the platform's EBS key, bound when the pod is scheduled (so the
 * volume lands in the pod's zone), expandable, and retained when the claim is deleted (database volumes outlive
 * a mistaken `kubectl delete pvc`).
 */
export class EncryptedGp3StorageClass extends Construct {
  constructor(scope: Construct, id: string, props: EncryptedGp3StorageClassProps) {
    super(scope, id);
    new k8s.KubeStorageClass(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: props.provisioner,
      parameters: { type: 'gp3', encrypted: 'true', kmsKeyId: props.kmsKeyId, 'csi.storage.k8s.io/fstype': 'ext4' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
    });
  }
}
