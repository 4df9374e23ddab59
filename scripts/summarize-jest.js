// Sums jest --json result files into the one closing line CI reads: "tests: N passed, N failed".
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
let passed = 0;
let failed = 0;
for (const f of fs.readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
