// Shared helpers for unit tests: where the repository is, reading fixtures.
import * as fs from 'node:fs';
import * as path from 'node:path';

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
