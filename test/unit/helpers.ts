// Shared helpers for unit tests: where the repository is, reading fixtures, generated traces, the
// built CLI and golden files.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** The repository root (tests are bundled to out/test/unit/…, sources live in test/unit/…). */
export const repoRoot = (() => {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error(`cannot find the repository root above ${__dirname}`);
    d = up;
  }
  return d;
})();

export function fixture(rel: string): string {
  return fs.readFileSync(path.join(repoRoot, rel), 'utf8');
}

/** Everything a parse puts in a store, as plain data (NaN and -0 spelled out, so deepStrictEqual compares them). */
export function storeSnapshot(s: import('../../src/core').EventStore): unknown {
  const cols = (['line', 'offset', 'ts', 'cpu', 'task', 'kind', 'flags', 'ref', 'num', 'ctx'] as const).map((c) =>
    Array.from(s[c].subarray(0, s.length), (v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v)),
  );
  return {
    format: s.format,
    length: s.length,
    cols,
    tasks: s.tasks,
    locks: s.locks,
    classes: s.classes.values,
    names: s.names.values,
    warnings: s.warnings,
    warningCount: s.warningCount,
    lines: s.lines,
    bytes: s.bytes,
    lostEvents: s.lostEvents,
    overwritten: s.overwritten,
    sorted: s.sorted,
  };
}

/** The ftrace text of a real capture of the QEMU lockdep kernel (test/fixtures/kernel/NAME/trace.txt.gz). */
export function kernelCapture(name: string): string {
  return zlib.gunzipSync(fs.readFileSync(path.join(repoRoot, 'test/fixtures/kernel', name, 'trace.txt.gz'))).toString('utf8');
}

/**
 * An ftrace text where one task takes and releases one mutex `pairs` times (2 × pairs events, no
 * finding): long enough that running through it takes a while.
 */
export function repeatedLockTrace(pairs: number): string {
  const lines = ['# tracer: nop'];
  for (let k = 0; k < pairs; k++) {
    const t = (100 + k / 1e5).toFixed(6);
    lines.push(
      `          worker-301 [000] ..... ${t}: lock_acquire: 00000000aaaa0001 &dev->mutex`,
      `          worker-301 [000] ..... ${t}: lock_release: 00000000aaaa0001 &dev->mutex`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `line` with the character at `pos` (modulo its length) replaced by `ch`: the fuzz tests' smallest edit. */
export function replaceChar(line: string, pos: number, ch: string): string {
  const p = line.length ? pos % line.length : 0;
  return line.slice(0, p) + ch + line.slice(p + 1);
}

/** Runs the built CLI (out/cli.js) in `cwd`: its exit status, stdout and stderr. */
export function runCli(cwd: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'out/cli.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * Compares `actual` with the golden file `name` in `dir` (relative to the repository): a mismatch
 * writes `.actual` beside it and fails; LOCKTRACE_UPDATE_GOLDEN=1, or a missing file outside CI,
 * (re)writes it.
 */
export function matchGolden(dir: string, name: string, actual: string): void {
  const file = path.join(repoRoot, dir, name);
  if (process.env.LOCKTRACE_UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    if (!fs.existsSync(file) && process.env.CI) assert.fail(`golden file ${file} is missing`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  const want = fs.readFileSync(file, 'utf8');
  if (want !== actual) {
    fs.writeFileSync(`${file}.actual`, actual);
    assert.fail(`${name} differs from its golden file; see ${file}.actual (LOCKTRACE_UPDATE_GOLDEN=1 to accept)`);
  }
}
