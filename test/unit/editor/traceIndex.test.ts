// The columnar trace index answers exactly what the straightforward object-per-span index did
// (kept here, compact, as the oracle), whole or built in slices as the extension host does, on the
// samples, a generated trace with thousands of syscalls and a trace sorted by time.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Analysis, EventFlag, EventKind, analyze, parseTrace } from '../../../src/core';
import { Held, HeldFlag, LockState } from '../../../src/core/analysis/state';
import { SyscallSpan, TraceIndex } from '../../../src/editor/traceIndex';
import { generateTrace } from '../../bench/generate';
import { fixture } from '../helpers';

/** The oracle builds the same span shape the index hands out. */
type OracleSpan = SyscallSpan;

/** The index as it was computed before it became columnar: one object per span. */
function oracle(a: Analysis) {
  const s = a.store;
  const spans: OracleSpan[] = [];
  const spanOfEvent = new Int32Array(s.length).fill(-1);
  const open = new Map<number, OracleSpan>();
  const takenIn = new Map<number, OracleSpan['taken'][number]>();
  const classEvents = new Map<string, { acquires: number[]; releases: number[]; contentions: number[] }>();
  const lines = s.tasks.map(() => ({ first: Infinity, last: 0 }));
  const newSpan = (taskId: number, name: string, nr: number, entryEvent: number, entryLine: number) => {
    const span: OracleSpan = {
      id: spans.length,
      taskId,
      name,
      nr,
      entryEvent,
      entryLine,
      exitEvent: -1,
      exitLine: -1,
      ret: null,
      taken: [],
      leaked: [],
    };
    spans.push(span);
    return span;
  };
  const st = new LockState(s);
  const hooks = {
    acquire: (_t: unknown, taskId: number, i: number, h: Held) => {
      const span = open.get(taskId);
      if (!span) return;
      const rec = { lockId: h.lock, className: s.className(h.lock), event: i, line: s.line[i], releasedLine: null };
      span.taken.push(rec);
      takenIn.set(i, rec);
    },
    sysExit: (t: { held: Held[] }, taskId: number, i: number) => {
      let span = open.get(taskId);
      const name = s.names.get(s.ref[i]);
      if (!span || span.name !== name) span = newSpan(taskId, name, -1, -1, -1);
      span.exitEvent = i;
      span.exitLine = s.line[i];
      span.ret = s.num[i];
      for (const h of t.held) {
        if (h.flags & HeldFlag.Pending) continue;
        span.leaked.push({
          lockId: h.lock,
          className: s.className(h.lock),
          line: s.line[h.acq],
          takenHere: span.entryEvent >= 0 && h.acq >= span.entryEvent,
          domain: s.locks[h.lock].domain,
        });
      }
      open.delete(taskId);
      spanOfEvent[i] = span.id;
    },
  };
  for (let i = 0; i < s.length; i++) {
    const kind = s.kind[i] as EventKind;
    const taskId = s.task[i];
    lines[taskId].first = Math.min(lines[taskId].first, s.line[i]);
    lines[taskId].last = Math.max(lines[taskId].last, s.line[i]);
    if (!(s.flags[i] & EventFlag.Duplicate)) {
      if (kind === EventKind.SysEnter) {
        open.set(taskId, newSpan(taskId, s.names.get(s.ref[i]), s.num[i], i, s.line[i]));
      } else if (kind >= EventKind.Acquire && kind <= EventKind.ContentionEnd) {
        const cls = s.className(s.ref[i]);
        let ce = classEvents.get(cls);
        if (!ce) classEvents.set(cls, (ce = { acquires: [], releases: [], contentions: [] }));
        if (kind === EventKind.Acquire) ce.acquires.push(i);
        else if (kind === EventKind.Release) {
          ce.releases.push(i);
          const held = st.tasks[taskId]?.held ?? [];
          let h: Held | undefined;
          for (let j = held.length - 1; j >= 0 && !h; j--) if (held[j].lock === s.ref[i]) h = held[j];
          const rec = h ? takenIn.get(h.acq) : undefined;
          if (rec) rec.releasedLine = s.line[i];
        } else if (kind === EventKind.Contended || kind === EventKind.ContentionBegin) ce.contentions.push(i);
      }
    }
    st.step(hooks);
    if (spanOfEvent[i] < 0) {
      const span = open.get(taskId);
      if (span) spanOfEvent[i] = span.id;
    }
  }
  return { spans, spanOfEvent, classEvents, lines };
}

/** Every answer of `index` against the oracle. */
function assertMatchesOracle(a: Analysis, index: TraceIndex): void {
  const o = oracle(a);
  const s = a.store;
  assert.equal(index.spanCount, o.spans.length);
  for (const span of o.spans) assert.deepEqual(index.span(span.id), span);
  for (let i = 0; i < s.length; i++) {
    const id = o.spanOfEvent[i];
    assert.equal(index.spanIdOf(i), id, `span of event ${i} (line ${s.line[i]})`);
  }
  for (const t of index.tasks) {
    const mine = o.spans.filter((x) => x.taskId === t.taskId);
    assert.deepEqual(index.spansOfTask(t.taskId), mine);
    assert.equal(t.spanCount, mine.length);
    assert.equal(t.firstLine, o.lines[t.taskId].first === Infinity ? 0 : o.lines[t.taskId].first);
    assert.equal(t.lastLine, o.lines[t.taskId].last);
    for (const x of mine.slice(0, 50)) {
      assert.equal(
        index.leaksKernelLock(x.id),
        x.leaked.some((l) => l.takenHere && l.domain === 'kernel'),
      );
      assert.equal(index.returnValue(x.id), x.ret);
      assert.equal(index.syscallName(x.id), x.name);
      assert.equal(index.entryLine(x.id), x.entryLine);
      assert.equal(index.exitLine(x.id), x.exitLine);
    }
  }
  for (const [cls, ce] of o.classEvents) {
    const mine = index.classEvents(cls);
    if (!ce.acquires.length && !ce.releases.length && !ce.contentions.length) continue;
    assert.ok(mine, cls);
    assert.deepEqual([...mine.acquires], ce.acquires, cls);
    assert.deepEqual([...mine.releases], ce.releases, cls);
    assert.deepEqual([...mine.contentions], ce.contentions, cls);
    assert.equal(index.contentionCount(cls), ce.contentions.length);
    const mid = Math.floor(s.length / 2);
    assert.equal(index.contentionCount(cls, mid), ce.contentions.filter((i) => i <= mid).length);
    const refs = [
      ...ce.acquires.map((event) => ({ line: s.line[event], event, kind: 'acquire' })),
      ...ce.releases.map((event) => ({ line: s.line[event], event, kind: 'release' })),
    ].sort((x, y) => x.line - y.line || x.event - y.event);
    assert.deepEqual(index.referenceLines(cls), refs, cls);
  }
}

async function sliced(a: Analysis, slice: number): Promise<{ index: TraceIndex; pauses: number }> {
  let pauses = 0;
  const index = await TraceIndex.build(a, slice, () => {
    pauses++;
    return Promise.resolve();
  });
  return { index, pauses };
}

for (const sample of ['samples/syscall-order-inversion.trace', 'samples/flock-deadlock.real.trace']) {
  test(`whole and sliced builds answer as the oracle: ${sample}`, async () => {
    const a = analyze(parseTrace(fixture(sample), { file: sample }));
    assertMatchesOracle(a, new TraceIndex(a));
    const { index, pauses } = await sliced(a, 3);
    assert.ok(pauses >= Math.floor(a.store.length / 3) - 1, `yielded ${pauses} times`);
    assertMatchesOracle(a, index);
    const whole = new TraceIndex(a);
    for (let line = 1; line <= a.store.line[a.store.length - 1] + 1; line++) {
      assert.deepEqual(index.eventsOnLine(line), whole.eventsOnLine(line));
      assert.equal(index.positionAtLine(line), whole.positionAtLine(line));
    }
  });
}

test('a generated trace with thousands of syscalls, contention and an inversion', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-index-'));
  try {
    const file = path.join(dir, 'gen.txt');
    generateTrace(file, { events: 30_000, format: 'ftrace', seed: 3, classes: 20 });
    const a = analyze(parseTrace(fs.readFileSync(file, 'utf8'), { file }));
    assert.ok(a.store.length >= 30_000);
    const { index } = await sliced(a, 7001);
    let pauses = 0;
    assert.ok(index.spanCount > 3000, `${index.spanCount} spans`);
    assertMatchesOracle(a, index);
    // a zero time budget yields after every chunk of events, whatever the slice size
    const budget = await TraceIndex.build(
      a,
      1_000_000,
      () => {
        pauses++;
        return Promise.resolve();
      },
      0,
    );
    assert.ok(pauses >= 3, `yielded ${pauses} times`);
    assertMatchesOracle(a, budget);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('traces sorted by time: events of a line and the position at a line', () => {
  const text = [
    '  a-1 [000] ..... 2.0: lock_acquire: 01 la',
    '  b-2 [001] ..... 1.0: lock_acquire: 02 lb',
    '# a comment',
    '  a-1 [000] ..... 3.0: lock_release: 01 la',
    '  b-2 [001] ..... 2.5: lock_release: 02 lb',
  ].join('\n');
  const a = analyze(parseTrace(text, { file: 'x', sort: true }));
  assert.equal(a.store.sorted, true);
  const index = new TraceIndex(a);
  const s = a.store;
  for (let line = 0; line <= 6; line++) {
    const on: number[] = [];
    for (let i = 0; i < s.length; i++) if (s.line[i] === line) on.push(i);
    assert.deepEqual(index.eventsOnLine(line), on, `line ${line}`);
    // the last event on the line, else the first event of the greatest line below
    let best = -1;
    for (let i = 0; i < s.length; i++) if (s.line[i] <= line && (best < 0 || s.line[i] > s.line[best])) best = i;
    assert.equal(index.positionAtLine(line), on.length ? on[on.length - 1] : best, `position at line ${line}`);
  }
  assertMatchesOracle(a, index);
});
