// Build script: one esbuild bundle per runtime (extension host, CLI, standalone debug adapter,
// webview, tests, benchmark). Type-checking is a separate step (`npm run typecheck`).
//   node esbuild.js               development build with sourcemaps
//   node esbuild.js --production  minified, no sourcemaps (what `npm run package` ships)
//   node esbuild.js --watch       rebuild on change, errors in a problem-matcher friendly format
'use strict';
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Every *.ts file under dir (recursively) whose name matches re. */
function findEntries(dir, re) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...findEntries(p, re));
    else if (re.test(ent.name)) out.push(p);
  }
  return out;
}

const existing = (...files) => files.filter((f) => fs.existsSync(f));

/** Reports build results the way the `$esbuild-watch` problem matcher expects. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: watch ? [problemMatcher] : [],
};

const builds = [
  // Extension host: `vscode` is provided by the host.
  { ...node, entryPoints: existing('src/extension.ts'), outdir: 'out', external: ['vscode'] },
  // Command line tool and the standalone debug adapter (DAP on stdio): no `vscode`.
  {
    ...node,
    entryPoints: existing('src/cli/bin.ts'),
    outfile: 'out/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  },
  { ...node, entryPoints: existing('src/adapter/main.ts'), outfile: 'out/debugAdapter.js' },
  // Analysis worker used by the extension host for big files (no `vscode`).
  { ...node, entryPoints: existing('src/load/worker.ts'), outfile: 'out/analysisWorker.js' },
  // Parse workers: tokenize byte ranges of big traces on every core (src/load/parallel.ts).
  { ...node, entryPoints: existing('src/load/parseWorker.ts'), outfile: 'out/parseWorker.js' },
  // Webview front end: runs in the browser sandbox of the panel.
  {
    ...node,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: existing('media/src/panel.ts'),
    outfile: 'out/media/panel.js',
  },
  // Unit tests (node --test), integration suite (runs inside the VS Code extension host), benchmark.
  {
    ...node,
    entryPoints: ['test/unit', 'test/browser', 'test/record'].flatMap((d) => findEntries(d, /\.test\.ts$/)),
    outbase: 'test',
    outdir: 'out/test',
    // typescript: the protocol version test reads the wire types with the compiler API;
    // eslint: the import-boundary test runs the repository's lint config
    external: ['vscode', 'playwright-core', 'typescript', 'eslint', 'typescript-eslint'],
  },
  {
    ...node,
    entryPoints: [...findEntries('test/integration', /\.ts$/)],
    outbase: 'test',
    outdir: 'out/test',
    external: ['vscode', 'mocha', 'playwright-core'],
  },
  { ...node, entryPoints: existing('test/bench/bench.ts'), outfile: 'out/bench/bench.js', external: ['playwright-core'] },
].filter((b) => b.entryPoints.length > 0);

/**
 * The WebAssembly line reader of the parallel parse: wasm/tokenizer.ts (AssemblyScript) compiled
 * by the assemblyscript compiler (a devDependency) to out/tokenizer.wasm. Built from source every
 * time; no binary is checked in.
 */
async function buildWasm() {
  const { default: asc } = await import('assemblyscript/asc');
  fs.mkdirSync('out', { recursive: true });
  const args = ['wasm/tokenizer.ts', '--outFile', 'out/tokenizer.wasm', '-O3', '--noAssert', '--runtime', 'stub', '--initialMemory', '1'];
  const { error, stderr } = await asc.main(args);
  if (error) throw new Error(`assemblyscript: ${error.message}\n${stderr.toString()}`);
}

async function main() {
  // stale bundles of moved or deleted tests would otherwise still be found and run
  fs.rmSync('out/test', { recursive: true, force: true });
  await buildWasm();
  if (watch) {
    for (const b of builds) (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (fs.existsSync('out/cli.js')) fs.chmodSync('out/cli.js', 0o755);
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
