/** Reading the rendered tree: file listings and single objects of `dist/k8s/<env>`. */
import * as fs from 'fs';
import { parse } from 'yaml';
import { filesUnder } from '@optibid/rendered';

/** Every file under `dir`, relative, with `/`, sorted; [] when the directory does not exist. */
export function listTree(dir: string): string[] {
  return filesUnder(dir).sort();
}

/** A rendered object (one document per file), or undefined when the file is missing or not a mapping. */
export function readObject(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const doc: unknown = parse(fs.readFileSync(file, 'utf8'));
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}
