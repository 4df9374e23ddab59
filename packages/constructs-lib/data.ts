// Subpath entry: import { loadEnvironment, platformNames, KUBERNETES_VERSIONS } from '@optibid/constructs-lib/data'.
// The data layer only: config schema and validation, environments, naming, versions, sizing, util. It imports no
// construct library (aws-cdk-lib, cdk8s, constructs, ...; test/data-layer.test.ts proves it), so it loads in a few ms.
export * from './src/config/schema';
export * from './src/config/validate';
export * from './src/config/app-schema';
export * from './src/config/database-schema';
export * from './src/config/redis-schema';
export * from './src/config/monitoring-schema';
export * from './src/config/delivery-schema';
export * from './src/environments';
export * from './src/naming/naming';
export * from './src/naming/services';
export * from './src/versions/kubernetes';
export * from './src/versions/instance-types';
export * from './src/versions/charts';
export * from './src/versions/regions';
export * from './src/versions/platform';
export * from './src/versions/images';
export * from './src/sizing/namespace-footprint';
export * from './src/sizing/postgres-parameters';
export * from './src/sizing/container-resources';
export * from './src/util/cidr';
export * from './src/util/quantity';
export * from './src/util/closest';
export * from './src/util/integer-regex';
