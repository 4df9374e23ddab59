import { Document, isMap, isScalar, type YAMLMap } from 'yaml';

/**
 * YAML with comments: a header above the document and a comment above chosen keys. `comments` maps a dotted key
 * path (`spec.syncPolicy`, `services.redis`) to its comment; a path that does not exist in `value` throws, so a
 * comment can never silently drift away from the key it explains. Lines are wrapped only where written.
 */
export function commentedYaml(value: unknown, header: string, comments: Readonly<Record<string, string>> = {}): string {
  const doc = new Document(value);
  doc.commentBefore = prefixLines(header);
  for (const [dotted, comment] of Object.entries(comments)) {
    const keys = dotted.split('.');
    const parent = keys.length === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
    const pair = isMap(parent) ? (parent as YAMLMap).items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === keys[keys.length - 1]) : undefined;
    if (!pair || !isScalar(pair.key)) throw new Error(`commentedYaml: no key '${dotted}' to attach a comment to`);
    pair.key.commentBefore = prefixLines(comment);
  }
  return doc.toString({ lineWidth: 0 });
}

/** The yaml library writes `#` + the text: a leading space keeps `# text` readable; empty lines stay `#`. */
function prefixLines(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
}
