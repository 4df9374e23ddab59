import { createRequire } from 'module';
import { objectFinding, type Finding, type RenderedObject } from '@optibid/rendered';
import { resolveModel } from './registry';
import { SCHEMA_CHECK } from './unknown-fields';

/** Rule of the published (ajv) schema validation. */
export const PUBLISHED_SCHEMA_RULE = 'published-schema';

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
 * kubernetes-models is ESM-only (no top-level await): Node loads it with a synchronous require() since 20.19 / 22.12
 * (require(esm), https://nodejs.org/api/modules.html#loading-ecmascript-modules-using-require); under jest the
 * packages are transformed to CommonJS (transformIgnorePatterns in jest.config.js).
 */
const requireModel = createRequire(__filename);

const classes = new Map<string, ModelClass>();

function loadModel(specifier: string, file: string, className: string): ModelClass {
  let cls = classes.get(specifier);
  if (!cls) {
    let mod: Record<string, unknown>;
    try {
      // By file: the packages' "exports" only define the `import` condition, which require() does not match.
      mod = requireModel(file) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`cannot load ${specifier} (${(err as Error).message}): Node >= 20.19 loads these ESM packages with require()`);
    }
    cls = mod[className] as ModelClass | undefined;
    if (typeof cls !== 'function') throw new Error(`${specifier} does not export the model class ${className}`);
    classes.set(specifier, cls);
  }
  return cls;
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
 * fields, enums, formats, patterns. Unknown fields are NOT rejected by these validators: see unknown-fields.ts.
 * An apiVersion/kind without a published schema is itself a finding.
 */
export function validateWithModels(objects: readonly RenderedObject[]): Finding[] {
  const out: Finding[] = [];
  for (const o of objects) {
    const r = resolveModel(o.obj?.apiVersion, o.obj?.kind);
    if (!r.ok) {
      out.push(objectFinding(SCHEMA_CHECK, PUBLISHED_SCHEMA_RULE, o, r.reason));
      continue;
    }
    const Model = loadModel(r.model.specifier, r.model.dtsPath.replace(/\.d\.ts$/, '.js'), r.model.className);
    try {
      new Model(o.obj).validate();
    } catch (err) {
      const errors = (err as { errors?: AjvError[] }).errors;
      if (!Array.isArray(errors) || errors.length === 0) {
        out.push(objectFinding(SCHEMA_CHECK, PUBLISHED_SCHEMA_RULE, o, `${r.model.specifier}: ${(err as Error).message}`));
        continue;
      }
      for (const msg of new Set(errors.map(describeAjvError))) out.push(objectFinding(SCHEMA_CHECK, PUBLISHED_SCHEMA_RULE, o, `${msg} (${r.model.specifier})`));
    }
  }
  return out;
}
