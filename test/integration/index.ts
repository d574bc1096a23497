// Entry of the integration suite, loaded by the VS Code extension host (the @vscode/test-electron
// convention: extensionTestsPath points at this module's folder and run() is called). Runs every
// *.test.js bundled next to it (esbuild: test/integration/**/*.ts → out/test/integration/) with mocha.
// LOCKTRACE_TEST_GREP (set by `run.mjs --grep`) filters tests by name.
// Uses no `vscode` API itself (the tests do).
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) found.push(...findTests(p));
    else if (ent.name.endsWith('.test.js')) found.push(p);
  }
  return found.sort();
}

/**
 * The smoke suite first: it checks activation and the top of the locktrace output channel, which the
 * output panel only shows while the other suites have not filled the channel yet; then by name.
 */
function runOrder(files: string[]): string[] {
  const first = (f: string) => (path.basename(f) === 'smoke.test.js' ? 0 : 1);
  return [...files].sort((a, b) => first(a) - first(b) || a.localeCompare(b));
}

/** Runs the suite; rejects when a test failed or none ran, which makes the extension host exit non-zero. */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, reporter: 'spec', timeout: 30_000 });
  if (process.env.LOCKTRACE_TEST_GREP) mocha.grep(process.env.LOCKTRACE_TEST_GREP);
  const files = runOrder(findTests(__dirname));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    // a throw from mocha.run rejects the promise (the executor runs inside the Promise constructor)
    const runner = mocha.run((failures) => {
      console.log(`[locktrace-tests] mocha finished: ${runner.stats?.passes ?? 0} passed, ${failures} failed, ${files.length} file(s)`);
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else if (!runner.stats?.passes) reject(new Error('no test passed (none found, or all filtered out by LOCKTRACE_TEST_GREP)'));
      else resolve();
    });
  });
}
