/** Tests of the repository scripts (render, bench helpers): tier 3 checks over the rendered output. */
module.exports = { ...require('./jest.base.config.js'), rootDir: __dirname, roots: ['<rootDir>/scripts'], testMatch: ['<rootDir>/scripts/test/**/*.test.ts'] };
