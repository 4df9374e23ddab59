/**
 * `npm run synth [-- --out <dir>] [--report-resources]`: renders dist/cloudformation/<env>/, dist/k8s/<env>/,
 * dist/argocd/<env>/, dist/compose/ and dist/reports/<env>/ for every environment. No network, no AWS credentials.
 * Exit 1 with every violation listed when a config is invalid; exit 2 with the usage on stderr, before anything is
 * rendered, on an unknown argument, `--out` without a value, or `--help`.
 */
import * as path from 'path';
import { parseArgs } from 'node:util';
import { formatSourceError } from './source-errors';

const USAGE = `Usage: npm run synth [-- --out <dir>] [--report-resources]

Renders every environment into dist/ (CloudFormation, Kubernetes YAML, Argo CD, compose, reports).

Options:
  --out <dir>           render into <dir> instead of dist/: an empty or absent folder, or a previous render
                        (it holds .optibid-render.json and only the files that lists); anything else is refused
  --report-resources    print the render's peak memory as JSON ({"maxRssKiB": ...}) after the summary
  -h, --help            show this help (on stderr, exit 2: nothing is rendered)
`;

function usageExit(message?: string): never {
  process.stderr.write(`${message ? `synth: ${message}\n\n` : ''}${USAGE}`);
  process.exit(2);
}

let out: string | undefined;
let reportResources = false;
try {
  // `multiple` only so that --out given twice is refused instead of the last one winning.
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { out: { type: 'string', multiple: true }, 'report-resources': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) usageExit();
  if (positionals.length > 0) usageExit(`unexpected argument '${positionals[0]}'`);
  if (values.out && values.out.length > 1) usageExit('--out given twice');
  if (values.out?.[0] === '') usageExit('--out needs a directory');
  out = values.out?.[0];
  reportResources = values['report-resources'] === true;
} catch (err) {
  // parseArgs' own errors (code ERR_PARSE_ARGS_*) name the flag: `Unknown option '--x'`, `Option '--out <value>' argument missing`.
  if (String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) usageExit((err as Error).message);
  throw err;
}

// The render (and every source it imports) is loaded after the arguments are read: a usage error costs no compile,
// and a syntax error in a source file is reported as file:line:column, not as the transpiler's stack.
let render: typeof import('./render');
let k8sLib: typeof import('@optibid/constructs-lib/k8s');
let lib: typeof import('@optibid/constructs-lib');
let renderedLib: typeof import('@optibid/rendered');
try {
  render = require('./render') as typeof import('./render');
  lib = require('@optibid/constructs-lib') as typeof import('@optibid/constructs-lib');
  k8sLib = require('@optibid/constructs-lib/k8s') as typeof import('@optibid/constructs-lib/k8s');
  renderedLib = require('@optibid/rendered') as typeof import('@optibid/rendered');
} catch (err) {
  const formatted = formatSourceError(err);
  if (!formatted) throw err;
  console.error(`synth: ${formatted}\nNothing was written.`);
  process.exit(1);
}
const { formatSummary, renderAll, RenderTargetError, REPO_ROOT } = render;
const { ConfigValidationError } = lib;
const { PromqlError } = k8sLib;
const { RenderedReadError } = renderedLib;

const target = out !== undefined ? path.resolve(out) : path.join(REPO_ROOT, 'dist');
const t0 = process.hrtime.bigint();
try {
  const summaries = renderAll(target);
  for (const s of summaries) console.log(formatSummary(s));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`rendered ${summaries.length} environments to ${path.relative(process.cwd(), target) || '.'} in ${seconds.toFixed(2)} s`);
  if (reportResources) console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
} catch (err) {
  if (err instanceof ConfigValidationError) {
    console.error(err.message);
    console.error('Nothing was written.');
  } else if (err instanceof RenderTargetError || err instanceof PromqlError) {
    // A named rule was broken: the message says which and where, a stack trace would not help.
    console.error(`synth: ${err.message}`);
  } else if (err instanceof RenderedReadError) {
    // The committed render is read for the control-plane downgrade check: a file there that does not parse is named.
    console.error(`synth: the committed render cannot be read: ${err.message} (restore it with git checkout -- dist/)\nNothing was written.`);
  } else {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    console.error('Render failed; dist/ is unchanged.');
  }
  process.exit(1);
}
