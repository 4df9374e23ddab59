/**
 * A TypeScript syntax error met while loading the sources (ts-node's swc transpiler throws it at require time), as
 * `file:line:column: message` and swc's code frame, without the transpiler's stack and Rust backtrace.
 */
export function formatSourceError(err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err);
  const where = /,-\[([^\]\n]+):(\d+):(\d+)\]/.exec(text);
  if (!where || !/Syntax Error|Expected|expected/.test(text)) return undefined;
  const message = /x ([^\n]+)/.exec(text)?.[1]?.trim() ?? 'syntax error';
  const frame = text.slice(text.indexOf(where[0])).split('\n').slice(0, 9).join('\n');
  return `${where[1]}:${where[2]}:${where[3]}: ${message}\n${frame.replace(/\n\s*Caused by:[\s\S]*$/, '')}`;
}
