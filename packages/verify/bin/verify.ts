import * as path from 'path';
import { main } from '../src/cli';

process.exitCode = main(process.argv.slice(2), path.resolve(__dirname, '../../..'));
