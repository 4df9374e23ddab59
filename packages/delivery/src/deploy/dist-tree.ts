/** Reading the rendered tree: file listings and single objects of `dist/k8s/<env>`. */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** Every file under `dir`, relative, with `/`, sorted; [] when the directory does not exist. */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** A rendered object (one document per file), or undefined when the file is missing or not a mapping. */
export function readObject(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const doc: unknown = parse(fs.readFileSync(file, 'utf8'));
  return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}
