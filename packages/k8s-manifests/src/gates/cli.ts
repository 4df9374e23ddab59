/**
 * The gates over rendered manifests: `node --import tsx packages/k8s-manifests/src/gates/cli.ts [--dir dist/k8s]`.
 *
 * For every environment folder under the directory: schema (ajv validators of kubernetes-models), schema-strict
 * (unknown fields, via TypeScript excess property checks), kustomization completeness, and the policy checks.
 * Prints every finding, then one summary line per environment; exits 1 if anything was found, 2 if the gate
 * could not run (bad arguments, missing directory, unparsable YAML).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadRenderedK8s } from './load';
import { POLICY_CHECKS } from './policy';
import { checkKustomization, KUSTOMIZATION_CHECK } from './schema/kustomization';
import { SCHEMA_CHECK, validateWithModels } from './schema/models-validate';
import { checkStrictTypes, SCHEMA_STRICT_CHECK } from './schema/strict-types';
import { formatFinding, type Finding, type RenderedObject } from './types';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const DEFAULT_DIR = path.join(REPO_ROOT, 'dist', 'k8s');

export type Gate = 'schema' | 'schema-strict' | 'kustomization' | 'policy';
const GATES: readonly Gate[] = ['schema', 'schema-strict', 'kustomization', 'policy'];

export interface GateResult {
  readonly findings: Finding[];
  /** Per environment, in folder order. */
  readonly summaries: string[];
  /** Milliseconds per gate. */
  readonly timings: Record<Gate, number>;
}

/** Runs the selected gates over every environment folder of `dir`. */
export async function runGates(dir: string, gates: readonly Gate[] = GATES): Promise<GateResult> {
  const envs = loadRenderedK8s(dir);
  const all: RenderedObject[] = [...envs.values()].flat();
  const findings: Finding[] = [];
  const timings: Record<Gate, number> = { schema: 0, 'schema-strict': 0, kustomization: 0, policy: 0 };
  const timed = async <T>(gate: Gate, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[gate] += performance.now() - t0;
    }
  };

  // One run over all environments: a single TypeScript program for every object is much cheaper than one per env.
  if (gates.includes('schema')) findings.push(...(await timed('schema', () => validateWithModels(all))));
  // Unresolved apiVersion/kinds are already reported by the schema gate.
  if (gates.includes('schema-strict')) findings.push(...(await timed('schema-strict', () => checkStrictTypes(all, { reportUnresolved: !gates.includes('schema') }))));
  for (const [env, objects] of envs) {
    if (gates.includes('kustomization')) findings.push(...(await timed('kustomization', () => checkKustomization(path.join(dir, env), env, objects))));
    if (gates.includes('policy')) {
      await timed('policy', () => {
        for (const check of POLICY_CHECKS) {
          try {
            findings.push(...check.run(objects));
          } catch (err) {
            findings.push({ check: check.name, env, file: '-', object: '-', message: `the check crashed: ${(err as Error).stack ?? err}` });
          }
        }
      });
    }
  }

  const order = [...envs.keys()];
  findings.sort((a, b) => order.indexOf(a.env) - order.indexOf(b.env) || a.file.localeCompare(b.file) || a.check.localeCompare(b.check));
  const summaries = order.map((env) => {
    const mine = findings.filter((f) => f.env === env);
    const count = (check: string) => mine.filter((f) => f.check === check).length;
    const policy = mine.length - count(SCHEMA_CHECK) - count(SCHEMA_STRICT_CHECK) - count(KUSTOMIZATION_CHECK);
    return (
      `${env}: ${envs.get(env)!.length} objects, ${mine.length} findings ` +
      `(schema ${count(SCHEMA_CHECK)}, schema-strict ${count(SCHEMA_STRICT_CHECK)}, policy ${policy}, kustomization ${count(KUSTOMIZATION_CHECK)})`
    );
  });
  return { findings, summaries, timings };
}

const USAGE = `usage: cli.ts [--dir <dist/k8s>] [--only <gate,...>]   (gates: ${GATES.join(', ')})`;

function parseArgs(argv: readonly string[]): { dir: string; gates: Gate[] } {
  let dir = DEFAULT_DIR;
  let gates: Gate[] = [...GATES];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--dir') dir = path.resolve(value());
    else if (flag === '--only') {
      gates = value().split(',').filter(Boolean) as Gate[];
      const bad = gates.filter((g) => !GATES.includes(g));
      if (bad.length || !gates.length) throw new Error(`unknown gate(s): ${bad.join(', ') || '(none)'}`);
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { dir, gates };
}

async function main(): Promise<number> {
  let args: { dir: string; gates: Gate[] };
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!fs.existsSync(args.dir) || !fs.statSync(args.dir).isDirectory()) {
    console.error(`no rendered manifests at ${args.dir} (run \`npm run synth\` first)`);
    return 2;
  }
  let result: GateResult;
  try {
    result = await runGates(args.dir, args.gates);
  } catch (err) {
    console.error(`the gate could not run: ${(err as Error).stack ?? err}`);
    return 2;
  }
  for (const f of result.findings) console.log(formatFinding(f));
  for (const s of result.summaries) console.log(s);
  const t = result.timings;
  console.log(
    `gates over ${path.relative(process.cwd(), args.dir) || '.'}: ${result.findings.length} findings ` +
      `(${args.gates.map((g) => `${g} ${Math.round(t[g])} ms`).join(', ')})`,
  );
  return result.findings.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
