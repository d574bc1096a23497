// Reads one report's lines into a KernelReport: the task, the lock being acquired and the one
// held, the `-> #N` chain with each entry's stack, every held-lock list, the irq usages with their
// stacks, and the backtrace. Lines it does not know are passed over; stacks and lists are bounded.

import { StackFrame } from '../types';
import { KernelLockRef, KernelReport, UsageTrace } from './model';
import { isRegisterLine, parseFrame, parseLockLine, parseMarker, parseTask, splitClassName, usageStates } from './lines';
import { RawReport } from './reader';

/** Frames kept per stack (lockdep saves at most 64 per trace; symbolized logs add inlined frames). */
export const MAX_FRAMES = 256;
const MAX_HELD_LISTS = 512;
const MAX_HELD = 64;
const MAX_CHAIN = 64;
const MAX_USAGES = 32;
const MAX_DETAILS = 6;
/** Lines of lockdep-other reports not worth repeating in the finding's message. */
const BOILERPLATE =
  /^(?:other info that might help us debug this:|Showing all locks held in the system:|---\[ end trace|Modules linked in:|"echo 0 > \/proc|task:\S+ +state:|Hardware name:|[=-]{4,}$)|(?:^| )(?:Not tainted|Tainted: )/;

type Slot = 'acquiring' | 'holding' | 'other' | 'safe' | 'unsafe' | 'skip';

const TASK_PHRASES: [RegExp, Slot | null][] = [
  [/^(.+) is trying to acquire lock:$/, 'acquiring'],
  [/^(.+) \[HC\d+\[\d+\]:SC\d+\[\d+\]:HE\d+:SE\d+\] (?:takes|is trying to acquire):$/, 'acquiring'],
  [/^(.+) just changed the state of lock:$/, 'acquiring'],
  [/^(.+) is trying to lock:$/, 'acquiring'],
  [/^(.+) is leaving the kernel with locks still held!$/, null],
];

function pushFrame(stack: StackFrame[], f: StackFrame): void {
  if (stack.length < MAX_FRAMES) stack.push(f);
}

/** The usage an irq-safe / irq-unsafe lock shows for `state`, from its usage bits (writer unless only the reader bit is set). */
function usageFor(lock: KernelLockRef | undefined, state: string, safe: boolean): string {
  const states = lock?.usage ? usageStates(lock.usage) : [];
  const want = safe ? [`IN-${state}-W`, `IN-${state}-R`] : [`${state}-ON-W`, `${state}-ON-R`];
  return want.find((u) => states.includes(u)) ?? want[0];
}

export function parseReport(raw: RawReport, index: number): KernelReport {
  const r: KernelReport = {
    index,
    kind: raw.kind,
    title: raw.title,
    line: raw.line,
    endLine: raw.lines.length ? raw.lines[raw.lines.length - 1].line : raw.line,
    ts: raw.ts,
    stream: raw.stream,
    chain: [],
    held: [],
    noneHeld: [],
    backtrace: [],
    backtraceLine: 0,
    usages: [],
    details: [],
    notes: raw.cut ? ['the report is cut (too many lines)'] : [],
  };
  const fromTitle =
    /^(?:WARNING|BUG): (.+) still has locks held!$/.exec(raw.title) ??
    /^\[ (?:BUG|INFO): (.+) still has locks held! \]$/.exec(raw.title) ??
    /^INFO: task (.+):(\d+) blocked for more than/.exec(raw.title);
  if (fromTitle)
    r.task = fromTitle[2] !== undefined ? { comm: fromTitle[1], pid: Number(fromTitle[2]) } : (parseTask(fromTitle[1]) ?? undefined);
  const spin = /^BUG: \S+ .* on CPU#(\d+), (.+)$/.exec(raw.title);
  if (spin) {
    r.cpu = Number(spin[1]);
    r.task = parseTask(spin[2]) ?? undefined;
  }
  let fallbackTask: { comm: string; pid: number } | undefined;

  let slot: Slot | null = null;
  /** The last lock read into a slot or a held list: repeated lines of it (one per inlined caller) add `at` frames. */
  let last: KernelLockRef | null = null;
  let lastIndex: number | null = null;
  let stack: StackFrame[] | null = null;
  let heldList: KernelReport['held'][number] | null = null;
  let classBlock: string | null = null;
  let irqState: string | undefined;
  const scratch: StackFrame[] = [];

  const assign = (lock: KernelLockRef, s: Slot): void => {
    if (s === 'acquiring') r.acquiring ??= lock;
    else if (s === 'holding') r.holding ??= lock;
    else if (s === 'other') r.other ??= lock;
    else if (s === 'safe') r.safe ??= lock;
    else if (s === 'unsafe') r.unsafe ??= lock;
  };

  for (let n = 0; n < raw.lines.length; n++) {
    const { line } = raw.lines[n];
    let text = raw.lines[n].text;
    let t = text.trim();
    if (t === '') {
      if (stack !== r.backtrace) stack = null;
      continue;
    }
    const marker = parseMarker(text);
    if (marker) {
      text = marker.rest;
      t = text.trim();
      if (t === '') continue;
    }
    if (isRegisterLine(text)) continue;

    // a repeated lock line (symbolized logs print one per inlined caller): more `at` frames
    if (last && t.includes('(')) {
      const again = parseLockLine(text, line);
      if (again && again.lock.name === last.name && again.lock.address === last.address && again.index === lastIndex) {
        if (again.lock.at) (last.at ??= []).push(...again.lock.at);
        continue;
      }
    }
    last = null;

    let m: RegExpExecArray | null;
    if ((m = /^-> #(\d+) (?=\()/.exec(t))) {
      const l = parseLockLine(` ${t.slice(m[0].length)}`, line);
      if (l && r.chain.length < MAX_CHAIN) {
        const entry = { depth: Number(m[1]), lock: l.lock, stack: [] as StackFrame[] };
        r.chain.push(entry);
        stack = entry.stack;
      } else {
        if (!l) r.notes.push(`line ${line}: a chain entry without a lock class`);
        stack = scratch;
      }
      slot = null;
      continue;
    }
    if (/^-> \(/.test(t)) {
      // irq reports: `-> (class){usage} {` opens a class block with its usage stacks
      classBlock = parseLockLine(` ${t.slice(3)}`, line)?.lock.name ?? null;
      stack = null;
      continue;
    }
    if ((m = /^((?:IN-)?[A-Z_]+(?:-ON)?-[RW]|INITIAL(?: READ)? USE|INITIAL USE) at:$/.exec(t))) {
      if (r.usages.length < MAX_USAGES) {
        const u: UsageTrace = { lock: classBlock, usage: m[1], line, stack: [] };
        r.usages.push(u);
        stack = u.stack;
      } else stack = scratch;
      continue;
    }
    if (/^\.\.\. (?:acquired at|key +at):?/.test(t)) {
      stack = scratch;
      continue;
    }
    if (t === '}') {
      stack = null;
      continue;
    }
    if (t === '...') continue; // printed between `... which became …-unsafe at:` and its stack
    if ((m = /^\{([A-Z_-]+)\} state was registered at:$/.exec(t))) {
      const u: UsageTrace = { lock: r.acquiring?.name ?? null, usage: m[1], line, stack: [] };
      if (r.usages.length < MAX_USAGES) r.usages.push(u);
      stack = u.stack;
      continue;
    }
    if ((m = /^\.\.\. which became (\w+)-irq-(safe|unsafe) at:$/.exec(t))) {
      const lock = m[2] === 'safe' ? r.safe : r.unsafe;
      const u: UsageTrace = { lock: lock?.name ?? null, usage: usageFor(lock, m[1], m[2] === 'safe'), line, stack: [] };
      if (r.usages.length < MAX_USAGES) r.usages.push(u);
      stack = u.stack;
      continue;
    }
    if ((m = /^(\d+) locks? held by (.+):$/.exec(t))) {
      const task = parseTask(m[2]);
      if (task && r.held.length < MAX_HELD_LISTS) {
        heldList = { ...task, line, count: Number(m[1]), locks: [] };
        r.held.push(heldList);
      } else heldList = null;
      stack = null;
      slot = null;
      continue;
    }
    if ((m = /^no locks held by (.+)\.$/.exec(t))) {
      const task = parseTask(m[1]);
      if (task) r.noneHeld.push({ ...task, line });
      heldList = null;
      continue;
    }
    if (t === 'stack backtrace:' || (/^(?:Call Trace|Call trace|Backtrace):?$/.test(t) && r.backtrace.length === 0)) {
      if (t === 'stack backtrace:' || r.backtraceLine === 0) r.backtraceLine = line;
      stack = r.backtrace;
      heldList = null;
      continue;
    }
    if ((m = /^CPU: (\d+) (?:UID: \d+ )?PID: (-?\d+) Comm: (.+?)(?: (?:Not tainted|Tainted:).*)?$/.exec(t))) {
      r.cpu ??= Number(m[1]);
      fallbackTask ??= { comm: m[3], pid: Number(m[2]) };
      continue;
    }
    if ((m = /^Pid: (\d+), comm: (.+?)(?: (?:Not tainted|Tainted:).*)?$/.exec(t))) {
      fallbackTask ??= { comm: m[2], pid: Number(m[1]) };
      continue;
    }
    if (r.kernel === undefined && n < 3 && /^\d+\.\d+\S*(?: #\S+)?(?: \S+)*?(?: (?:Not tainted|Tainted: .*))?\s*$/.test(t)) {
      r.kernel = t;
      continue;
    }
    let phrase = false;
    for (const [re, s] of TASK_PHRASES) {
      if ((m = re.exec(t))) {
        r.task ??= parseTask(m[1]) ?? undefined;
        if (s) {
          slot = s;
          r.acquiringLine ??= line;
        }
        phrase = true;
        break;
      }
    }
    if (phrase) {
      stack = null;
      heldList = null;
      continue;
    }
    if ((m = /^(.+) is trying to release lock \((.*)\) at:$/.exec(t))) {
      r.task ??= parseTask(m[1]) ?? undefined;
      const lock: KernelLockRef = { name: m[2], ...splitClassName(m[2]), line, at: [] };
      r.acquiring ??= lock;
      r.acquiringLine ??= line;
      stack = lock.at ?? null;
      continue;
    }
    if ((m = /^(.+) is freeing memory (\S+)-(\S+), with a lock still held there!$/.exec(t))) {
      r.task ??= parseTask(m[1]) ?? undefined;
      r.freed = { from: m[2], to: m[3], line };
      slot = 'acquiring';
      r.acquiringLine ??= line;
      continue;
    }
    if (/^(?:but task is already holding lock|and this task is already holding):$/.test(t)) {
      slot = 'holding';
      continue;
    }
    if ((m = /^but this lock (took|was taken by) another, (\w+)-(?:safe|unsafe) lock in the past:$/.exec(t))) {
      r.otherRelation = { forwards: m[1] === 'took', state: m[2] };
      slot = 'other';
      continue;
    }
    if (t === 'which would create a new lock dependency:') {
      slot = 'skip';
      continue;
    }
    if ((m = /^but this new dependency connects a (\w+)-irq-safe lock:$/.exec(t))) {
      irqState = m[1];
      slot = 'safe';
      continue;
    }
    if ((m = /^to a (\w+)-irq-unsafe lock:$/.exec(t))) {
      irqState ??= m[1];
      slot = 'unsafe';
      continue;
    }
    if ((m = /^lock: ([^\s,+]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \[[\w-]+\])?, \.magic: /.exec(t))) {
      // spinlock debugging: the lock's symbol (a static lock's class is named after it)
      r.acquiring ??= { name: m[1], ...splitClassName(m[1]), line };
      continue;
    }
    if ((m = /^inconsistent \{([\w-]+)\} -> \{([\w-]+)\} usage\.$/.exec(t))) {
      r.usageChange = [m[1], m[2]];
      continue;
    }

    if (t.includes('(')) {
      const l = parseLockLine(text, line);
      if (l) {
        stack = null;
        if (l.index !== null && heldList) {
          if (heldList.locks.length < MAX_HELD) heldList.locks.push(l.lock);
          last = l.lock;
          lastIndex = l.index;
          continue;
        }
        if (slot) {
          if (slot !== 'skip') assign(l.lock, slot);
          last = l.lock;
          lastIndex = null;
          slot = null;
          continue;
        }
        continue;
      }
    }
    const f = parseFrame(text, line);
    if (f) {
      if (stack) pushFrame(stack, f);
      continue;
    }
    // any other line ends the stack being read (the backtrace has header lines among its frames)
    if (stack !== r.backtrace) stack = null;
    if (r.kind === 'lockdep-other' && r.details.length < MAX_DETAILS && !BOILERPLATE.test(t)) r.details.push(t);
  }

  r.task ??= fallbackTask;
  if (irqState) r.irqState = irqState;
  if (r.kind === 'irq-state' && !r.irqState) {
    const st = /(\w+)-safe -> \w+-unsafe/.exec(r.title) ?? (r.otherRelation ? [r.otherRelation.state, r.otherRelation.state] : null);
    if (st) r.irqState = st[1];
  }
  if (r.kind === 'inversion' && r.chain.length === 0) r.notes.push('no `-> #N` dependency chain in the report');
  if (r.backtraceLine === 0 && r.kind !== 'held-across-syscall') r.notes.push('no stack backtrace in the report');
  return r;
}
