import { KubectlV28Layer } from '@aws-cdk/lambda-layer-kubectl-v28';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { KUBERNETES_VERSIONS } from '../../versions/kubernetes';

/**
 * The kubectl/helm Lambda layer constructs, by the npm package that provides them (the data table
 * versions/kubernetes.ts names the package per control-plane version; it imports no construct library).
 */
export const KUBECTL_LAYERS: Readonly<Record<string, new (scope: Construct, id: string) => ILayerVersion>> = {
  '@aws-cdk/lambda-layer-kubectl-v28': KubectlV28Layer,
  '@aws-cdk/lambda-layer-kubectl-v35': KubectlV35Layer,
  '@aws-cdk/lambda-layer-kubectl-v36': KubectlV36Layer,
};

/** Creates the kubectl layer the CDK kubectl provider must use for a control plane at `kubernetesVersion`. */
export function kubectlLayer(scope: Construct, id: string, kubernetesVersion: string): ILayerVersion {
  const spec = KUBERNETES_VERSIONS[kubernetesVersion];
  const Layer = spec && KUBECTL_LAYERS[spec.kubectlLayerPackage];
  if (!Layer) throw new Error(`Kubernetes ${kubernetesVersion} has no kubectl layer (${spec ? `${spec.kubectlLayerPackage} is not in KUBECTL_LAYERS` : 'not in KUBERNETES_VERSIONS'})`);
  return new Layer(scope, id);
}
