// Tests scripts/vscode-host/clean-env.sh, the environment setup.sh gives its nested `npm install`s.
// `npm test` runs setup.sh from its pretest, so an outer npm's variables (its user agent naming Node 20,
// its local prefix = this checkout, its allowScripts) reach setup.sh. code-server's postinstall reads the
// Node major from npm_config_user_agent and refuses anything but 24; this test installs a package whose
// own postinstall makes the same check (plus the other leaks) through clean-env.sh with Node 24 first
// on PATH, as setup.sh does, from an environment that carries an outer npm's variables. A control run
// without clean-env.sh must fail the same probe, so the probe is known to detect the leak.
// Needs the VS Code test host's Node 24 (setup.sh installs it); fails loudly without it.
// Imports: node built-ins only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const prefix = process.env.LOCKTRACE_VSHOST || '/opt/locktrace-vshost';
const node24bin = join(prefix, 'node24/bin');

/**
 * What an outer `npm run`/`npm test` (npm 11 on Node 20) exports to its scripts. The outer project is a
 * scratch directory, not this checkout: a leaked local prefix must not make npm install into the repo.
 */
const outer = mkdtempSync(join(tmpdir(), 'locktrace-outer-npm-'));
writeFileSync(join(outer, 'package.json'), '{"name":"outer-project","private":true}');
process.on('exit', () => rmSync(outer, { recursive: true, force: true }));
const outerNpm = {
  npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
  npm_config_local_prefix: outer,
  npm_config_allow_scripts: 'esbuild',
  npm_config_node_gyp: '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  npm_package_name: 'locktrace',
  npm_lifecycle_event: 'pretest',
  npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
  npm_node_execpath: process.execPath,
  NODE: process.execPath,
  INIT_CWD: outer,
};

const probe = `
const ua = process.env.npm_config_user_agent || '';
const problems = [];
if (!/ node\\/v24\\./.test(' ' + ua)) problems.push('user agent ' + JSON.stringify(ua) + ' does not name node v24');
if (!process.version.startsWith('v24.')) problems.push('runs on ' + process.version);
if (process.env.npm_config_local_prefix !== process.cwd()) problems.push('local prefix ' + process.env.npm_config_local_prefix);
if (process.env.npm_package_name !== 'nested-probe') problems.push('package name ' + process.env.npm_package_name);
if (process.env.INIT_CWD !== process.cwd()) problems.push('INIT_CWD ' + process.env.INIT_CWD);
if (problems.length) { console.error('PROBE FAILED: ' + problems.join('; ')); process.exit(1); }
console.log('PROBE OK: ' + ua);
`;

function install(viaCleanEnv) {
  // the control leaks only the user agent, the variable code-server's postinstall reads
  const leaked = viaCleanEnv ? outerNpm : { npm_config_user_agent: outerNpm.npm_config_user_agent };
  const dir = mkdtempSync(join(tmpdir(), 'locktrace-nested-npm-'));
  try {
    writeFileSync(join(dir, 'probe.js'), probe);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'nested-probe', version: '1.0.0', private: true, scripts: { postinstall: 'node probe.js' } }),
    );
    const path = `${node24bin}:${process.env.PATH}`;
    const cmd = viaCleanEnv
      ? [
          'bash',
          join(repo, 'scripts/vscode-host/clean-env.sh'),
          `PATH=${path}`,
          'npm',
          'install',
          '--no-audit',
          '--no-fund',
          '--foreground-scripts',
        ]
      : ['env', `PATH=${path}`, 'npm', 'install', '--no-audit', '--no-fund', '--foreground-scripts'];
    const r = spawnSync(cmd[0], cmd.slice(1), { cwd: dir, env: { ...process.env, ...leaked }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('Node 24 from the VS Code test host is installed', () => {
  assert.ok(
    existsSync(join(node24bin, 'node')),
    `${node24bin}/node missing: run \`bash scripts/vscode-host/setup.sh\` (npm test's pretest does)`,
  );
});

test('a nested npm install through clean-env.sh sees Node 24 and none of the outer npm', () => {
  const r = install(true);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /PROBE OK: npm\/\S+ node\/v24\./);
});

test('control: without clean-env.sh the same install sees the outer npm (the probe detects the leak)', () => {
  const r = install(false);
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /PROBE FAILED: .*node v24/);
});
