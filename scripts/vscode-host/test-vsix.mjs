#!/usr/bin/env node
// `npm run test:vsix`: tests what users install. Packages the extension (.vsix via @vscode/vsce,
// production build, .vscodeignore applied), installs it into the real VS Code host with
// code-server's `--install-extension`, checks the installed copy has every file the manifest
// points at, then runs the whole integration suite against that installed copy (not the checkout).
// So a .vscodeignore that drops something the extension needs fails here.
// Imports: node built-ins only. Options are passed through to run.mjs (e.g. --grep).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const log = (m) => console.log(`[test:vsix] ${m}`);
const fail = (m) => {
  console.error(`\n[test:vsix] ERROR: ${m}\n`);
  process.exit(2);
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repo, ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return r;
};

const prefix = process.env.LOCKTRACE_VSHOST || '/opt/locktrace-vshost';
const node24 = join(prefix, 'node24/bin/node');
const entry = join(prefix, 'cs/node_modules/code-server/out/node/entry.js');
if (!existsSync(node24) || !existsSync(entry)) {
  log(`VS Code test host missing in ${prefix}: running setup.sh`);
  run('bash', [join(here, 'setup.sh')]);
}

// 1. package (the production build also builds the integration test bundles)
run('npm', ['run', 'package']);
const vsix = join(repo, 'locktrace.vsix');
if (!existsSync(vsix)) fail(`${vsix} was not written`);

// 2. install into the real host (its own temp extensions dir; HOME/XDG redirected so nothing leaks)
const tmp = mkdtempSync(join(tmpdir(), 'locktrace-vsix-'));
const extDir = join(tmp, 'extensions');
const env = {
  ...process.env,
  HOME: tmp,
  XDG_CONFIG_HOME: join(tmp, 'config'),
  XDG_DATA_HOME: join(tmp, 'data'),
  XDG_CACHE_HOME: join(tmp, 'cache'),
};
let code = 1;
try {
  run(node24, [entry, '--extensions-dir', extDir, '--user-data-dir', join(tmp, 'user-data'), '--install-extension', vsix], { env });
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase();
  const installed = readdirSync(extDir).find((d) => d.toLowerCase() === id);
  if (!installed) fail(`code-server did not install ${id} (found: ${readdirSync(extDir).join(', ') || 'nothing'})`);
  const dir = join(extDir, installed);
  log(`installed into the VS Code host as ${dir}`);

  // 3. every file the manifest refers to must be in the package
  const needed = [pkg.main, ...Object.values(pkg.bin ?? {})];
  for (const d of pkg.contributes?.debuggers ?? []) if (d.program) needed.push(d.program);
  for (const l of pkg.contributes?.languages ?? []) if (l.configuration) needed.push(l.configuration);
  for (const g of pkg.contributes?.grammars ?? []) needed.push(g.path);
  for (const w of pkg.contributes?.walkthroughs ?? [])
    for (const step of w.steps ?? [])
      for (const m of [step.media?.image, step.media?.markdown, step.media?.svg]) if (typeof m === 'string') needed.push(m);
  // the walkthrough opens, checks and debugs the sample shipped in the extension
  needed.push(
    'out/debugAdapter.js',
    'out/analysisWorker.js',
    'out/parseWorker.js',
    'out/tokenizer.wasm',
    'out/media/panel.js',
    'out/media/panel.css',
    'samples/syscall-order-inversion.trace',
  );
  const missing = needed.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) fail(`the packaged extension lacks ${missing.join(', ')}: fix .vscodeignore`);
  log(`manifest files present: ${needed.join(', ')}`);

  // 4. the integration suite against the installed copy
  const r = spawnSync(process.execPath, [join(here, 'run.mjs'), '--extension-path', dir, ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: repo,
  });
  code = r.status ?? 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
