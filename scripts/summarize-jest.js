// Sums jest --json result files into the one closing line CI reads: "tests: N passed, N failed". Above it, each failed
// test with the head of its failure message: CI keeps only the tail of a long log, and a failure far up in a
// real-server file's output would otherwise be reported as a count without a reason.
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const MESSAGE_LINES = 12;
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');
// Stack frames of jest itself and of Node's internals say nothing about the failure.
const noise = (line) => line.trim() === '' || /^\s*at .*(node_modules|node:internal|<anonymous>)/.test(line);
const head = (text) => {
  const lines = plain(text).split('\n').filter((l) => !noise(l));
  const shown = lines.slice(0, MESSAGE_LINES).map((l) => `      ${l}`);
  if (lines.length > MESSAGE_LINES) shown.push(`      … ${lines.length - MESSAGE_LINES} more line(s) in the jest output above`);
  return shown.join('\n');
};
let passed = 0;
let failed = 0;
const failures = [];
for (const f of fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  for (const file of r.testResults ?? []) {
    const where = path.relative(process.cwd(), file.name);
    // A file that failed to run (syntax error, a throw at load, an afterAll error) has no failed assertion to show.
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) {
      failures.push(`  ${f.replace(/\.json$/, '')}: ${where}\n${head(file.message || '(no message)')}`);
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      failures.push(`  ${f.replace(/\.json$/, '')}: ${where} › ${a.fullName}\n${head((a.failureMessages ?? []).join('\n'))}`);
    }
  }
}
if (failures.length) console.log(`failed tests:\n${failures.join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
