// The lock graph as a first-class view (src/core/analysis/lockGraph.ts and friends): stable cycle
// ids, strongly connected components, the instance view, gate locks, declared hierarchies,
// workqueue attribution, diff and union. The fixtures under test/fixtures/graph/ state what they
// expect in `# expect:` lines (as the rule fixtures do, with the graph's fields: component,
// instanceCycle, guardedBy, via=SYSCALL@LINE) and a declared hierarchy in a `# hierarchy:` line.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'node:test';
import {
  EdgeAttributes,
  Replay,
  analyze,
  cycleFingerprint,
  cycleId,
  diffAnalyses,
  matchesCycleId,
  parseHierarchy,
  parseTrace,
  proposeHierarchy,
  toJsonReport,
  toSarif,
  unionCycles,
} from '../../../src/core';
import { stronglyConnected, witnessCycles } from '../../../src/core/analysis/cycles';
import { HierarchyMatcher } from '../../../src/core/analysis/hierarchy';
import { applySuppressions, parseSuppressions } from '../../../src/core/suppress';
import { selectFindings } from '../../../src/load';
import { packAnalysis, unpackAnalysis } from '../../../src/load/transfer';
import { lockHover } from '../../../src/editor/hover';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { repoRoot } from '../helpers';

const dir = path.join(repoRoot, 'test/fixtures/graph');
const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

function load(f: string, opts: { readLocks?: 'recursive' } = {}) {
  const text = read(f);
  const h = /^# hierarchy: (.*)$/m.exec(text);
  const hierarchy = h ? parseHierarchy(JSON.parse(h[1])).hierarchy : undefined;
  return analyze(parseTrace(text, { file: f }), { hierarchy, ...opts });
}

function expectations(text: string): { kind: string; fields: Record<string, string> }[] | 'none' {
  const out: { kind: string; fields: Record<string, string> }[] = [];
  for (const m of text.matchAll(/^# expect: (.*)$/gm)) {
    const parts = m[1].trim().split(/\s+/);
    if (parts[0] === 'none') return 'none';
    const fields: Record<string, string> = {};
    for (const p of parts.slice(1)) {
      const k = p.indexOf('=');
      fields[p.slice(0, k)] = p.slice(k + 1);
    }
    out.push({ kind: parts[0], fields });
  }
  return out;
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.trace'));

for (const f of files) {
  test(`graph fixture: ${f}`, () => {
    const want = expectations(read(f));
    const a = load(f);
    const got = a.findings.map((x) => `${x.kind}@${x.line} ${x.locks.join(',')} ${x.cycleId ?? ''}`);
    if (want === 'none') {
      assert.deepEqual(got, [], `${f}: expected no findings`);
      return;
    }
    assert.equal(a.findings.length, want.length, `${f}: findings were\n${got.join('\n')}`);
    // findings at one event come in no particular order: match each expectation by its locks
    for (const w of want) {
      const x = a.findings.find((y) => y.kind === w.kind && String(y.line) === w.fields.line && y.locks.join(',') === w.fields.locks);
      assert.ok(x, `${f}: no ${w.kind} at line ${w.fields.line} with ${w.fields.locks}; got\n${got.join('\n')}`);
      if (w.fields.pid) assert.equal(String(x.pid), w.fields.pid, `${f}: pid`);
      if (w.fields.syscall) assert.equal(String(x.syscall), w.fields.syscall, `${f}: syscall`);
      if (x.kind === 'inversion') {
        assert.equal(x.cycleId, cycleId(x.locks), `${f}: the cycle id is its class set's`);
        assert.ok(x.cycleFingerprint?.startsWith(x.cycleId.slice(3)), `${f}: the short id is a prefix of the fingerprint`);
      }
      if ('component' in w.fields) {
        const c = a.components.find((y) => y.id === x.component);
        assert.ok(c, `${f}: the finding's component is listed`);
        assert.equal(c.classes.join(','), w.fields.component, `${f}: component classes`);
      }
      if ('instanceCycle' in w.fields) assert.equal(String(x.instanceCycle), w.fields.instanceCycle, `${f}: instanceCycle\n${x.message}`);
      if ('guardedBy' in w.fields) assert.equal((x.guardedBy ?? []).join(','), w.fields.guardedBy, `${f}: guardedBy\n${x.message}`);
      if ('via' in w.fields) {
        const vias = (x.cycle ?? []).filter((e) => e.via).map((e) => `${e.via?.queued?.syscall}@${e.via?.queued?.line}`);
        assert.deepEqual(vias, [w.fields.via], `${f}: the kworker's edge is attributed to the queuing syscall`);
      }
    }
  });
}

test('cycle ids: the sorted class set, whatever the order, the closing edge or the trace', () => {
  assert.equal(cycleFingerprint(['b', 'a', 'c']), cycleFingerprint(['c', 'b', 'a']));
  assert.equal(cycleFingerprint(['a', 'b', 'a']), cycleFingerprint(['b', 'a']));
  assert.notEqual(cycleFingerprint(['a', 'b']), cycleFingerprint(['a', 'c']));
  assert.match(cycleId(['a', 'b']), /^LT-[0-9a-f]{4}$/);
  // a stable value: changing the hash would change every user's suppressions and SARIF history
  assert.equal(cycleFingerprint(['&inode->i_dio_map', 'sb_writers']).length, 16);
  const fp = cycleFingerprint(['lock_a', 'lock_b']);
  assert.ok(matchesCycleId(cycleId(['lock_a', 'lock_b']), fp));
  assert.ok(matchesCycleId(fp.slice(0, 9).toUpperCase(), fp));
  assert.ok(!matchesCycleId('LT-zzzz', fp));
  assert.ok(!matchesCycleId('LT-12', fp), 'fewer than 4 digits name nothing');
  // neighbouring class sets get unrelated short ids (the hash mixes its last characters into the leading digits)
  const shorts = new Set(Array.from({ length: 200 }, (_, k) => cycleId(['lock_a', `lock_${k}`])));
  assert.ok(shorts.size > 190, `short ids spread: ${shorts.size} distinct of 200`);
});

test('cycle ids are the same in every format and trace length', () => {
  const ids = (text: string) =>
    analyze(parseTrace(text, { file: 'x' }))
      .findings.filter((f) => f.kind === 'inversion')
      .map((f) => f.cycleId);
  const ftrace = fs.readFileSync(path.join(repoRoot, 'samples/syscall-order-inversion.trace'), 'utf8');
  const tc = fs.readFileSync(path.join(repoRoot, 'test/fixtures/core/syscall-order-inversion.trace-cmd.txt'), 'utf8');
  const perf = fs.readFileSync(path.join(repoRoot, 'test/fixtures/core/syscall-order-inversion.perf.txt'), 'utf8');
  const want = ids(ftrace);
  assert.equal(want.length, 1);
  assert.deepEqual(ids(tc), want);
  assert.deepEqual(ids(perf), want);
  // the same cycle with more trace after it
  const longer = `${ftrace.trimEnd()}\n${ftrace
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')}`;
  assert.deepEqual(ids(longer), want);
});

test('cycle ids on real captures: the AB-BA of lockseed has one id in ftrace, trace-cmd, perf, other runs and the kernel log', () => {
  const kernel = path.join(repoRoot, 'test/fixtures/kernel');
  const text = (f: string) => {
    const buf = fs.readFileSync(path.join(kernel, f));
    return (f.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8');
  };
  const ids = [
    'abba/trace.txt.gz',
    'abba-sched/trace.txt.gz',
    'abba-tracecmd/trace-cmd-report-l.txt.gz',
    'abba-tracecmd/trace-cmd-report.txt.gz',
    'abba-perf/perf-script.txt.gz',
    'xsyscall/trace.txt.gz',
    'abba/dmesg.txt',
  ].map((f) => {
    const inv = analyze(parseTrace(text(f), { file: f })).findings.filter((x) => x.kind === 'inversion');
    assert.equal(inv.length, 1, `${f}: one inversion`);
    assert.deepEqual(inv[0].locks, ['&dev->a_lock', '&dev->b_lock'], f);
    return inv[0].cycleId;
  });
  assert.deepEqual(new Set(ids), new Set([cycleId(['&dev->a_lock', '&dev->b_lock'])]));
});

test('a trace with ABC/BCA/CAB nesting is one component with its three 2-cycles, shown once', () => {
  const a = load('scc-abc.trace');
  assert.equal(a.components.length, 1);
  const c = a.components[0];
  assert.deepEqual(c.classes, ['lock_a', 'lock_b', 'lock_c']);
  assert.equal(c.edges, 6);
  assert.deepEqual(c.cycles.map((y) => [...y.path].sort().join(',')).sort(), ['lock_a,lock_b', 'lock_a,lock_c', 'lock_b,lock_c']);
  assert.ok(c.cycles.every((y) => y.reported && y.instanceCycle === true));
  assert.deepEqual(
    c.cycles.map((y) => y.line),
    [22, 22, 30],
  );
  const report = toJsonReport(a, 'scc-abc.trace');
  assert.equal(report.components.length, 1);
  assert.ok(report.findings.every((f) => f.component === c.id));
});

test('witness cycles are bounded: one BFS per edge target, a budget, never an enumeration', () => {
  // a complete digraph on 60 nodes has astronomically many elementary cycles, and 3540 edges
  const n = 60;
  const out = Array.from({ length: n }, (_, v) => Array.from({ length: n }, (_, w) => w).filter((w) => w !== v));
  const { comp, components } = stronglyConnected(n, (v) => out[v]);
  assert.equal(components.length, 1);
  const w = witnessCycles(components[0], comp, (v) => out[v]);
  assert.equal(w.truncated, false);
  assert.equal(w.cycles.length, (n * (n - 1)) / 2, 'one 2-cycle per pair, each found once');
  const small = witnessCycles(components[0], comp, (v) => out[v], 5000);
  assert.ok(small.truncated && small.visits < 5000 + n, 'stops at its budget');
  assert.ok(small.cycles.length > 0 && small.cycles.length < w.cycles.length, 'keeps what it found');
  // a 20,000-node chain closed into one ring: iterative, no stack overflow, one cycle
  const m = 20000;
  const ring = (v: number) => [(v + 1) % m];
  const big = stronglyConnected(m, ring);
  assert.equal(big.components.length, 1);
  const long = witnessCycles(big.components[0], big.comp, ring, 50_000);
  assert.equal(long.cycles.length, 1);
  assert.equal(long.cycles[0].length, m);
  assert.ok(long.truncated);
});

test('gates: guarded by the common exclusive lock held before the first lock of every edge', () => {
  const g = load('gate-guarded.trace').findings[0];
  assert.deepEqual(g.guardedBy, ['gate_mutex']);
  assert.match(g.message, /guarded by gate_mutex \(0xaaaa0001\): every edge of this cycle was made while the task already held it/);
  assert.equal(load('gate-partial.trace').findings[0].guardedBy, undefined);
  assert.equal(load('gate-read.trace').findings[0].guardedBy, undefined, 'a read-held lock serialises nothing');
});

test('instances: a class-level cycle between different instances is marked, with the instances', () => {
  const f = load('parent-child-instances.trace').findings[0];
  assert.equal(f.instanceCycle, false);
  assert.deepEqual(
    (f.instances ?? []).map((e) => `${e.from}@${e.fromInstance} -> ${e.to}@${e.toInstance}`),
    [
      '&ei->xattr_sem@0xffff888004b20180 -> &inode->i_rwsem@0xffff888004b20100',
      '&inode->i_rwsem@0xffff888004a10100 -> &ei->xattr_sem@0xffff888004a10180',
    ],
  );
  assert.match(f.message, /only different instances of these classes were taken in opposite orders/);
  const real = load('same-instances.trace').findings[0];
  assert.equal(real.instanceCycle, true);
  assert.equal(real.instances?.length, 2);
  assert.equal(real.instances?.[0].fromInstance, real.instances?.[1].toInstance);
});

test('declared hierarchy: levels, globs, nested levels; a consistent trace has no violation', () => {
  const m = new HierarchyMatcher([['a'], ['b*', 'c'], ['x/1']]);
  assert.equal(m.levelOf('a'), 0);
  assert.equal(m.levelOf('a/1'), 0, 'a class covers its nested levels');
  assert.equal(m.levelOf('bee'), 1);
  assert.equal(m.levelOf('x/1'), 2);
  assert.equal(m.levelOf('x'), -1);
  assert.equal(m.levelOf('zzz'), -1);
  assert.deepEqual(load('hierarchy-consistent.trace').findings, []);
  const v = load('hierarchy-violation.trace').findings;
  assert.equal(v.length, 1);
  assert.equal(v[0].kind, 'order-violation');
  assert.equal(v[0].occurrences, 2);
  assert.match(v[0].message, /puts sb_writers \(level 1\) before &mm->mmap_lock \(level 3\)/);
  // without a declared hierarchy there is never an order-violation
  assert.deepEqual(analyze(parseTrace(read('hierarchy-violation.trace'), { file: 'x' })).findings, []);
  assert.deepEqual(parseHierarchy(['a', ['b', 'c'], 3]).errors, [
    'hierarchy[2]: expected a class name or glob, or a list of them (level ignored)',
  ]);
});

test('the loading layer applies a declared hierarchy with the suppressions: no new analysis, unique ids, suppressible', () => {
  const a = analyze(parseTrace(read('hierarchy-violation.trace'), { file: 'x' }));
  const hierarchy = parseHierarchy(['sb_writers', '&sb->s_type->i_mutex_key', ['&mm->mmap_lock'], '&(&q*->lock)->rlock']).hierarchy;
  const sup = { file: 'ws/.locktrace.json', rules: [], errors: [], relativePath: 'x', hierarchy };
  const sel = selectFindings(a, { suppressions: sup });
  assert.deepEqual(
    sel.findings.map((f) => [f.kind, f.line, f.id]),
    [['order-violation', 18, a.findings.length]],
  );
  assert.match(sel.findings[0].message, /the declared hierarchy \(\.locktrace\.json\)/);
  assert.deepEqual(a.findings, [], 'the analysis itself is untouched');
  assert.deepEqual(selectFindings(a, { suppressions: sup, kinds: ['inversion'] }).findings, []);
  const quiet = selectFindings(a, { suppressions: { ...sup, rules: [{ kind: 'order-violation' }] } });
  assert.equal(quiet.findings.length, 0);
  assert.equal(quiet.suppressed.length, 1);
});

test('proposed hierarchy: the trace satisfies it, cycles share a level and are listed', () => {
  for (const f of ['hierarchy-consistent.trace', 'hierarchy-violation.trace', 'scc-abc.trace', 'diff-new.trace']) {
    const a = load(f);
    const p = proposeHierarchy(a.graph);
    const again = analyze(parseTrace(read(f), { file: f }), { hierarchy: p.levels });
    assert.deepEqual(
      again.findings.filter((x) => x.kind === 'order-violation').map((x) => x.message),
      [],
      `${f}: its own proposal holds`,
    );
    assert.equal(p.cycles.length > 0, a.components.length > 0, `${f}: cycles are listed exactly when there are some`);
  }
  const p = proposeHierarchy(load('hierarchy-consistent.trace').graph);
  assert.deepEqual(p.levels[0], ['sb_writers']);
  const abc = proposeHierarchy(load('scc-abc.trace').graph);
  assert.deepEqual(abc.levels, [['lock_a', 'lock_b', 'lock_c']]);
  assert.equal(abc.cycles.length, 3);
});

test('suppressions name a cycle id; the file may declare a hierarchy', () => {
  const a = load('scc-abc.trace');
  const target = a.findings[0];
  const parsed = parseSuppressions(JSON.stringify({ suppress: [{ cycle: target.cycleId, reason: 'known' }], hierarchy: ['lock_a'] }));
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.hierarchy, [['lock_a']]);
  const { kept, suppressed } = applySuppressions(a.findings, parsed.rules);
  assert.deepEqual(
    suppressed.map((s) => s.finding.cycleId),
    [target.cycleId],
  );
  assert.equal(kept.length, 2);
  assert.deepEqual(parseSuppressions('{"suppress":[{"cycle":"LT-xyz"}]}').errors, [
    'suppress[0]: "cycle" must be a cycle id such as "LT-3f9a" (4 to 16 hex digits)',
  ]);
  assert.deepEqual(parseSuppressions('{"hierarchy":["a"]}').errors, [], 'a file with only a hierarchy is fine');
});

test('SARIF: a cycle fingerprint per inversion, guarded inversions at a lower level', () => {
  const a = load('gate-guarded.trace');
  const log = toSarif(a) as { runs: { results: { level: string; partialFingerprints?: Record<string, string> }[] }[] };
  const r = log.runs[0].results[0];
  assert.equal(r.partialFingerprints?.['locktraceCycle/v1'], a.findings[0].cycleFingerprint);
  assert.equal(r.level, 'note');
  assert.equal((toSarif(a, 'x', a.findings, 'error') as typeof log).runs[0].results[0].level, 'error');
});

test('workqueues: a kworker edge names the work and the syscall that queued it', () => {
  const ev = load('workqueue-events.trace');
  const edge = ev.graph.getEdgeAttributes('lock_b', 'lock_a');
  assert.deepEqual(edge.via, { work: 'flush_fn', workqueue: 'events', queued: { line: 11, pid: 41, comm: 'writer', syscall: 'write' } });
  assert.match(
    ev.findings[0].message,
    /lock_b -> lock_a: line \d+, kworker\/0:1\/40 via work flush_fn on events queued in write \(line 11, writer\/41\)/,
  );
  const maps = load('workqueue-maps.trace');
  assert.match(
    maps.findings[0].message,
    /via work \(work_completion\)\(&dev->flush_work\) on events probably queued in write \(line 14, writer\/41\)/,
  );
});

test('workqueues on a real capture: kworker edges from the lockdep maps, queued from syscalls and timers', () => {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(repoRoot, 'test/fixtures/kernel/wholesys_fileio/trace.txt.gz'))).toString('utf8');
  const a = analyze(parseTrace(text, { file: 'trace.txt.gz' }));
  const via: EdgeAttributes[] = [];
  a.graph.forEachEdge((_k, e) => {
    if (e.via) via.push(e);
  });
  assert.ok(via.length > 20, `kworker edges attributed: ${via.length}`);
  assert.ok(
    via.every((e) => e.comm.startsWith('kworker/')),
    'only workers run work items',
  );
  // the loop device's work: queued under &lo->lo_work_lock by the workload in a syscall
  const loop = a.graph.getEdgeAttributes('(work_completion)(&lo->rootcg_work)', '&lo->lo_work_lock');
  assert.equal(loop.via?.queued?.comm, 'ls_fileio');
  assert.ok(loop.via?.queued?.syscall, 'queued in a syscall');
  // SRCU's grace-period work: queued by its delayed work's timer, in a softirq
  const srcu = via.find((e) => e.via?.work === '(work_completion)(&sdp->work)');
  assert.equal(srcu?.via?.queued?.context, 'softirq');
});

test('diff: new, gone and unchanged edges and cycles, each where it first shows up', () => {
  const d = diffAnalyses(load('diff-old.trace'), load('diff-new.trace'), 'old.trace', 'new.trace');
  assert.deepEqual(
    d.edges.new.map((e) => `${e.from}->${e.to}@${e.new?.file}:${e.new?.line} ${e.new?.syscall}`),
    ['lock_c->lock_a@new.trace:22 io_submit'],
  );
  assert.deepEqual(
    d.edges.gone.map((e) => `${e.from}->${e.to}@${e.old?.line} ${e.old?.syscall}`),
    ['lock_d->lock_e@21 ioctl'],
  );
  assert.equal(d.edges.unchanged.length, 2);
  assert.deepEqual(
    d.cycles.new.map((c) => c.cycleId),
    [cycleId(['lock_a', 'lock_b', 'lock_c'])],
  );
  assert.deepEqual(d.cycles.gone, []);
});

test('union: a cycle whose edges were recorded in three different traces', () => {
  const u = unionCycles(['union-1.trace', 'union-2.trace', 'union-3.trace'].map((f) => ({ file: f, analysis: load(f) })));
  assert.equal(u.cycles.length, 1);
  assert.deepEqual(u.cycles[0].files.sort(), ['union-1.trace', 'union-2.trace', 'union-3.trace']);
  assert.deepEqual(u.cycles[0].edges.map((e) => `${e.from}->${e.to}@${e.file}:${e.line}`).sort(), [
    'lock_a->lock_b@union-1.trace:10',
    'lock_b->lock_c@union-2.trace:10',
    'lock_c->lock_a@union-3.trace:10',
  ]);
  // a cycle one trace has whole is that trace's own finding, not the union's
  const self = unionCycles(['scc-abc.trace', 'union-1.trace'].map((f) => ({ file: f, analysis: load(f) })));
  assert.deepEqual(self.cycles, []);
});

test("the instance view: the pairs of lock instances on the components' edges, carried by the worker transfer", () => {
  const a = load('parent-child-instances.trace');
  assert.deepEqual(
    a.instanceEdges.map((e) => `${e.from}@${e.fromInstance} -> ${e.to}@${e.toInstance} line ${e.line}`),
    [
      '&inode->i_rwsem@0xffff888004a10100 -> &ei->xattr_sem@0xffff888004a10180 line 12',
      '&ei->xattr_sem@0xffff888004b20180 -> &inode->i_rwsem@0xffff888004b20100 line 18',
    ],
  );
  assert.deepEqual(load('diff-old.trace').instanceEdges, [], 'no component, nothing to show');
  const back = unpackAnalysis(JSON.parse(JSON.stringify(packAnalysis(a).packed)) as ReturnType<typeof packAnalysis>['packed']);
  assert.deepEqual(back.instanceEdges, a.instanceEdges);
  assert.deepEqual(back.components, a.components);
});

test('hovers: a lock in a guarded cycle shows the cycle id and its gate; a kworker edge names the queuing syscall', () => {
  const hover = (f: string, cls: string) => {
    const a = load(f);
    const md = lockHover(new TraceIndex(a), new Replay(a), a.findings, cls, a.store.line[a.store.length - 1], {
      reveal: (l: number) => `reveal:${l}`,
      debug: (l: number) => `debug:${l}`,
    });
    return { a, md };
  };
  const g = hover('gate-guarded.trace', 'lock_a');
  assert.match(
    g.md,
    new RegExp(`cycle \`${g.a.findings[0].cycleId}\`; guarded by \`gate_mutex\`: every edge made under it, so it cannot deadlock`),
  );
  const p = hover('parent-child-instances.trace', '&inode->i_rwsem');
  assert.match(
    p.md,
    /only between different instances of these classes \(`0xffff888004b20180` → `0xffff888004b20100`, `0xffff888004a10100` → `0xffff888004a10180`\)/,
  );
  assert.doesNotMatch(p.md, /closes between the same locks/);
  const s = hover('same-instances.trace', '&inode->i_rwsem');
  const [i0, i1] = s.a.findings[0].instances!;
  assert.ok(s.md.includes(`closes between the same locks: \`${i0.fromInstance}\` → \`${i1.fromInstance}\` → \`${i0.fromInstance}\``), s.md);
  assert.doesNotMatch(s.md, /only between different instances/);
  const w = hover('workqueue-events.trace', 'lock_a');
  assert.match(
    w.md,
    /`lock_b -> lock_a` first made at \[line \d+\]\(reveal:\d+\) via work flush_fn on events queued in write \(\[line 11\]\(reveal:11\), writer\/41\) by kworker\/0:1\/40/,
  );
});
