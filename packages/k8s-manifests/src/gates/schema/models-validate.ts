import { finding, type Finding, type RenderedObject } from '../types';
import { resolveModel } from './registry';

/** Check name of the runtime (ajv) schema validation. */
export const SCHEMA_CHECK = 'schema';

/** The slice of a kubernetes-models class this gate uses. */
interface ModelClass {
  new (data: unknown): { validate(): void };
  readonly apiVersion: string;
  readonly kind: string;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * kubernetes-models is ESM-only; a native dynamic import keeps it an ESM load when this file runs as CommonJS
 * under `node --import tsx`. (Inside jest, which cannot load these packages, the import rejects: see loadModel.)
 */
const importEsm = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

const classes = new Map<string, Promise<ModelClass>>();

function loadModel(specifier: string, className: string): Promise<ModelClass> {
  let p = classes.get(specifier);
  if (!p) {
    p = importEsm(specifier).then(
      (mod) => {
        const cls = mod[className] as ModelClass | undefined;
        if (typeof cls !== 'function') throw new Error(`${specifier} does not export the model class ${className}`);
        return cls;
      },
      (err: unknown) => {
        throw new Error(
          `cannot load ${specifier} (${(err as Error).message}). kubernetes-models is ESM-only: run the gate with ` +
            '`node --import tsx` (jest cannot load it; use checkStrictTypes there)',
        );
      },
    );
    classes.set(specifier, p);
  }
  return p;
}

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describeAjvError(e: AjvError): string {
  const where = pointerToPath(e.instancePath) || '<root>';
  let msg = e.message ?? e.keyword;
  const p = e.params ?? {};
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) msg += `: ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') msg += `: '${p.additionalProperty}'`;
  return `${where} ${msg}`;
}

/**
 * Validates every object with the ajv validator compiled into its kubernetes-models class (the published
 * Kubernetes OpenAPI schema, or the CRD's openAPIV3Schema for @kubernetes-models/* packages): types, required
 * fields, enums, formats, patterns. Unknown fields are NOT rejected by these validators: see checkStrictTypes.
 * An apiVersion/kind without a published schema is itself a finding.
 */
export async function validateWithModels(objects: readonly RenderedObject[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const o of objects) {
    const r = resolveModel(o.obj?.apiVersion, o.obj?.kind);
    if (!r.ok) {
      out.push(finding(SCHEMA_CHECK, o, r.reason));
      continue;
    }
    const Model = await loadModel(r.model.specifier, r.model.className);
    try {
      new Model(o.obj).validate();
    } catch (err) {
      const errors = (err as { errors?: AjvError[] }).errors;
      if (!Array.isArray(errors) || errors.length === 0) {
        out.push(finding(SCHEMA_CHECK, o, `${r.model.specifier}: ${(err as Error).message}`));
        continue;
      }
      for (const msg of new Set(errors.map(describeAjvError))) out.push(finding(SCHEMA_CHECK, o, `${msg} (${r.model.specifier})`));
    }
  }
  return out;
}
