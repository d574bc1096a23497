// `locktrace check` honours .locktrace.json: next to the trace, in the current directory,
// --suppressions FILE, --no-suppressions; suppressed findings leave the exit status and output.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { JsonReport } from '../../../src/core/report';
import { repoRoot, runCli } from '../helpers';

const run = runCli;

function workspace(rules: object | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-sup-'));
  fs.mkdirSync(path.join(dir, 'traces'));
  fs.copyFileSync(path.join(repoRoot, 'samples/syscall-order-inversion.trace'), path.join(dir, 'traces/x.trace'));
  if (rules) fs.writeFileSync(path.join(dir, 'traces/.locktrace.json'), JSON.stringify(rules));
  return dir;
}

const INVERSION = { suppress: [{ kind: 'inversion', locks: ['sb_writers', '&inode->i_dio_map'], reason: 'accepted' }] };
const ALL = { suppress: [{ reason: 'everything' }] };

test('a .locktrace.json next to the trace suppresses; --no-suppressions brings it back', () => {
  const dir = workspace(INVERSION);
  const r = run(dir, 'check', 'traces/x.trace');
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.out, /lock order inversion/);
  assert.match(r.out, /4 finding\(s\), 1 suppressed by traces\/\.locktrace\.json/);
  const j = JSON.parse(run(dir, 'check', '--json', 'traces/x.trace').out) as JsonReport & { suppressed: unknown[] };
  assert.equal(j.findings.length, 4);
  assert.deepEqual(j.suppressed, [
    { kind: 'inversion', line: 35, locks: ['&inode->i_dio_map', 'sb_writers'], reason: 'accepted', file: 'traces/.locktrace.json' },
  ]);
  const sarif = JSON.parse(run(dir, 'check', '--sarif', 'traces/x.trace').out) as { runs: { results: unknown[] }[] };
  assert.equal(sarif.runs[0].results.length, 4);
  assert.match(run(dir, 'check', '--no-suppressions', 'traces/x.trace').out, /5 finding\(s\)\n/);
});

test('everything suppressed: exit 0; the current directory and --suppressions FILE are used too', () => {
  const dir = workspace(null);
  fs.writeFileSync(path.join(dir, '.locktrace.json'), JSON.stringify(ALL));
  assert.equal(run(dir, 'check', 'traces/x.trace').code, 0);
  fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify(INVERSION));
  const r = run(dir, 'check', '--suppressions', 'other.json', 'traces/x.trace');
  assert.equal(r.code, 1);
  assert.match(r.out, /1 suppressed by other\.json/);
  assert.equal(run(dir, 'check', '--suppressions', 'missing.json', 'traces/x.trace').code, 2);
});

test('a bad suppression file is a warning, not a crash', () => {
  const dir = workspace(null);
  fs.writeFileSync(path.join(dir, 'traces/.locktrace.json'), '{"suppress":[{"kind":"nope"}]}');
  const r = run(dir, 'check', 'traces/x.trace');
  assert.equal(r.code, 1);
  assert.match(r.err, /\.locktrace\.json: warning: suppress\[0\]: unknown kind "nope"/);
});
