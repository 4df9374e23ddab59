/** Tier 4: real Debian servers on loopback, configured from dist/. Serial: they share the machine's ports and CPU. */
module.exports = { ...require('./jest.base.config.js'), rootDir: __dirname, roots: ['<rootDir>/tests'], testMatch: ['<rootDir>/tests/real-servers/**/*.test.ts'], testTimeout: 600000, maxWorkers: 1,
  // A handle a test left open (a socket of a stopped server, a stub's keep-alive) must not hang CI after the last file:
  // the servers themselves are killed by runtime.ts when the process exits.
  forceExit: true };
