import * as path from 'path';
import { main } from '../src/cli';

// --report-resources (used by npm run bench): print the process's peak RSS as a JSON line at the end.
const report = process.argv.includes('--report-resources');
process.exitCode = main(
  process.argv.slice(2).filter((a) => a !== '--report-resources'),
  path.resolve(__dirname, '../../..'),
);
if (report) console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
