import { transformSync } from '@swc/core';
import { formatSourceError } from '../source-errors';

test("a syntax error from the sources' transpiler is shown as file:line:column and the code frame, without a stack", () => {
  let err: unknown;
  try {
    transformSync("export const dev = {\n  name: 'dev',\n  account:: '111111111111',\n};\n", { filename: '/repo/packages/constructs-lib/src/environments/dev.ts', jsc: { parser: { syntax: 'typescript' } } });
  } catch (e) {
    err = e;
  }
  const text = formatSourceError(err)!;
  expect(text).toMatch(/^\/repo\/packages\/constructs-lib\/src\/environments\/dev\.ts:\d+:\d+: Expression expected\n/);
  expect(text).toContain("account:: '111111111111'");
  expect(text).not.toMatch(/Stack backtrace|at .*index\.js/);
  expect(formatSourceError(new Error('ENOENT: no such file'))).toBeUndefined();
});
