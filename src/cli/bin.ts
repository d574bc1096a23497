// Executable entry of the `locktrace` command (bundled to out/cli.js). Kept apart from main.ts so
// bundles that import the CLI (benchmarks, tests) do not start it.
import { main } from './main';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`locktrace: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  },
);
