// The lock-graph commands end to end through the built CLI (out/cli.js): `diff` and `check --union`
// (JSON compared with golden files under test/golden/graph/; LOCKTRACE_UPDATE_GOLDEN=1 rewrites
// them, a mismatch writes `.actual` beside the golden file), `hierarchy [--write]`, a declared
// hierarchy in .locktrace.json, cycle-id suppressions, --guarded and the component block of `check`.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { JsonReport } from '../../../src/core/report';
import { matchGolden, repoRoot, runCli } from '../helpers';

const G = 'test/fixtures/graph';

const run = runCli;

const golden = (name: string, actual: string) => matchGolden('test/golden/graph', name, actual);

/** A temporary folder with copies of graph fixtures (and a .locktrace.json when given). */
function workspace(files: string[], config?: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-graph-'));
  for (const f of files) fs.copyFileSync(path.join(repoRoot, G, f), path.join(dir, f));
  if (config) fs.writeFileSync(path.join(dir, '.locktrace.json'), JSON.stringify(config));
  return dir;
}

test('diff OLD NEW --json: new, gone and unchanged edges and cycles (golden); exit 1 on a new cycle', () => {
  const r = run(repoRoot, 'diff', `${G}/diff-old.trace`, `${G}/diff-new.trace`, '--json');
  assert.equal(r.code, 1, r.err);
  const d = JSON.parse(r.out) as { version: number; edges: { new: { from: string; to: string }[] }; cycles: { new: unknown[] } };
  assert.equal(d.version, 1);
  assert.deepEqual(
    d.edges.new.map((e) => `${e.from} -> ${e.to}`),
    ['lock_c -> lock_a'],
  );
  golden('diff.json', `${JSON.stringify(d, null, 2)}\n`);
  // the other way round nothing new closes a cycle: exit 0, and the cycle is gone
  const back = run(repoRoot, 'diff', `${G}/diff-new.trace`, `${G}/diff-old.trace`);
  assert.equal(back.code, 0, back.err);
  assert.match(back.out, /cycles 0 new, 1 gone, 0 unchanged/);
  assert.match(back.out, /^test\/fixtures\/graph\/diff-new\.trace:22: gone cycle LT-[0-9a-f]{4} /m);
  const text = run(repoRoot, 'diff', `${G}/diff-old.trace`, `${G}/diff-new.trace`).out;
  assert.match(
    text,
    /diff-new\.trace:22: new lock dependency lock_c -> lock_a: made by t3\/12 in io_submit, holding lock_c since line 21 \(io_submit\)/,
  );
  assert.equal(run(repoRoot, 'diff', `${G}/diff-old.trace`).code, 2);
});

test('check A B C --union: the cycle no single trace has, each edge with its file and line (golden)', () => {
  const files = [1, 2, 3].map((k) => `${G}/union-${k}.trace`);
  const r = run(repoRoot, 'check', ...files, '--union', '--json');
  assert.equal(r.code, 1, r.err);
  const j = JSON.parse(r.out) as { reports: JsonReport[]; union: { cycles: { edges: { file: string; line: number }[] }[] } };
  assert.equal(j.reports.length, 3);
  assert.ok(
    j.reports.every((x) => x.findings.length === 0),
    'no trace has the cycle alone',
  );
  assert.deepEqual(
    j.union.cycles[0].edges.map((e) => `${e.file}:${e.line}`),
    files.map((f) => `${f}:10`),
  );
  golden('union.json', `${JSON.stringify(j.union, null, 2)}\n`);
  const text = run(repoRoot, 'check', ...files, '--union');
  assert.match(
    text.out,
    /^test\/fixtures\/graph\/union-1\.trace:10: lock order inversion across traces LT-[0-9a-f]{4}: lock_a -> lock_b -> lock_c -> lock_a$/m,
  );
  assert.match(text.out, /^ {2}test\/fixtures\/graph\/union-3\.trace:10: lock_c -> lock_a made by t3\/12 in io_submit/m);
  // without --union the same traces are clean
  assert.equal(run(repoRoot, 'check', ...files).code, 0);
  assert.equal(run(repoRoot, 'check', files[0], '--union').code, 2);
});

test('check shows a component once, with its cycles, before its inversions; the cycle id on each', () => {
  const r = run(repoRoot, 'check', `${G}/scc-abc.trace`);
  assert.equal(r.code, 1);
  const blocks = r.out.split('\n\n');
  assert.match(
    blocks[0],
    /^test\/fixtures\/graph\/scc-abc\.trace:22: lock-order component LT-[0-9a-f]{4}: 3 classes, 6 edges, 3 cycles\n {2}classes: lock_a, lock_b, lock_c\n/,
  );
  assert.equal((r.out.match(/lock-order component/g) ?? []).length, 1);
  assert.equal((r.out.match(/^ {2}cycle LT-[0-9a-f]{4} in component LT-[0-9a-f]{4} \(3 classes, 3 cycles\)$/gm) ?? []).length, 3);
  const j = JSON.parse(run(repoRoot, 'check', `${G}/scc-abc.trace`, '--json').out) as JsonReport;
  assert.equal(j.components.length, 1);
  assert.equal(j.components[0].cycles.length, 3);
});

test('a guarded inversion is information by default (exit 0); --guarded sets it', () => {
  const f = `${G}/gate-guarded.trace`;
  const r = run(repoRoot, 'check', f);
  assert.equal(r.code, 0);
  assert.match(r.out, /lock order inversion \(in-kernel, guarded\): t2\/11 in read/);
  assert.match(r.out, /guarded by gate_mutex \(0xaaaa0001\)/);
  assert.equal(run(repoRoot, 'check', f, '--guarded', 'error').code, 1);
  const off = run(repoRoot, 'check', f, '--guarded', 'off');
  assert.equal(off.code, 0);
  assert.match(off.out, /0 finding\(s\)/);
  assert.equal(run(repoRoot, 'check', f, '--guarded', 'loud').code, 2);
  const sarif = JSON.parse(run(repoRoot, 'check', f, '--sarif').out) as { runs: { results: { level: string }[] }[] };
  assert.equal(sarif.runs[0].results[0].level, 'note');
});

test('a cycle id in .locktrace.json suppresses that cycle only', () => {
  const j = JSON.parse(run(repoRoot, 'check', `${G}/scc-abc.trace`, '--json').out) as JsonReport;
  const id = j.findings[0].cycleId as string;
  const dir = workspace(['scc-abc.trace'], { suppress: [{ cycle: id, reason: 'known' }] });
  const r = run(dir, 'check', 'scc-abc.trace');
  assert.equal(r.code, 1);
  assert.match(r.out, /2 finding\(s\), 1 suppressed by \.locktrace\.json/);
  assert.doesNotMatch(r.out, new RegExp(`cycle ${id}`));
});

test('a hierarchy declared in .locktrace.json: order-violation at the first offending acquire; none for a consistent trace', () => {
  const hierarchy = ['sb_writers', '&sb->s_type->i_mutex_key', ['&mm->mmap_lock', '&mapping->i_mmap_rwsem'], '&(&q*->lock)->rlock'];
  const dir = workspace(['hierarchy-violation.trace', 'hierarchy-consistent.trace'], { hierarchy });
  const bad = run(dir, 'check', 'hierarchy-violation.trace');
  assert.equal(bad.code, 1, bad.err);
  assert.match(bad.out, /^hierarchy-violation\.trace:18: lock order violation: aio\/31 in io_submit \[seen 2 times\]$/m);
  assert.match(bad.out, /the declared hierarchy \(\.locktrace\.json\) puts sb_writers \(level 1\) before &mm->mmap_lock \(level 3\)/);
  assert.equal(bad.err, '');
  const good = run(dir, 'check', 'hierarchy-consistent.trace');
  assert.equal(good.code, 0, good.out);
  assert.equal(run(dir, 'check', 'hierarchy-violation.trace', '--no-suppressions').code, 0);
});

test('hierarchy TRACE proposes levels and lists the cycles; --write puts it into .locktrace.json, keeping the rest', () => {
  const dir = workspace(['scc-abc.trace', 'diff-old.trace'], { suppress: [{ kind: 'held-at-exit', reason: 'keep me' }] });
  const p = run(dir, 'hierarchy', 'scc-abc.trace');
  assert.equal(p.code, 0, p.err);
  assert.match(
    p.out,
    /^scc-abc\.trace: 3 ordered classes in 1 levels, outermost first\n {2}1\. lock_a, lock_b, lock_c\ncycles that prevent a total order/,
  );
  const w = run(dir, 'hierarchy', 'diff-old.trace', '--write');
  assert.equal(w.code, 0, w.err);
  assert.match(w.out, /wrote "hierarchy" to \.locktrace\.json/);
  const written = JSON.parse(fs.readFileSync(path.join(dir, '.locktrace.json'), 'utf8')) as { suppress: unknown[]; hierarchy: unknown[] };
  assert.deepEqual(written.suppress, [{ kind: 'held-at-exit', reason: 'keep me' }]);
  assert.deepEqual(written.hierarchy, [['lock_a', 'lock_d'], ['lock_b', 'lock_e'], 'lock_c']);
  // the trace keeps the hierarchy it proposed
  assert.equal(run(dir, 'check', 'diff-old.trace').code, 0);
  const j = JSON.parse(run(dir, 'hierarchy', 'scc-abc.trace', '--json').out) as { hierarchy: unknown[]; cycles: unknown[] };
  assert.equal(j.cycles.length, 3);
  assert.equal(run(dir, 'hierarchy').code, 2);
});
