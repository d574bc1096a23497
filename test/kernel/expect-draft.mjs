#!/usr/bin/env node
// Drafts a kernel capture's expect.json (test/fixtures/kernel/<capture>/): the lockdep reports in the
// boot's dmesg, their kind, lock classes and reporting task, whether they fall inside the trace
// window, and the trace line of the event that made lockdep report. A draft only: run.sh fixtures
// writes it as expect.draft.json and a person checks it against dmesg.txt and the trace before
// renaming it (docs/kernel.md). Deliberately independent of src/ (it is the oracle's side, not
// locktrace's) and kept simple: it knows the report layouts of Linux 6.1's lockdep.c.
//
//   node test/kernel/expect-draft.mjs DIR [WORKLOAD-COMMAND]     (prints JSON)
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: expect-draft.mjs DIR [WORKLOAD-COMMAND]');
  process.exit(2);
}
const workload = process.argv[3] ?? null;

function readMaybeGz(name) {
  if (existsSync(join(dir, name))) return readFileSync(join(dir, name), 'utf8');
  if (existsSync(join(dir, name + '.gz'))) return gunzipSync(readFileSync(join(dir, name + '.gz'))).toString('utf8');
  return null;
}

/** Title -> finding kind (the kinds locktrace and its kernel-log reader use). */
const KINDS = [
  [/possible circular locking dependency detected/, 'inversion'],
  [/possible recursive locking detected/, 'recursive'],
  [/lock held when returning to user space!/, 'held-across-syscall'],
  [/bad unlock balance detected!/, 'bad-unlock'],
  [/still has locks held!/, 'held-at-exit'],
  [/held lock freed!/, 'held-lock-freed'],
  [/inconsistent lock state|possible irq lock inversion dependency detected|-safe -> \S+-unsafe lock order detected/, 'irq-state'],
];

// ------------------------------------------------------------------ dmesg
const dmesg = readMaybeGz('dmesg.txt') ?? '';
const dlines = dmesg.split('\n').map((l) => {
  const m = /^\[\s*(\d+\.\d+)\] ?(.*)$/.exec(l);
  return m ? { time: Number(m[1]), text: m[2] } : { time: null, text: l };
});

/** `ffff888000bd3070 (&dev->a_lock){+.+.}-{3:3}, at: ...` or ` (&dev->plain_lock){+.+.}-{2:2}` */
function classOf(text) {
  const m = /^\s*(?:#\d+: )?([0-9a-f]{8,16} )?\((.*?)\)\{[^}]*\}/.exec(text);
  return m ? { name: m[2], address: m[1] ? m[1].trim() : null } : null;
}

const reports = [];
for (let i = 1; i < dlines.length; i++) {
  if (!/^=+$/.test(dlines[i - 1].text) || !/^(WARNING|BUG|INFO): /.test(dlines[i].text)) continue;
  const title = dlines[i].text;
  const kind = KINDS.find(([re]) => re.test(title))?.[1] ?? 'lockdep-other';
  const body = [];
  for (let j = i + 1; j < dlines.length && j < i + 400; j++) {
    if (/^=+$/.test(dlines[j].text) && j + 1 < dlines.length && /^(WARNING|BUG|INFO): /.test(dlines[j + 1].text)) break;
    body.push({ ...dlines[j], line: j + 1 });
    if (dlines[j].text === 'stack backtrace:') break;
  }
  const after = (re) => {
    const k = body.findIndex((b) => re.test(b.text));
    return k >= 0 && k + 1 < body.length ? body[k + 1].text : null;
  };
  const find = (re) => body.map((b) => re.exec(b.text)).find(Boolean) ?? null;
  const r = { kind, title, dmesgLine: i + 1, time: dlines[i].time };
  let task = null;
  let subject = null; // the lock the reporting task was acquiring/releasing/changing
  let locks = [];
  const held = [];
  const heldHdr = body.findIndex((b) => /^\d+ locks? held by /.test(b.text));
  if (heldHdr >= 0)
    for (let k = heldHdr + 1; k < body.length && /^\s*#\d+: /.test(body[k].text); k++) held.push(classOf(body[k].text).name);

  if (kind === 'inversion' || kind === 'recursive') {
    const t = find(/^(.+)\/(\d+) is trying to acquire lock:$/);
    task = t && { comm: t[1], pid: Number(t[2]) };
    subject = classOf(after(/is trying to acquire lock:$/) ?? '');
    const holding = classOf(after(/^but task is already holding lock:$/) ?? '');
    const chain = body
      .map((b) => /^-> #(\d+) \((.*?)\)\{/.exec(b.text))
      .filter(Boolean)
      .map((m) => m[2]);
    locks = [...new Set([subject?.name, holding?.name, ...chain].filter(Boolean))];
    if (chain.length) r.chain = chain;
  } else if (kind === 'held-across-syscall') {
    const t = find(/^(.+)\/(\d+) is leaving the kernel with locks still held!$/);
    task = t && { comm: t[1], pid: Number(t[2]) };
    locks = [...new Set(held)];
  } else if (kind === 'held-at-exit') {
    const t = /^WARNING: (.+)\/(\d+) still has locks held!$/.exec(title);
    task = t && { comm: t[1], pid: Number(t[2]) };
    locks = [...new Set(held)];
  } else if (kind === 'bad-unlock') {
    const t = find(/^(.+)\/(\d+) is trying to release lock \((.*)\) at:$/);
    task = t && { comm: t[1], pid: Number(t[2]) };
    subject = t && { name: t[3], address: null };
    locks = subject ? [subject.name] : [];
  } else if (kind === 'held-lock-freed') {
    const t = find(/^(.+)\/(\d+) is freeing memory ([0-9a-f]+)-([0-9a-f]+), with a lock still held there!$/);
    task = t && { comm: t[1], pid: Number(t[2]) };
    if (t) r.freed = { from: t[3], to: t[4] };
    subject = classOf(after(/with a lock still held there!$/) ?? '');
    locks = subject ? [subject.name] : [];
  } else if (kind === 'irq-state') {
    const usage = find(/^inconsistent (\{.*\}) -> (\{.*\}) usage\.$/);
    if (usage) {
      r.usage = [usage[1], usage[2]];
      const t = find(/^(.+)\/(\d+) \[HC\d\[\d+\]:SC\d\[\d+\]:HE\d:SE\d\] takes:$/);
      task = t && { comm: t[1], pid: Number(t[2]) };
      subject = classOf(after(/\] takes:$/) ?? '');
      locks = subject ? [subject.name] : [];
    } else if (/irq lock inversion/.test(title)) {
      const t = find(/^(.+)\/(\d+) just changed the state of lock:$/);
      task = t && { comm: t[1], pid: Number(t[2]) };
      subject = classOf(after(/just changed the state of lock:$/) ?? '');
      const other = classOf(after(/^but this lock (took another|was taken by another), \S+ lock in the past:$/) ?? '');
      const how = find(/^but this lock (took another|was taken by another), (\S+) lock in the past:$/);
      if (how) r.usage = [how[1] === 'took another' ? how[2].replace('unsafe', 'safe') : how[2].replace('safe', 'unsafe'), how[2]];
      locks = [subject?.name, other?.name].filter(Boolean);
    } else {
      const t = find(/^(.+)\/(\d+) \[HC\d\[\d+\]:SC\d\[\d+\]:HE\d:SE\d\] is trying to acquire:$/);
      task = t && { comm: t[1], pid: Number(t[2]) };
      subject = classOf(after(/\] is trying to acquire:$/) ?? '');
      const safe = classOf(after(/^but this new dependency connects a \S+ lock:$/) ?? '');
      const unsafe = classOf(after(/^to a \S+ lock:$/) ?? '');
      const m = /^WARNING: (\S+)-safe -> (\S+)-unsafe lock order detected$/.exec(title);
      if (m) r.usage = [`${m[1]}-safe`, `${m[2]}-unsafe`];
      locks = [safe?.name, unsafe?.name].filter(Boolean);
    }
  }
  r.task = task;
  r.locks = locks;
  if (subject) r.subject = subject;
  r.held = held;
  reports.push(r);
}

// ------------------------------------------------------------------ traces
const TRACE_FILES = ['trace.txt', 'trace-cmd-report-l.txt', 'trace-cmd-report.txt', 'perf-script.txt'];
// ftrace `trace`, trace-cmd report, trace-cmd report -l, perf script
const LINE_RES = [
  /^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+\S{5}\s+(\d+\.\d+):\s+(\S+?):?\s(.*)$/,
  /^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+(\d+\.\d+):\s+(\S+?):\s+(.*)$/,
  /^\s*(.*?)-(\d+)\s+(\d+)\S{5}\s+(\d+\.\d+):\s+(\S+?):\s+(.*)$/,
  /^\s*(.*?)\s+(\d+)\s+\[(\d+)\]\s+(\d+\.\d+):\s+(?:\w+:)?(\S+?):\s+(.*)$/,
];

function parseTrace(text) {
  const events = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#') || !lines[i].trim()) continue;
    for (const re of LINE_RES) {
      const m = re.exec(lines[i]);
      if (m) {
        events.push({ line: i + 1, comm: m[1].trim(), pid: Number(m[2]), time: Number(m[4]), event: m[5], rest: m[6] });
        break;
      }
    }
  }
  return { lines: lines.length - (text.endsWith('\n') ? 1 : 0), events };
}

/** `ffff888000bd3070 &dev->a_lock`, `0xffff... read rcu_read_lock`, `... try read sb_writers` */
function lockOf(rest) {
  const m = /^(?:0x)?([0-9a-f]+|\(____ptrval____\)) (?:try )?(?:read )?(.*)$/.exec(rest.trim());
  return m ? { address: m[1], name: m[2].trim() } : null;
}
const bare = (name) => name.replace(/#\d+$/, '').replace(/\/\d+$/, '');

// dmesg stamps are local_clock(); ftrace's and trace-cmd's default "local" clock is sched_clock(),
// which differs by a constant per boot, logged by `ls_seed clocks` after the capture (clocks.txt);
// perf's clock is local_clock() itself.
const clocks = readMaybeGz('clocks.txt') ?? '';
const om = /local_clock-trace_clock_local=(-?\d+) ns/.exec(clocks);
const offset = om ? Number(om[1]) / 1e9 : null;
const clockOffset = (file) => (file.startsWith('perf-script') ? 0 : offset);

function trigger(events, r, off) {
  if (!r.task || off === null) return null;
  const t = r.time - off;
  const before = events.filter((e) => e.pid === r.task.pid && e.time <= t);
  const last = (pred) => before.filter(pred).at(-1) ?? null;
  const isLock = (ev, subject) => (e) => {
    if (e.event !== ev) return false;
    const l = lockOf(e.rest);
    // trace addresses match the report's only with no_hash_pointers
    return l && l.name === bare(subject.name) && (hashed || !subject.address || l.address === subject.address);
  };
  switch (r.kind) {
    case 'inversion':
    case 'recursive':
    case 'irq-state':
      return r.subject ? last(isLock('lock_acquire', r.subject)) : null;
    case 'bad-unlock':
      return r.subject ? last(isLock('lock_release', r.subject)) : null;
    case 'held-across-syscall':
      return last((e) => e.event === 'sys_exit');
    case 'held-at-exit':
      return last((e) => e.event === 'sched_process_exit');
    case 'held-lock-freed':
      return last((e) => e.event === 'kfree' && r.freed && e.rest.includes(`ptr=${r.freed.from}`));
  }
  return null;
}

const cmdline = (readMaybeGz('cmdline.txt') ?? '').trim();
const hashed = !/\bno_hash_pointers\b/.test(cmdline);
const traces = [];
for (const f of TRACE_FILES) {
  const text = readMaybeGz(f);
  if (text === null) continue;
  const t = parseTrace(text);
  const name = existsSync(join(dir, f)) ? f : f + '.gz';
  traces.push({ file: name, ...t });
}
const primary = traces[0];
const window = primary && primary.events.length ? { first: primary.events[0].time, last: primary.events.at(-1).time } : null;

const primaryOffset = primary ? clockOffset(primary.file) : null;
for (const r of reports) {
  if (primaryOffset !== null) r.traceTime = Number((r.time - primaryOffset).toFixed(6));
  r.inTraceWindow = !!window && primaryOffset !== null && r.traceTime >= window.first && r.traceTime <= window.last;
  r.trigger = traces.map((t) => {
    const e = r.inTraceWindow ? trigger(t.events, r, clockOffset(t.file)) : null;
    return { file: t.file, line: e ? e.line : null, ...(e ? { time: e.time } : {}) };
  });
}

const stats = readMaybeGz('lockdep_stats.txt') ?? '';
const dl = /debug_locks:\s+(\d+)/.exec(stats);
const out = {
  capture: basename(dir.replace(/\/+$/, '')),
  workload,
  hashedPointers: hashed,
  // per file: seconds to subtract from a dmesg time to get this file's clock
  traceFiles: traces.map((t) => ({ file: t.file, lines: t.lines, events: t.events.length, dmesgMinusTraceClock: clockOffset(t.file) })),
  traceWindow: window,
  debugLocksAtEnd: dl ? Number(dl[1]) : null,
  lockdepReports: reports.map(
    ({ kind, title, dmesgLine, time, traceTime, inTraceWindow, task, locks, subject, chain, usage, held, trigger: trig }) => ({
      kind,
      title,
      dmesgLine,
      time,
      traceTime,
      inTraceWindow,
      task,
      locks,
      ...(subject ? { subject } : {}),
      ...(chain ? { chain } : {}),
      ...(usage ? { usage } : {}),
      heldAtReport: held,
      trigger: trig,
    }),
  ),
};
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
