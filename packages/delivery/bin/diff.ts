/** Entry point of `npm run diff`: see src/diff/cli.ts for the options. */
import { main } from '../src/diff/cli';

// exitCode rather than exit(): lets stdout drain when it is a pipe (CI logs).
process.exitCode = main(process.argv.slice(2));
