#!/usr/bin/env node
// Driver: runs the extension's integration suite inside a real (remote, Node) VS Code extension host
// served by code-server, with the workbench rendered headlessly in Debian's Chromium through
// playwright-core. Usually started by scripts/vscode-host/run.mjs (`npm run test:vscode`), not directly.
// Adapted from the tested recipe in ../shared/vscode-host; its guards are kept (false pass on an
// extension-host crash, required "N passing" output, process-group cleanup, stdin watchdog).
// Imports: node built-ins and playwright-core (the project's devDependency). Nothing from src/.
//
// Exit code: 0 all tests passed, 1 the suite's run() rejected (test failures),
//   3 the extension host died / the suite did not complete although the workbench reported 0,
//   124 timeout, 2 driver/setup error, 130/143 interrupted.
//
// Driver requests (things only Playwright can do), see docs/vscode-tests.md:
//   a test logs   LOCKTRACE_DRIVER {"id":"r1","op":"screenshot","name":"hover"}
//   the driver writes $LOCKTRACE_DRIVER_DIR/r1.json = {"id":"r1","ok":true,"result":{...}}
//                                                or {"id":"r1","ok":false,"error":"..."}
//   ops: ping | screenshot {name} | webviewText {selector} | webviewClick {selector}
//        | workbenchText {selector} | workbenchClick {selector} | press {key}
//        (optional timeoutMs on the selector ops;
//        text results are textContent with U+00A0, which Monaco uses for spaces, turned into spaces)
//
// Usage:
//   node run-vscode-tests.mjs --extension-development-path /abs/ext --extension-tests-path /abs/ext/out/test/integration
//        --code-server-entry …/code-server/out/node/entry.js --node …/node24/bin/node
//        [--folder /abs/workspace] [--artifacts-dir test-artifacts] [--screenshot file.png] [--timeout 1800]
//        [--chromium /usr/bin/chromium] [--env KEY=VALUE …] [--require-output REGEX] [--verbose] [--keep-temp]
import { spawn, execFileSync } from 'node:child_process';
import { parseArgs, format } from 'node:util';
import { mkdtempSync, mkdirSync, writeFileSync, renameSync, rmSync, existsSync, readFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { chromium } from 'playwright-core';

/** Chromium's flags for this offline machine (no sandbox as root, no GPU, nothing that reaches the network); the panel's browser tests use them too. */
const CHROMIUM_FLAGS = JSON.parse(readFileSync(new URL('./chromium-flags.json', import.meta.url), 'utf8'));

const { values: opt } = parseArgs({
  options: {
    'extension-development-path': { type: 'string' },
    'extension-tests-path': { type: 'string' },
    folder: { type: 'string' },
    'code-server-entry': { type: 'string', default: process.env.CODE_SERVER_ENTRY },
    node: { type: 'string', default: process.env.CODE_SERVER_NODE || 'node' },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    'artifacts-dir': { type: 'string', default: 'test-artifacts' },
    screenshot: { type: 'string' },
    timeout: { type: 'string', default: '1800' },
    env: { type: 'string', multiple: true, default: [] },
    verbose: { type: 'boolean', default: false },
    'keep-temp': { type: 'boolean', default: false },
    // A run only counts as passed if the test output contained this (mocha always prints "N passing").
    'require-output': { type: 'string', default: '\\d+ passing' },
  },
});

const artifacts = resolve(opt['artifacts-dir']);
mkdirSync(artifacts, { recursive: true });
// Full transcript (including the noise hidden from the console) for CI artifacts.
const transcript = createWriteStream(join(artifacts, 'vscode-tests.log'));
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const out = (text, isErr = false, quiet = false) => {
  transcript.write(text + '\n');
  if (!quiet) {
    (isErr ? console.error : console.log)(text);
  }
};
const dlog = (...a) => out(`[driver +${since()}] ${format(...a)}`);

function die(msg) {
  console.error(`[driver] ERROR: ${msg}`);
  process.exit(2);
}
const extDev = opt['extension-development-path'] && resolve(opt['extension-development-path']);
const extTests = opt['extension-tests-path'] && resolve(opt['extension-tests-path']);
if (!extDev || !extTests) {
  die('--extension-development-path and --extension-tests-path are required');
}
if (!opt['code-server-entry'] || !existsSync(opt['code-server-entry'])) {
  die(`code-server entry not found: ${opt['code-server-entry']}`);
}
if (!existsSync(opt.chromium)) {
  die(`chromium not found: ${opt.chromium}`);
}

// Known workbench noise that has nothing to do with the tests (hidden unless --verbose, kept in the transcript).
const NOISE =
  /\[AgentHost|\[ChatModelSelection\]|\[AccountPolicyGate\]|ENOTFOUND open-vsx\.org|Creating a socket|connection token|\[reconnection-grace-time\]|Updating additional builtin extensions cache|\[Service Worker\]|^Canceled: Canceled/;

const WATCHDOG = `
const cs = require('child_process').spawn(process.execPath, process.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
const killGroup = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} };
process.stdin.on('end', killGroup); process.stdin.on('error', killGroup); process.stdin.resume();
cs.on('exit', (code, sig) => process.exit(code ?? 1));`;

// ---------------------------------------------------------------- temp dirs
const tmp = mkdtempSync(join(tmpdir(), 'locktrace-vscode-tests-'));
const userDataDir = join(tmp, 'user-data');
const extensionsDir = join(tmp, 'extensions');
const requestDir = join(tmp, 'driver-responses'); // LOCKTRACE_DRIVER_DIR for the extension host
for (const d of [join(userDataDir, 'User'), extensionsDir, requestDir]) {
  mkdirSync(d, { recursive: true });
}
writeFileSync(
  join(userDataDir, 'User', 'settings.json'),
  JSON.stringify(
    {
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'workbench.enableExperiments': false,
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'chat.disableAIFeatures': true,
    },
    null,
    2,
  ),
);
const configFile = join(tmp, 'code-server.yaml'); // keeps code-server from writing ~/.config/code-server/config.yaml
writeFileSync(configFile, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

// ---------------------------------------------------------------- cleanup
let codeServer;
let browser;
let memTimer;
let cleaning = false;
let extHostExit; // { code, signal } of the remote extension host, parsed from code-server's log
let requiredOutputSeen = false;
async function cleanup() {
  if (cleaning) {
    return;
  }
  cleaning = true;
  clearInterval(memTimer);
  if (browser) {
    try {
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
    } catch {
      /* ignore */
    }
  }
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    // code-server forks a server process plus fileWatcher/ptyHost/extension host children; some survive
    // a SIGTERM to the parent, so kill the whole process group we created (detached: true).
    try {
      process.kill(-codeServer.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const end = Date.now() + 4000;
    while (Date.now() < end && groupAlive(codeServer.pid)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (groupAlive(codeServer.pid)) {
      try {
        process.kill(-codeServer.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (!opt['keep-temp']) {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
}
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
let exiting = false;
async function finish(code, why) {
  if (exiting) {
    return;
  }
  exiting = true;
  if (why) {
    dlog(why);
  }
  reportMemory();
  await cleanup();
  dlog(`exit code ${code}`);
  await new Promise((r) => transcript.end(r));
  process.exit(code);
}
process.on('SIGINT', () => finish(130, 'SIGINT'));
process.on('SIGTERM', () => finish(143, 'SIGTERM'));
process.on('uncaughtException', (e) => {
  console.error(e);
  finish(2, 'uncaught exception');
});
process.on('unhandledRejection', (e) => {
  console.error(e);
  finish(2, 'unhandled rejection');
});

// ---------------------------------------------------------------- memory sampling
// Sum of PSS (/proc/PID/smaps_rollup) over every descendant of this driver, split into the code-server
// tree and the rest (= chromium). PSS does not double-count shared pages.
const peak = { total: 0, codeServer: 0, chromium: 0, procs: 0 };
function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function sampleMemory() {
  let ps;
  try {
    ps = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return;
  }
  const kids = new Map();
  for (const [pid, ppid] of ps
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))) {
    if (!kids.has(ppid)) {
      kids.set(ppid, []);
    }
    kids.get(ppid).push(pid);
  }
  const tree = (root) => {
    const acc = [];
    const st = [...(kids.get(root) || [])];
    while (st.length) {
      const p = st.pop();
      acc.push(p);
      st.push(...(kids.get(p) || []));
    }
    return acc;
  };
  const all = tree(process.pid);
  const csPids = codeServer ? new Set([codeServer.pid, ...tree(codeServer.pid)]) : new Set();
  let total = 0;
  let cs = 0;
  for (const pid of all) {
    const k = pssKb(pid);
    total += k;
    if (csPids.has(pid)) {
      cs += k;
    }
  }
  peak.total = Math.max(peak.total, total);
  peak.codeServer = Math.max(peak.codeServer, cs);
  peak.chromium = Math.max(peak.chromium, total - cs);
  peak.procs = Math.max(peak.procs, all.length);
}
function reportMemory() {
  const mb = (kb) => `${Math.round(kb / 1024)} MiB`;
  dlog(
    `peak PSS (sampled every 500 ms): code-server tree ${mb(peak.codeServer)}, chromium tree ${mb(peak.chromium)}, all children ${mb(peak.total)} (max ${peak.procs} processes); driver RSS ${mb(process.memoryUsage().rss / 1024)}`,
  );
}

// ---------------------------------------------------------------- driver requests
// Requests are handled one at a time, in the order they were logged.
let requestQueue = Promise.resolve();
function onDriverRequest(page, json) {
  let req;
  try {
    req = JSON.parse(json);
  } catch (e) {
    dlog(`ignoring malformed driver request: ${json} (${e.message})`);
    return;
  }
  if (typeof req?.id !== 'string' || !/^[\w.-]{1,80}$/.test(req.id)) {
    dlog(`ignoring driver request without a valid id: ${json}`);
    return;
  }
  requestQueue = requestQueue.then(async () => {
    let response;
    try {
      response = { id: req.id, ok: true, result: await handleDriverRequest(page, req) };
    } catch (e) {
      response = { id: req.id, ok: false, error: String(e?.message ?? e) };
    }
    dlog(`driver request ${req.id} ${req.op}: ${response.ok ? 'ok' : `error: ${response.error}`}`);
    // write + rename, so the polling test never reads a half-written file
    const file = join(requestDir, `${req.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(response));
    renameSync(`${file}.tmp`, file);
  });
}

/** Finds the first frame (other than the workbench itself) containing `selector`. Webviews are
 *  <iframe class="webview"> > <iframe id="active-frame">; Playwright lists both in page.frames(). */
async function findWebviewElement(page, selector, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) {
        continue;
      }
      const el = await f.$(selector).catch(() => null);
      if (el) {
        return el;
      }
    }
    if (Date.now() > end) {
      throw new Error(`no webview frame contains ${JSON.stringify(selector)} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Monaco renders spaces as U+00A0; tests compare against ordinary text. */
const plain = (text) => (text == null ? text : text.replace(/\u00a0/g, ' '));

async function handleDriverRequest(page, req) {
  const timeoutMs = Number.isFinite(req.timeoutMs) ? req.timeoutMs : 15000;
  const needSelector = () => {
    if (typeof req.selector !== 'string' || !req.selector) {
      throw new Error(`${req.op} needs a "selector"`);
    }
    return req.selector;
  };
  switch (req.op) {
    case 'ping':
      return { pong: true };
    case 'screenshot': {
      const name = String(req.name ?? req.id).replace(/[^\w.-]/g, '_');
      const path = join(artifacts, 'screenshots', `${name}.png`);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path });
      return { path };
    }
    case 'webviewText': {
      const el = await findWebviewElement(page, needSelector(), timeoutMs);
      return { text: plain(await el.textContent()) };
    }
    case 'webviewClick': {
      const el = await findWebviewElement(page, needSelector(), timeoutMs);
      await el.click();
      return {};
    }
    case 'webviewHover': {
      // moves the mouse onto the element (what a user's pointer does before a hover shows)
      const el = await findWebviewElement(page, needSelector(), timeoutMs);
      await el.hover();
      return {};
    }
    case 'webviewWheel': {
      // wheel turns over an element: `count` events of `deltaY` pixels, `intervalMs` apart
      const el = await findWebviewElement(page, needSelector(), timeoutMs);
      await el.hover();
      const count = Number.isFinite(req.count) ? req.count : 1;
      for (let k = 0; k < count; k++) {
        await page.mouse.wheel(0, Number(req.deltaY) || 0);
        if (req.intervalMs) {
          await new Promise((r) => setTimeout(r, req.intervalMs));
        }
      }
      return {};
    }
    case 'workbenchText': {
      const el = await page.waitForSelector(needSelector(), { timeout: timeoutMs });
      return { text: plain(await el.textContent()) };
    }
    case 'workbenchClick': {
      // a visible element of the workbench itself (a walkthrough step, its button)
      const el = await page.waitForSelector(needSelector(), { timeout: timeoutMs, state: 'visible' });
      await el.click();
      return {};
    }
    case 'press':
      if (typeof req.key !== 'string') {
        throw new Error('press needs a "key" (Playwright key name, e.g. "Escape")');
      }
      await page.keyboard.press(req.key);
      return {};
    default:
      throw new Error(`unknown driver op ${JSON.stringify(req.op)}`);
  }
}

// ---------------------------------------------------------------- main
async function main() {
  memTimer = setInterval(sampleMemory, 500);
  const extraEnv = Object.fromEntries(opt.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  extraEnv.LOCKTRACE_DRIVER_DIR = requestDir;

  // 1. code-server on a free loopback port (port 0: the real port is read from its log)
  const args = [
    opt['code-server-entry'],
    '--config',
    configFile,
    '--bind-addr',
    '127.0.0.1:0',
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    // without this the built workbench ignores the ?payload= (extensionDevelopmentPath/extensionTestsPath)
    '--vscode-option',
    'enable-smoke-test-driver',
  ];
  if (opt.verbose) {
    args.push('--log', 'debug');
  }
  dlog(`starting code-server: ${opt.node} ${args.join(' ')}`);
  // XDG_* and TMPDIR point into the temp dir so code-server leaves nothing behind in ~/.config,
  // ~/.local/share, ~/.cache or /tmp (config.yaml, heartbeat, device id, vscode-*.sock sockets).
  const isolated = {};
  for (const [k, d] of [
    ['XDG_CONFIG_HOME', 'xdg-config'],
    ['XDG_DATA_HOME', 'xdg-data'],
    ['XDG_CACHE_HOME', 'xdg-cache'],
    ['TMPDIR', 't'],
  ]) {
    isolated[k] = join(tmp, d);
    mkdirSync(isolated[k], { recursive: true });
  }
  // code-server runs under a tiny watchdog that leads a new process group: when this driver dies
  // (even by SIGKILL) the watchdog's stdin pipe closes and it SIGKILLs the whole group.
  codeServer = spawn(opt.node, ['-e', WATCHDOG, ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...isolated, ...extraEnv },
  });
  codeServer.on('exit', (code, sig) => {
    if (!cleaning) {
      finish(2, `code-server exited unexpectedly (code ${code}, signal ${sig})`);
    }
  });
  const port = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('code-server did not report a listening port within 60s')), 60000);
    const onData = (buf) => {
      for (const line of buf.toString().split('\n').filter(Boolean)) {
        out(`[code-server] ${line}`, false, !opt.verbose && NOISE.test(line));
        const x = /Extension Host Process exited with code: (\S+), signal: (\S+?)\.?$/.exec(line);
        if (x) {
          extHostExit = { code: x[1], signal: x[2] };
        }
        const m = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          res(Number(m[1]));
        }
      }
    };
    codeServer.stdout.on('data', onData);
    codeServer.stderr.on('data', onData);
  });
  const authority = `127.0.0.1:${port}`;
  dlog(`code-server listening on ${authority}`);

  // 2. workbench URL: folder + payload with vscode-remote:// URIs (tests run in the remote Node extension host)
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extDev)],
    ['extensionTestsPath', remote(extTests)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  let url = `http://${authority}/?`;
  if (opt.folder) {
    url += `folder=${encodeURIComponent(resolve(opt.folder))}&`;
  } else {
    url += 'ew=true&';
  }
  url += `payload=${encodeURIComponent(JSON.stringify(payload))}`;

  // 3. Chromium (Debian package) through playwright-core; launch() uses a fresh temporary profile
  const chromeHome = join(tmp, 'chromium-home');
  mkdirSync(chromeHome, { recursive: true });
  browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    env: { ...process.env, HOME: chromeHome, XDG_CONFIG_HOME: chromeHome, XDG_CACHE_HOME: chromeHome },
    args: [...CHROMIUM_FLAGS, '--disable-dev-shm-usage', '--disable-breakpad'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => out(`[browser] page error: ${e}`, true));
  page.on('crash', () => finish(2, 'browser page crashed'));
  page.on('console', (msg) => out(`[browser console.${msg.type()}] ${msg.text()}`, false, !opt.verbose));

  const requireRe = opt['require-output'] ? new RegExp(opt['require-output']) : undefined;
  const exposed = [];
  const exitCode = new Promise((res) => {
    exposed.push(
      page.exposeFunction('codeAutomationLog', (type, logArgs) => {
        // mocha's output arrives printf-style: ["  %d passing (%s)", 4, "1s"]
        const text = format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
        if (requireRe && requireRe.test(text)) {
          requiredOutputSeen = true;
        }
        const m = /LOCKTRACE_DRIVER (\{.*\})\s*$/.exec(text);
        out(text, type === 'error', !opt.verbose && (NOISE.test(text) || !!m));
        if (m) {
          onDriverRequest(page, m[1]);
        }
      }),
    );
    exposed.push(
      page.exposeFunction('codeAutomationExit', async (code, logs) => {
        dlog(`extension host exited with code ${code}`);
        if (Array.isArray(logs)) {
          const logsDir = join(artifacts, 'logs');
          for (const l of logs) {
            const f = join(logsDir, l.relativePath);
            mkdirSync(dirname(f), { recursive: true });
            writeFileSync(f, l.contents);
          }
          dlog(`wrote ${logs.length} workbench log file(s) to ${logsDir}`);
        }
        res(code);
      }),
    );
  });
  await Promise.all(exposed);

  dlog(`opening ${url}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  dlog('workbench rendered');

  const timeoutMs = Number(opt.timeout) * 1000;
  const code = await Promise.race([exitCode, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  if (opt.screenshot) {
    try {
      mkdirSync(dirname(resolve(opt.screenshot)), { recursive: true });
      await page.screenshot({ path: opt.screenshot });
      dlog(`screenshot: ${opt.screenshot}`);
    } catch (e) {
      out(`[driver] screenshot failed: ${e}`, true);
    }
  }
  if (code === 'timeout') {
    await finish(124, `TIMEOUT: no codeAutomationExit within ${opt.timeout}s`);
  }
  // Guard against false passes: if the extension host process dies (crash, OOM, SIGKILL) the web
  // workbench still calls codeAutomationExit(0). Cross-check with code-server's log and the output.
  for (let i = 0; i < 30 && !extHostExit; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (code === 0 && extHostExit && !(extHostExit.code === '0' && extHostExit.signal === 'null')) {
    await finish(
      3,
      `FAIL: workbench reported 0 but the extension host process exited with code ${extHostExit.code}, signal ${extHostExit.signal}`,
    );
  }
  if (code === 0 && requireRe && !requiredOutputSeen) {
    await finish(
      3,
      `FAIL: workbench reported 0 but the test output never matched /${opt['require-output']}/ (tests did not run to completion?)`,
    );
  }
  await requestQueue;
  await finish(typeof code === 'number' ? code : 1);
}

main().catch((e) => {
  console.error(e);
  finish(2, 'driver error');
});
