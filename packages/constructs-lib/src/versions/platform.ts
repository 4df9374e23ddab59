/**
 * Version of the platform configuration: the `app.kubernetes.io/version` label of objects that are configuration
 * rather than a versioned application (namespaces, policies, issuers). Bump it with a release of this repository.
 */
export const PLATFORM_VERSION = '0.2.0';
