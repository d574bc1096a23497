#!/usr/bin/env node
// Entry point of `npm run test:vscode`: runs the integration suite (out/test/integration) in a real
// VS Code extension host and exits with the suite's status. Two routes:
//   - VSCODE_EXECUTABLE=/path/to/code  → @vscode/test-electron's runTests with that binary (never downloads);
//   - otherwise                         → code-server + headless Chromium (run-vscode-tests.mjs), installing
//                                          the host with setup.sh first if it is missing.
// A run that cannot start fails with a non-zero exit and a message; it is never skipped.
// Imports: node built-ins, @vscode/test-electron (only on the electron route). Nothing from src/.
//
//   node scripts/vscode-host/run.mjs [--artifacts-dir test-artifacts] [--screenshot file.png | --no-screenshot]
//        [--timeout 1800] [--grep REGEX] [--verbose] [--keep-temp] [--extension-path DIR]
// Environment: LOCKTRACE_VSHOST (host prefix, default /opt/locktrace-vshost), VSCODE_EXECUTABLE,
//   LOCKTRACE_TEST_GREP (same as --grep), CHROMIUM (default /usr/bin/chromium). See docs/vscode-tests.md.
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const { values: opt } = parseArgs({
  options: {
    'artifacts-dir': { type: 'string', default: join(repo, 'test-artifacts') },
    screenshot: { type: 'string' },
    'no-screenshot': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '1800' },
    grep: { type: 'string', default: process.env.LOCKTRACE_TEST_GREP },
    verbose: { type: 'boolean', default: false },
    'keep-temp': { type: 'boolean', default: false },
    // run the suite against another copy of the extension (e.g. an unpacked .vsix), not the checkout
    'extension-path': { type: 'string' },
  },
});

const fail = (msg, code = 2) => {
  console.error(`\n[test:vscode] ERROR: ${msg}\n`);
  process.exit(code);
};
const log = (msg) => console.log(`[test:vscode] ${msg}`);

const artifacts = resolve(opt['artifacts-dir']);
const screenshot = opt['no-screenshot'] ? undefined : resolve(opt.screenshot ?? join(artifacts, 'workbench.png'));
const testsPath = join(repo, 'out/test/integration');
const extensionPath = opt['extension-path'] ? resolve(opt['extension-path']) : repo;
const workspace = join(repo, 'test/workspace');
for (const f of [join(extensionPath, 'out/extension.js'), join(testsPath, 'index.js')]) {
  if (!existsSync(f)) fail(`${f} is missing: build first (npm run build), or use npm run test:vscode`);
}
if (!existsSync(workspace)) fail(`test workspace ${workspace} is missing`);
mkdirSync(artifacts, { recursive: true });
for (const d of ['screenshots', 'logs']) rmSync(join(artifacts, d), { recursive: true, force: true });

const testEnv = { LOCKTRACE_TEST_ARTIFACTS: artifacts };
if (opt.grep) testEnv.LOCKTRACE_TEST_GREP = opt.grep;
const started = Date.now();

if (process.env.VSCODE_EXECUTABLE) {
  await runElectron(process.env.VSCODE_EXECUTABLE);
} else {
  await runCodeServer();
}

/** A local VS Code (desktop/Electron) build: no download, no Playwright; driver requests are unavailable. */
async function runElectron(executable) {
  if (!existsSync(executable)) fail(`VSCODE_EXECUTABLE=${executable} does not exist`);
  const { runTests } = await import('@vscode/test-electron');
  const tmp = mkdtempSync(join(tmpdir(), 'locktrace-vscode-electron-'));
  log(`route: @vscode/test-electron with ${executable}`);
  let code = 0;
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: testsPath,
      extensionTestsEnv: testEnv,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        join(tmp, 'user-data'),
        '--extensions-dir',
        join(tmp, 'extensions'),
      ],
    });
  } catch (e) {
    console.error(e);
    code = 1;
  } finally {
    if (!opt['keep-temp']) rmSync(tmp, { recursive: true, force: true });
  }
  log(`${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(code);
}

/** code-server 4.139.1 (VS Code 1.139.1) under Node 24 + Debian Chromium, installed by setup.sh. */
async function runCodeServer() {
  const prefix = process.env.LOCKTRACE_VSHOST || '/opt/locktrace-vshost';
  const node24 = join(prefix, 'node24/bin/node');
  const entry = join(prefix, 'cs/node_modules/code-server/out/node/entry.js');
  const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
  const ready = () => existsSync(node24) && existsSync(join(prefix, 'cs/.locktrace-installed')) && existsSync(chromium);
  if (!ready()) {
    log(`VS Code test host not found in ${prefix} (or ${chromium} missing): running scripts/vscode-host/setup.sh`);
    const r = spawnSync('bash', [join(here, 'setup.sh')], { stdio: 'inherit', env: process.env });
    if (r.status !== 0) fail(`setup.sh failed (exit ${r.status ?? r.signal}); the VS Code suite did not run`);
    if (!existsSync(chromium)) fail(`${chromium} not found (setup.sh installs Debian's chromium to /usr/bin/chromium; check CHROMIUM)`);
    if (!ready()) fail(`setup.sh finished but the host in ${prefix} is still incomplete`);
  }
  log(`route: code-server in ${prefix}, chromium ${chromium}`);
  const args = [
    join(here, 'run-vscode-tests.mjs'),
    '--extension-development-path',
    extensionPath,
    '--extension-tests-path',
    testsPath,
    '--folder',
    workspace,
    '--code-server-entry',
    entry,
    '--node',
    node24,
    '--chromium',
    chromium,
    '--artifacts-dir',
    artifacts,
    '--timeout',
    opt.timeout,
    ...Object.entries(testEnv).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  ];
  if (screenshot) args.push('--screenshot', screenshot);
  if (opt.verbose) args.push('--verbose');
  if (opt['keep-temp']) args.push('--keep-temp');
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  // Forward Ctrl-C/TERM so the driver can clean up its process group; then mirror its exit status.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((res) => child.on('exit', (c, s) => res(c ?? (s ? 128 + 15 : 1))));
  const meaning =
    {
      0: 'passed',
      1: 'FAILED (test failures)',
      2: 'FAILED (driver/setup error)',
      3: 'FAILED (extension host died or suite incomplete)',
      124: 'FAILED (timeout)',
    }[code] ?? 'FAILED';
  log(`${meaning}, exit ${code}, ${((Date.now() - started) / 1000).toFixed(1)} s; artifacts in ${artifacts}`);
  process.exit(code);
}
