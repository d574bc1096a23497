// Shared helpers for unit tests: where the repository is, reading fixtures, generated traces.
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
