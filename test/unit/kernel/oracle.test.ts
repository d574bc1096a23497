// The kernel's own lockdep is the oracle. Every capture under test/fixtures/kernel/ comes from a
// real Linux 6.1 lockdep kernel booted under QEMU (test/kernel/run.sh, docs/kernel.md), with the
// boot's dmesg, /proc/lockdep and lockdep_stats, and an expect.json listing lockdep's reports with
// the trace line of the event that triggered each. For every trace file of every capture:
// - each lockdep report inside the trace window is a locktrace finding of the same kind, classes
//   and task, at the trigger line;
// - every other finding is explained by a documented rule where locktrace knowingly goes beyond
//   lockdep (docs/kernel-traces.md), each checked against the capture's own data: lockdep had
//   turned itself off (its report is in dmesg, debug_locks is 0 in lockdep_stats, the finding
//   comes after the trigger), or the locks are file locks (flock), which lockdep does not track;
// - the lockdep reports locktrace cannot see in a given input are listed with the reason (KNOWN_GAPS),
//   so a gap closing or a new gap opening fails the test.
// And every dependency locktrace builds before lockdep's first report is one the kernel had: the
// two classes appear in that order in a chain of /proc/lockdep_chains.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { EventKind, Finding, analyze, parseProcLockdep, parseTrace } from '../../../src/core';
import { LockState } from '../../../src/core/analysis/state';
import { repoRoot } from '../helpers';

const ROOT = path.join(repoRoot, 'test/fixtures/kernel');

interface Report {
  kind: string;
  title: string;
  dmesgLine: number;
  inTraceWindow: boolean;
  task?: { comm: string; pid: number };
  locks: string[];
  trigger?: { file: string; line: number }[];
}
interface Expect {
  capture: string;
  traceFiles: { file: string }[];
  hashedPointers: boolean;
  debugLocksAtEnd: number;
  lockdepReports: Report[];
}

/** Trace files of a capture and what their format can show. */
const TRACE_FILES: { file: string; flags: boolean }[] = [
  { file: 'trace.txt.gz', flags: true },
  { file: 'trace-cmd-report-l.txt.gz', flags: true },
  { file: 'trace-cmd-report.txt.gz', flags: false },
  { file: 'perf-script.txt.gz', flags: false },
];

/**
 * Reports a given input cannot show, each with its reason (docs/kernel-traces.md). Keyed by
 * `capture/file`; the value is the report kind locktrace misses there.
 */
const NO_FLAGS = /no latency-flags column/;
const KNOWN_GAPS: Record<string, { kind: string; why: string; holds: (text: string, warnings: string[]) => boolean }> = {
  'irqstate-tracecmd/trace-cmd-report.txt.gz': {
    kind: 'irq-state',
    why: 'trace-cmd report without -l prints no latency flags: the softirq context of the first use is unknown',
    holds: (_text, warnings) => warnings.some((w) => NO_FLAGS.test(w)),
  },
  'irqstate-perf/perf-script.txt.gz': {
    kind: 'irq-state',
    why: 'perf script prints no latency flags',
    holds: (_text, warnings) => warnings.some((w) => NO_FLAGS.test(w)),
  },
};

function read(dir: string, file: string): string {
  const buf = fs.readFileSync(path.join(dir, file));
  return (file.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8');
}

const sameSet = (a: string[], b: string[]) => [...a].sort().join('\n') === [...b].sort().join('\n');

/** Which documented rule explains a finding lockdep did not report, or null. */
function explain(f: Finding, dir: string, exp: Expect, file: string): string | null {
  if (f.kind === 'inversion' && f.locks.every((l) => l.startsWith('flock ') || l.startsWith('posix ')))
    return 'file locks (flock, fcntl record locks) are not lockdep locks';
  const first = exp.lockdepReports[0];
  const trigger = first?.trigger?.find((t) => t.file === file)?.line;
  if (first && trigger !== undefined && f.line > trigger && exp.debugLocksAtEnd === 0) {
    // prove it from the boot's own files: the report is in dmesg, and lockdep ended the boot off
    const dmesg = read(dir, 'dmesg.txt').split('\n');
    const title = first.title.replace(/^WARNING: |^BUG: /, '');
    assert.ok(dmesg[first.dmesgLine - 1]?.includes(title), `${exp.capture}: dmesg line ${first.dmesgLine} is lockdep's "${first.title}"`);
    assert.match(read(dir, 'lockdep_stats.txt'), /debug_locks:\s+0/, `${exp.capture}: lockdep_stats shows lockdep turned off`);
    return 'after lockdep turned itself off (debug_locks_off after its first report)';
  }
  return null;
}

const captures = fs
  .readdirSync(ROOT)
  .filter((d) => fs.existsSync(path.join(ROOT, d, 'expect.json')))
  .sort();

test('the real kernel captures are there', () => {
  assert.ok(captures.length >= 37, `expected at least 37 captures under ${ROOT}, found ${captures.length}`);
});

test('every trace file of every capture is one the oracle reads', () => {
  // run.sh fixtures gzips a trace only over ~300 KB: a smaller capture's plain trace.txt, or a new
  // recorder's file, would otherwise be skipped without a word
  const read = new Set(TRACE_FILES.map((t) => t.file));
  for (const cap of captures) {
    const exp = JSON.parse(fs.readFileSync(path.join(ROOT, cap, 'expect.json'), 'utf8')) as Expect;
    assert.ok(exp.traceFiles.length > 0, `${cap}: expect.json lists no trace file`);
    for (const { file } of exp.traceFiles) {
      assert.ok(read.has(file), `${cap}/${file} is not among the files the oracle reads (${[...read].join(', ')})`);
      assert.ok(fs.existsSync(path.join(ROOT, cap, file)), `${cap}/${file} is missing`);
    }
  }
});

for (const cap of captures) {
  const dir = path.join(ROOT, cap);
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect;
  for (const { file, flags } of TRACE_FILES) {
    if (!fs.existsSync(path.join(dir, file))) continue;
    test(`oracle: ${cap}/${file}`, () => {
      const lockdep = fs.existsSync(path.join(dir, 'lockdep.txt.gz')) ? parseProcLockdep(read(dir, 'lockdep.txt.gz')) : undefined;
      const text = read(dir, file);
      const store = parseTrace(text, { file });
      if (flags) assert.ok(!store.warnings.some((w) => /no latency-flags column/.test(w.message)), 'the flags column was read');
      const a = analyze(store, { lockdep });
      const matched = new Set<Finding>();
      const gap = KNOWN_GAPS[`${cap}/${file}`];
      for (const r of exp.lockdepReports.filter((x) => x.inTraceWindow)) {
        const line = r.trigger?.find((t) => t.file === file)?.line;
        const f = a.findings.find((x) => x.kind === r.kind && sameSet(x.locks, r.locks) && x.line === line);
        if (!f && gap && gap.kind === r.kind) {
          // the reason is checked on the input itself, so a capture that gains the data fails here
          assert.ok(
            gap.holds(
              text,
              store.warnings.map((w) => w.message),
            ),
            `${cap}/${file}: the known gap's reason no longer holds (${gap.why})`,
          );
          continue;
        }
        assert.ok(
          f,
          `lockdep's "${r.title}" (${r.locks.join(', ')}) at line ${line} is not a finding; got:\n${a.findings.map((x) => `  ${x.kind}@${x.line} ${x.locks.join(',')}`).join('\n')}`,
        );
        assert.equal(`${f.comm}/${f.pid}`, `${r.task?.comm}/${r.task?.pid}`, 'the task lockdep names');
        assert.ok(!gap || gap.kind !== r.kind, `${cap}/${file}: the known gap (${gap?.why}) is closed: remove it from KNOWN_GAPS`);
        matched.add(f);
      }
      for (const f of a.findings) {
        if (matched.has(f)) continue;
        const why = explain(f, dir, exp, file);
        assert.ok(
          why,
          `a finding lockdep did not report and no rule explains: ${f.kind} at line ${f.line} (${f.locks.join(', ')})\n${f.message}`,
        );
      }
    });
  }
}

/** Names as the trace prints them: /proc/lockdep's `#N` and `/N` (and locktrace's `/N`) removed. */
const base = (name: string) => name.replace(/(#\d+)?(\/\d+)?$/, '');

/**
 * Every ordered pair of classes lockdep validated together: /proc/lockdep_chains lists each chain
 * of locks held at once in one irq context (its /proc/lockdep prints only dependencies at distance
 * 1, so a lock nested under an RCU map would be missing there).
 */
function chainPairs(text: string): Set<string> {
  const pairs = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const names = [...block.matchAll(/^\[[0-9a-f]+\] (.*)$/gm)].map((m) => base(m[1].trim()));
    for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) pairs.add(`${names[a]}\u0000${names[b]}`);
  }
  return pairs;
}

for (const cap of captures) {
  const dir = path.join(ROOT, cap);
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect;
  if (!fs.existsSync(path.join(dir, 'trace.txt.gz')) || !fs.existsSync(path.join(dir, 'lockdep_chains.txt.gz'))) continue;
  test(`oracle: every dependency of ${cap} is one the kernel's lockdep had`, () => {
    const pairs = chainPairs(read(dir, 'lockdep_chains.txt.gz'));
    const lockdep = parseProcLockdep(read(dir, 'lockdep.txt.gz'));
    const a = analyze(parseTrace(read(dir, 'trace.txt.gz'), { file: 'trace.txt.gz' }), { lockdep });
    // lockdep records no dependency once it is off: only edges made before its first report count
    const off = exp.lockdepReports[0]?.trigger?.find((t) => t.file === 'trace.txt.gz')?.line ?? Infinity;
    // a class whose key was unregistered before the snapshot (a workqueue destroyed at umount)
    // is gone from /proc/lockdep with its chains
    const known = new Set(lockdep.classes.map((c) => c.name));
    const missing: string[] = [];
    let checked = 0;
    a.graph.forEachEdge((_k, e) => {
      const file = (n: string) => n.startsWith('flock ') || n.startsWith('posix ');
      if (e.line >= off || file(e.from) || file(e.to)) return;
      if (!known.has(base(e.from)) || !known.has(base(e.to))) return;
      checked++;
      if (!pairs.has(`${base(e.from)}\u0000${base(e.to)}`)) missing.push(`${e.from} -> ${e.to} (line ${e.line})`);
    });
    assert.ok(checked > 0 || a.graph.size === 0, 'some dependencies were checked');
    assert.deepEqual(missing, [], `dependencies no chain of /proc/lockdep_chains has (of ${checked})`);
  });
}

test('held-lock-freed is checked on the plain captures with raw pointers and allocator events, and finds nothing', () => {
  // lockdep checks every kfree()/kmem_cache_free() against the freeing task's held locks
  // (debug_check_no_locks_freed()) and reported nothing in these boots
  const plain = captures.filter((cap) => {
    const exp = JSON.parse(fs.readFileSync(path.join(ROOT, cap, 'expect.json'), 'utf8')) as Expect;
    return !exp.hashedPointers && exp.lockdepReports.length === 0 && fs.existsSync(path.join(ROOT, cap, 'trace.txt.gz'));
  });
  const checked = plain.filter((cap) => / kmem_cache_free: /.test(read(path.join(ROOT, cap), 'trace.txt.gz')));
  assert.ok(checked.length >= 2, `plain raw-pointer captures with kmem_cache events: ${checked.join(', ')}`);
  for (const cap of checked) {
    const s = parseTrace(read(path.join(ROOT, cap), 'trace.txt.gz'), { file: 'trace.txt.gz' });
    const a = analyze(s);
    assert.ok(!a.notes.some((n) => /hashed pointers/.test(n.message)), `${cap}: the rule ran (raw pointers)`);
    // the silence means something: many frees happened while the freeing task held locks
    const frees = new Set(['kfree', 'kmem_cache_free'].map((n) => s.names.lookup(n)));
    const st = new LockState(s, a.model);
    let holding = 0;
    for (let i = 0; i < s.length; i++) {
      if (s.kind[i] === EventKind.Other && frees.has(s.ref[i]) && (st.tasks[s.task[i]]?.held.length ?? 0) > 0) holding++;
      st.step();
    }
    assert.ok(holding >= 100, `${cap}: only ${holding} frees while holding a lock`);
    assert.deepEqual(
      a.findings.map((f) => `${f.kind}@${f.line}`),
      [],
      cap,
    );
  }
});

test('a recording by locktrace record --kernel names file locks by path and analyses fcntl record locks', () => {
  const dir = path.join(ROOT, 'record-flock');
  const a = analyze(parseTrace(read(dir, 'trace.txt.gz'), { file: 'trace.txt.gz' }));
  assert.deepEqual(
    a.findings.map((f) => `${f.kind} ${f.locks.join(' ')}`),
    ['inversion flock /mnt/lockA flock /mnt/lockB', 'inversion posix /mnt/lockA posix /mnt/lockB'],
  );
  // the POSIX round's second lock is the one the kernel refused with EDEADLK
  assert.match(read(dir, 'stdout.txt'), /EDEADLK/);
});
