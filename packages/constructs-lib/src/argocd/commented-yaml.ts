import { Document, isMap, isScalar, Scalar, visit, type YAMLMap } from 'yaml';

/**
 * YAML with comments: a header above the document and a comment above chosen keys. `comments` maps a dotted key
 * path (`spec.syncPolicy`, `services.redis`) to its comment; a path that does not exist in `value` throws, so a
 * comment can never silently drift away from the key it explains. Lines are wrapped only where written.
 */
export function commentedYaml(value: unknown, header: string, comments: Readonly<Record<string, string>> = {}): string {
  // No anchors/aliases for repeated objects: every value is written out where it is used.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  // Strings a YAML 1.1 reader would take for a number or a boolean (`22:22` is sexagesimal there, `on` is
  // true) are quoted, so every consumer reads the same string.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && YAML11_NON_STRING.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
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

const YAML11_NON_STRING = /^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE)$/;

/** The yaml library writes `#` + the text: a leading space keeps `# text` readable; an empty line stays a blank line. */
function prefixLines(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
}
