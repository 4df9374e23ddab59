/**
 * The test command's closing lines (scripts/summarize-jest.js): the count CI reads, and above it every failed test
 * with the head of its reason, since CI keeps only the tail of the log.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../render';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'summarize-jest.js');

function summarize(results: Record<string, unknown>): { status: number | null; stdout: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'summarize-jest-'));
  try {
    for (const [name, r] of Object.entries(results)) fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(r));
    const r = spawnSync(process.execPath, [SCRIPT, dir], { cwd: REPO_ROOT, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const passing = { numPassedTests: 3, numFailedTests: 0, numRuntimeErrorTestSuites: 0, testResults: [{ name: path.join(REPO_ROOT, 'a.test.ts'), status: 'passed', message: '', assertionResults: [{ status: 'passed', fullName: 'a works', failureMessages: [] }] }] };

test('all passing: the count only', () => {
  const r = summarize({ unit: passing });
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('tests: 3 passed, 0 failed\n');
});

test('a failed assertion is listed with its tier, file, name and the head of its message, ANSI colours removed', () => {
  const message = ['\u001b[31mError: backup job (full) exited 1:\u001b[39m', 'P00   INFO: backup command begin', 'P00  ERROR: [082]: WAL segment was not archived before the 60000ms timeout', '    at callAsyncCircusFn (/repo/node_modules/jest-circus/build/jestAdapterInit.js:1774:10)', '    at new Promise (<anonymous>)', ...Array.from({ length: 20 }, (_, i) => `    at line ${i}`)].join('\n');
  const failing = {
    numPassedTests: 5,
    numFailedTests: 1,
    numRuntimeErrorTestSuites: 0,
    testResults: [{ name: path.join(REPO_ROOT, 'tests/real-servers/postgres-lifecycle.test.ts'), status: 'failed', message: message, assertionResults: [{ status: 'passed', fullName: '(d) archives' }, { status: 'failed', fullName: 'a full backup', failureMessages: [message] }] }],
  };
  const r = summarize({ unit: passing, 'real-servers': failing });
  expect(r.status).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe('failed tests:');
  expect(lines[1]).toBe('  real-servers: tests/real-servers/postgres-lifecycle.test.ts › a full backup');
  expect(lines[2]).toBe('      Error: backup job (full) exited 1:');
  expect(r.stdout).toContain('ERROR: [082]: WAL segment was not archived');
  expect(r.stdout).toContain('… 11 more line(s)');
  expect(r.stdout).not.toContain('at line 19');
  expect(r.stdout).not.toMatch(/jest-circus|<anonymous>/); // jest's own frames are left out
  expect(lines[lines.length - 1]).toBe('tests: 8 passed, 1 failed');
});

test('a file that failed to run (no failed assertion) is listed with its message', () => {
  const broken = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 1, testResults: [{ name: path.join(REPO_ROOT, 'b.test.ts'), status: 'failed', message: '  ● Test suite failed to run\n\n    SyntaxError: Unexpected token', assertionResults: [] }] };
  const r = summarize({ render: broken });
  expect(r.stdout).toContain('  render: b.test.ts\n');
  expect(r.stdout).toContain('SyntaxError: Unexpected token');
  expect(r.stdout.trimEnd().split('\n').pop()).toBe('tests: 0 passed, 1 failed');
});
