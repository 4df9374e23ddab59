/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // kubernetes-models publishes ES modules only: jest runs them as CommonJS (Node itself loads them with require(esm)).
    '^.+/node_modules/(@kubernetes-models|kubernetes-models|is-cidr|cidr-regex)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes-models|kubernetes-models|is-cidr|cidr-regex)/)'],
  // ... and resolves their package "exports", which define only the `import` condition.
  resolver: require.resolve('./jest.resolver.js'),
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
  // The real-server tier's Debian 13 root (scripts/real-servers/debian13-root.sh) is not source.
  modulePathIgnorePatterns: ['<rootDir>/.cache/'],
};
