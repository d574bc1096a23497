// Gives meaning to parsed lines: lockdep tracepoints, lock-statistics and contention events,
// raw and per-syscall syscall events (with duplicate boundaries merged), fork/exit, and the
// syscall-level file locks (flock, and fcntl where the lock type is known) turned into lock
// events on a per-file lock. Shared by every text format and the JSONL reader.

import { ARM64_SYSCALLS, X86_64_SYSCALLS } from '../syscallTables';
import { EventStore } from '../store';
import { EventFlag, EventKind } from '../types';
import { RawEvent } from './textFormats';
import { Op, TRUNCATED, TokenDictionary, TokenView } from './tokens';

export type Arch = 'x86_64' | 'arm64';

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
// fcntl record locks: commands and lock types (asm-generic/fcntl.h)
const F_SETLK = 6;
const F_SETLKW = 7;
const F_OFD_SETLK = 37;
const F_OFD_SETLKW = 38;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;

const NO_SYSCALL = -1;
const NO_ARGS: number[] = [];
/** Syscalls that return a new descriptor for a path. */
const OPEN_SYSCALLS = new Set(['open', 'creat', 'openat', 'openat2']);
/** `path="/mnt/lockA"` (or file=, filename=, pathname=) in an event body. */
const PATH_FIELD = /(?:^|[\s(])(?:path|file|filename|pathname)="([^"]*)"/;
/** Syscalls whose arguments the file-lock tracking reads. */
const FILE_SYSCALLS = new Set(['open', 'creat', 'openat', 'openat2', 'close', 'flock', 'fcntl', 'fcntl64', 'dup', 'dup2', 'dup3']);

/** Slab allocation events that print `ptr=` and `bytes_alloc=` (include/trace/events/kmem.h; `_node` before Linux 6.1). */
export const ALLOC_EVENTS: ReadonlySet<string> = new Set(['kmalloc', 'kmalloc_node', 'kmem_cache_alloc', 'kmem_cache_alloc_node']);
/** Slab free events that print `ptr=`. */
export const FREE_EVENTS: ReadonlySet<string> = new Set(['kfree', 'kmem_cache_free']);

/** Whether the file-lock tracking reads the arguments of this syscall (when it derives file locks at all). */
export function fileSyscall(name: string): boolean {
  return FILE_SYSCALLS.has(name);
}

/** Syscall number -> name of raw_syscalls events. */
export function syscallTable(arch: Arch = 'x86_64'): Readonly<Record<number, string>> {
  return arch === 'arm64' ? ARM64_SYSCALLS : X86_64_SYSCALLS;
}

/**
 * The work item of a workqueue event, `ADDRESS\tFUNCTION[\tWORKQUEUE]`: `work struct=ADDR
 * function=FN workqueue=WQ …` (queue_work) or `work struct ADDR: function FN` (execute_start/end).
 */
export function workKey(body: string): string {
  const m = /work struct[= ]?(\S+?):?(?:\s+function[= ](\S+))?(?:\s+workqueue=(\S+))?(?:\s|$)/.exec(body);
  if (!m) return body;
  return [normalizeAddress(m[1]), m[2] ?? '', ...(m[3] ? [m[3]] : [])].join('\t');
}

/** Normalizes an address so `0x000000008a1c55e2`, `000000008a1c55e2` and `0x8A1C55E2` are one key. */
export function normalizeAddress(s: string): string {
  let h = s.toLowerCase();
  if (h.startsWith('0x')) h = h.slice(2);
  h = h.replace(/^0+/, '');
  return `0x${h || '0'}`;
}

/** Parses a printed integer: `0x…` hex, or decimal (with sign). 64-bit two's complement becomes negative. */
export function parseIntValue(s: string, hexDefault = false): number {
  const t = s.trim();
  const quick = quickInt(t, hexDefault);
  if (quick !== undefined) return quick;
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t) || (hexDefault && /^[0-9a-f]+$/i.test(t))) {
    const hex = t.replace(/^0x/i, '');
    if (hex.length >= 16 && /^[89a-f]/i.test(hex.padStart(16, '0'))) {
      v = Number(BigInt.asIntN(64, BigInt(`0x${hex}`)));
    } else {
      v = parseInt(hex, 16);
    }
  } else if (/^-?\d+$/.test(t)) {
    v = parseInt(t, 10);
  } else {
    v = NaN;
  }
  return v;
}

/**
 * parseIntValue's common cases without regular expressions: short hex (at most 12 digits, so
 * never a 64-bit negative) and short decimal (at most 15 digits, exact). undefined: not one of them.
 */
function quickInt(t: string, hexDefault: boolean): number | undefined {
  const n = t.length;
  if (n === 0 || n > 15) return undefined;
  let i = 0;
  let hex = hexDefault;
  if (n > 2 && t.charCodeAt(0) === 48 && (t.charCodeAt(1) | 0x20) === 120) {
    hex = true;
    i = 2;
  }
  let v = 0;
  if (hex) {
    if (n - i > 12) return undefined;
    for (; i < n; i++) {
      const c = t.charCodeAt(i);
      const l = c | 0x20;
      if (c >= 48 && c <= 57) v = v * 16 + c - 48;
      else if (l >= 97 && l <= 102) v = v * 16 + l - 87;
      else return undefined;
    }
    return v;
  }
  const neg = t.charCodeAt(0) === 45;
  if (neg) i = 1;
  if (i === n) return undefined;
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + c - 48;
  }
  return neg ? -v : v;
}

/** Per-task bookkeeping while building. */
interface TaskBuild {
  /** Last event of this task: kind and syscall name id (for duplicate detection). */
  lastKind: number;
  lastSys: number;
  /** Syscall the task is in (name id) or NO_SYSCALL, and its entry arguments. */
  sys: number;
  sysArgs: number[];
  /** Pending non-blocking flock: lock key and flags, decided at syscall exit. */
  pendingTry: { key: string; className: string; read: boolean } | null;
  /** Pending blocking flock: lock id to confirm or fail at exit. */
  pendingLock: number;
  /** fd -> file identity. */
  fds: Map<number, string>;
  /** Last openat/open filename argument (a user pointer or a path). */
  openName: string | null;
  /** A path an event printed for the task's next (or current) open, e.g. an eprobe on sys_enter_openat. */
  nextOpenPath: string | null;
  /** An fcntl record-lock command in progress (F_SETLK/F_SETLKW/OFD): its fd and cmd, until its lock type is known. */
  fcntl: { fd: number; cmd: number } | null;
  /** File locks held (lock id), to release on close. */
  fileLocks: Set<number>;
}

export interface InterpretOptions {
  arch?: Arch;
}

/** Turns parsed lines into store events. */
export class EventBuilder {
  private readonly tasks = new Map<number, TaskBuild>();
  private readonly table: Readonly<Record<number, string>>;
  private readonly nrByName = new Map<string, number>();
  /** The line of the first fcntl record-lock command, and whether any event printed a lock type. */
  private firstUntypedFcntl = 0;
  private fcntlTyped = false;
  /** False when the writer emits file-lock events itself (JSONL header `fileLockEvents: "explicit"`). */
  deriveFileLocks = true;
  private lastTs = -Infinity;
  private outOfOrder = 0;
  private firstOutOfOrderLine = 0;
  /** Syscalls whose entry was followed by another entry of the same task: name -> count, first line. */
  private readonly missingExit = new Map<string, { count: number; line: number }>();

  constructor(
    readonly store: EventStore,
    opts: InterpretOptions = {},
  ) {
    this.table = syscallTable(opts.arch);
    for (const [nr, name] of Object.entries(this.table)) this.nrByName.set(name, +nr);
  }

  /** The task of the last pushed event, so runs of one task's events skip two map lookups. */
  private lastPid = -1;
  private lastComm = '';
  private lastTask = -1;
  private lastCpu = -1;
  private lastTb: TaskBuild | null = null;

  private taskBuild(pid: number): TaskBuild {
    let t = this.tasks.get(pid);
    if (!t) {
      t = {
        lastKind: -1,
        lastSys: -1,
        sys: NO_SYSCALL,
        sysArgs: [],
        pendingTry: null,
        pendingLock: -1,
        fds: new Map(),
        openName: null,
        nextOpenPath: null,
        fcntl: null,
        fileLocks: new Set(),
      };
      this.tasks.set(pid, t);
    }
    return t;
  }

  syscallName(nr: number): string {
    return this.table[nr] ?? `syscall_${nr}`;
  }

  private push(ev: RawEvent, line: number, offset: number, kind: EventKind, flags: number, ref: number, num: number): number {
    return this.pushEvent(ev.comm, ev.pid, ev.cpu, ev.ts, ev.ctx, line, offset, kind, flags, ref, num);
  }

  /** Appends an event of the task `comm`/`pid` (the one place events enter the store). */
  private pushEvent(
    comm: string,
    pid: number,
    cpu: number,
    ts: number,
    ctx: number,
    line: number,
    offset: number,
    kind: EventKind,
    flags: number,
    ref: number,
    num: number,
  ): number {
    const s = this.store;
    let task: number;
    let tb: TaskBuild;
    if (pid === this.lastPid && comm === this.lastComm && this.lastTb && (pid !== 0 || cpu === this.lastCpu)) {
      // the same task as the previous event: nothing in taskFor would change
      task = this.lastTask;
      tb = this.lastTb;
    } else {
      task = s.taskFor(pid, comm, s.length, cpu);
      tb = this.taskBuild(pid);
      this.lastPid = pid;
      this.lastCpu = cpu;
      this.lastComm = comm;
      this.lastTask = task;
      this.lastTb = tb;
    }
    const i = s.push(line, offset, ts, cpu, task, kind, flags, ref, num, ctx);
    tb.lastKind = kind;
    return i;
  }

  /** raw_syscalls numbers seen: the name, its id (interned at first use, as `sysEnter` would) and whether file locks read its arguments. */
  private readonly nrInfo = new Map<number, { name: string; id: number; file: boolean }>();

  private syscallInfo(nr: number): { name: string; id: number; file: boolean } {
    let c = this.nrInfo.get(nr);
    if (!c) {
      const name = this.syscallName(nr);
      c = { name, id: this.store.names.intern(name), file: this.wantsArgs(name) };
      this.nrInfo.set(nr, c);
    }
    return c;
  }

  /** The event handed to the file-lock tracking for syscall records; reused. */
  private readonly recordEv: RawEvent = { comm: '', pid: 0, cpu: 0, ts: 0, name: '', shape: 'event', body: '', ctx: 0 };

  /**
   * The records of lines read by the byte-level reader (tokens.ts), in order: for each, what `add`
   * does with the string parser's reading of its line, with task names and locks from `d` (the
   * records' tokenizer's dictionaries). Slow records (lines the byte-level reader declined) go to
   * `slow`, the string path. `lineBase` is added to the records' line numbers.
   */
  addRecords(
    b: TokenView,
    lineBase: number,
    d: TokenDictionary,
    slow: (text: string, line: number, offset: number, truncated: boolean) => void,
  ): void {
    const { op, line, offset, ts, pid, cpu, comm, ctx, flags, ref, num } = b;
    const comms = d.comms;
    const ev = this.recordEv;
    for (let k = 0, n = b.n; k < n; k++) {
      const o = op[k];
      const lineNo = lineBase + line[k];
      if (o === Op.Slow) {
        slow(b.texts[ref[k]], lineNo, offset[k], (flags[k] & TRUNCATED) !== 0);
        continue;
      }
      const t = ts[k];
      // noteTimestamp
      if (t < this.lastTs) {
        if (this.outOfOrder++ === 0) this.firstOutOfOrderLine = lineNo;
      } else {
        this.lastTs = t;
      }
      if (o <= Op.Acquired) {
        const lock = d.lock(ref[k], this);
        const kind = o === Op.Acquire ? EventKind.Acquire : o === Op.Release ? EventKind.Release : EventKind.Contended;
        this.pushEvent(comms[comm[k]], pid[k], cpu[k], t, ctx[k], lineNo, offset[k], kind, flags[k], lock, 0);
        continue;
      }
      const nr = ref[k];
      const c = this.syscallInfo(nr);
      ev.comm = comms[comm[k]];
      ev.pid = pid[k];
      ev.cpu = cpu[k];
      ev.ts = t;
      ev.ctx = ctx[k];
      if (o === Op.SysEnter) {
        ev.name = 'sys_enter';
        const at = num[k];
        let args: number[] | string = '';
        if (at >= 0) {
          args = [];
          for (let j = 1, count = b.args[at]; j <= count; j++) args.push(b.args[at + j]);
        }
        this.sysEnterId(ev, lineNo, offset[k], c.name, c.id, nr, args, true);
      } else {
        ev.name = 'sys_exit';
        this.sysExitId(ev, lineNo, offset[k], c.name, c.id, num[k]);
      }
    }
  }

  /** `ADDRESS NAME` text -> lock id, cached so the hot path skips address normalization. */
  private readonly kernelLocks = new Map<string, number>();

  kernelLock(addrAndName: string, sp: number, name: string): number {
    let id = this.kernelLocks.get(addrAndName);
    if (id === undefined) {
      id = this.store.lockFor(normalizeAddress(addrAndName.slice(0, sp)), name, 'kernel');
      if (this.kernelLocks.size < 1_000_000) this.kernelLocks.set(addrAndName, id);
    }
    return id;
  }

  /** Notes a text-format event's timestamp, for the out-of-order warning. */
  noteTimestamp(ts: number, line: number): void {
    if (ts < this.lastTs) {
      if (this.outOfOrder++ === 0) this.firstOutOfOrderLine = line;
    } else {
      this.lastTs = ts;
    }
  }

  /** Whether sysEnter reads the arguments of this syscall (file-lock tracking). */
  wantsArgs(name: string): boolean {
    return this.deriveFileLocks && FILE_SYSCALLS.has(name);
  }

  /** Interprets one text-format event. */
  add(ev: RawEvent, line: number, offset: number): void {
    this.noteTimestamp(ev.ts, line);
    if (ev.shape === 'enter') return this.sysEnter(ev, line, offset, ev.name.slice(4), ev.body, false);
    if (ev.shape === 'exit') return this.sysExit(ev, line, offset, ev.name.slice(4), parseIntValue(ev.body));
    const s = this.store;
    const body = ev.body;
    switch (ev.name) {
      case 'lock_acquire': {
        // `ADDRESS [try ][read ]NAME` (hand-split: this is the hottest line shape)
        const sp = body.indexOf(' ');
        if (sp <= 0) return this.malformed(ev, line, offset, 'lock_acquire: `ADDRESS [try ][read ]NAME`');
        let k = sp + 1;
        let flags = 0;
        if (body.startsWith('try ', k)) {
          flags |= EventFlag.Try;
          k += 4;
        }
        if (body.startsWith('read ', k)) {
          flags |= EventFlag.Read;
          k += 5;
        }
        if (k >= body.length) return this.malformed(ev, line, offset, 'lock_acquire: `ADDRESS [try ][read ]NAME`');
        const lock = this.kernelLock(flags === 0 ? body : body.slice(0, sp) + body.slice(k - 1), sp, body.slice(k));
        this.push(ev, line, offset, EventKind.Acquire, flags, lock, 0);
        return;
      }
      case 'lock_release':
      case 'lock_contended':
      case 'lock_acquired': {
        const sp = body.indexOf(' ');
        if (sp <= 0 || sp === body.length - 1) return this.malformed(ev, line, offset, `${ev.name}: \`ADDRESS NAME\``);
        const lock = this.kernelLock(body, sp, body.slice(sp + 1));
        if (ev.name === 'lock_release') this.push(ev, line, offset, EventKind.Release, 0, lock, 0);
        else this.push(ev, line, offset, EventKind.Contended, ev.name === 'lock_acquired' ? EventFlag.StatAcquired : 0, lock, 0);
        return;
      }
      case 'contention_begin':
      case 'contention_end': {
        const m = /^(\S+)\s*(?:\((?:flags|ret)=([^)]*)\))?/.exec(body);
        if (!m) return this.malformed(ev, line, offset, `${ev.name}: \`ADDRESS (flags=…)\``);
        // contention events carry only the address; reuse the lock's class when the address is known.
        const key = normalizeAddress(m[1]);
        const lock = s.lockByKeyLookup(key) ?? s.lockFor(key, key, 'kernel');
        const begin = ev.name === 'contention_begin';
        this.push(
          ev,
          line,
          offset,
          begin ? EventKind.ContentionBegin : EventKind.ContentionEnd,
          0,
          lock,
          begin ? 0 : parseIntValue(m[2] ?? '0'),
        );
        return;
      }
      case 'sys_enter': {
        const m = /^NR (-?\d+) \((.*)\)/.exec(body);
        if (!m) return this.malformed(ev, line, offset, 'sys_enter: `NR n (args)`');
        return this.sysEnter(ev, line, offset, this.syscallName(+m[1]), m[2], true, +m[1]);
      }
      case 'sys_exit': {
        const m = /^NR (-?\d+) = (-?\d+|0x[0-9a-f]+)/i.exec(body);
        if (!m) return this.malformed(ev, line, offset, 'sys_exit: `NR n = ret`');
        return this.sysExit(ev, line, offset, this.syscallName(+m[1]), parseIntValue(m[2]), +m[1]);
      }
      case 'sched_process_fork': {
        const m = /child_comm=(.*) child_pid=(\d+)/.exec(body);
        if (!m) return this.malformed(ev, line, offset, 'sched_process_fork: `… child_comm=NAME child_pid=N`');
        const childPid = +m[2];
        const child = s.taskFor(childPid, m[1], s.length);
        // a child starts with a copy of its parent's file table.
        const parent = this.taskBuild(ev.pid);
        const cb = this.taskBuild(childPid);
        for (const [fd, id] of parent.fds) cb.fds.set(fd, id);
        this.push(ev, line, offset, EventKind.Fork, 0, child, childPid);
        return;
      }
      case 'sched_switch': {
        // `prev_comm=A prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=B next_pid=2 next_prio=120`
        const m = /==>\s*next_comm=(.*) next_pid=(\d+)/.exec(body);
        if (!m) {
          // another kernel's layout: kept as an event, the CPU column still shows the switch
          this.push(ev, line, offset, EventKind.Other, 0, s.names.intern(ev.name), 0);
          return;
        }
        const nextPid = +m[2];
        const next = s.taskFor(nextPid, m[1], s.length, ev.cpu);
        this.push(ev, line, offset, EventKind.Switch, 0, next, nextPid);
        return;
      }
      case 'sched_process_exit': {
        const m = /pid=(\d+)/.exec(body);
        const pid = m ? +m[1] : ev.pid;
        this.push({ ...ev, pid }, line, offset, EventKind.Exit, 0, -1, pid);
        return;
      }
      case 'workqueue_queue_work':
      case 'workqueue_activate_work':
      case 'workqueue_execute_start':
      case 'workqueue_execute_end': {
        // kept as an unknown event whose `num` names the work (analysis/workqueue.ts reads it)
        this.push(ev, line, offset, EventKind.Other, 0, s.names.intern(ev.name), s.names.intern(workKey(body)));
        return;
      }
      default: {
        if (ALLOC_EVENTS.has(ev.name) || FREE_EVENTS.has(ev.name)) return this.kmem(ev, line, offset);
        if (ev.name.startsWith('sys_enter_')) {
          return this.sysEnter(ev, line, offset, ev.name.slice(10), body, true);
        }
        if (ev.name.startsWith('sys_exit_')) {
          return this.sysExit(ev, line, offset, ev.name.slice(9), parseIntValue(body.replace(/^ret:\s*/, '')));
        }
        if (this.deriveFileLocks && ev.name.includes('open')) {
          const m = PATH_FIELD.exec(body);
          if (m) this.notePath(ev.pid, m[1]);
        } else if (this.deriveFileLocks && ev.name.startsWith('fcntl')) {
          const m = /\bcmd=(\d+) ltype=(\d+)/.exec(body);
          if (m) {
            this.push(ev, line, offset, EventKind.Other, 0, s.names.intern(ev.name), 0);
            this.fcntlLock(ev, line, offset, +m[1], +m[2]);
            return;
          }
        }
        this.push(ev, line, offset, EventKind.Other, 0, s.names.intern(ev.name), 0);
      }
    }
  }

  /**
   * A slab allocation or free, kept as an unknown event whose `num` names `ADDRESS SIZE`
   * (allocations) or `ADDRESS` (frees): analysis/freed.ts checks frees against the held locks.
   */
  private kmem(ev: RawEvent, line: number, offset: number): void {
    const free = FREE_EVENTS.has(ev.name);
    const ptr = /(?:^|\s)ptr=(\S+)/.exec(ev.body);
    const bytes = free ? null : /(?:^|\s)bytes_alloc=(\d+)/.exec(ev.body);
    let key = '';
    if (!ptr || (!free && !bytes)) {
      this.store.warn(line, `expected ${ev.name}: \`… ptr=ADDRESS${free ? '' : ' … bytes_alloc=N'} …\`; not checked for freed locks`);
    } else if (ptr[1] === '(null)') {
      key = '0x0';
    } else if (/^(?:0x)?[0-9a-f]{1,16}$/i.test(ptr[1])) {
      const addr = normalizeAddress(ptr[1]);
      key = bytes ? `${addr} ${bytes[1]}` : addr;
    } else {
      this.store.warn(line, `expected ${ev.name}: a hexadecimal ptr=, got \`${ptr[1].slice(0, 40)}\`; not checked for freed locks`);
    }
    const names = this.store.names;
    this.push(ev, line, offset, EventKind.Other, 0, names.intern(ev.name), names.intern(key));
  }

  private malformed(ev: RawEvent, line: number, offset: number, expected: string): void {
    this.store.warn(line, `expected ${expected}; kept as an unknown event`);
    this.push(ev, line, offset, EventKind.Other, 0, this.store.names.intern(ev.name), 0);
  }

  /**
   * Syscall entry (from any shape). Arguments come as numbers or as their printed text (parsed
   * only for the syscalls that matter to file locks); `bareIsHex` says how bare numbers were printed.
   */
  sysEnter(ev: RawEvent, line: number, offset: number, name: string, argsIn: number[] | string, bareIsHex: boolean, nr?: number): void {
    const nameId = this.store.names.intern(name);
    this.sysEnterId(ev, line, offset, name, nameId, nr ?? this.nrByName.get(name) ?? -1, argsIn, bareIsHex);
  }

  /** sysEnter with the name's id and the syscall number known. */
  private sysEnterId(
    ev: RawEvent,
    line: number,
    offset: number,
    name: string,
    nameId: number,
    number: number,
    argsIn: number[] | string,
    bareIsHex: boolean,
  ): void {
    const s = this.store;
    const tb = this.taskBuild(ev.pid);
    // raw_syscalls and syscalls:* both enabled: the same boundary twice in a row.
    if (tb.lastKind === EventKind.SysEnter && tb.lastSys === nameId && tb.sys === nameId) {
      this.push(ev, line, offset, EventKind.SysEnter, EventFlag.Duplicate, nameId, number);
      tb.lastSys = nameId;
      return;
    }
    if (tb.sys !== NO_SYSCALL) {
      // usually only the entry of that syscall is traced (e.g. sys_enter_close without sys_exit_close).
      const prev = s.names.get(tb.sys);
      const m = this.missingExit.get(prev);
      if (m) m.count++;
      else this.missingExit.set(prev, { count: 1, line });
    }
    this.push(ev, line, offset, EventKind.SysEnter, 0, nameId, number);
    tb.lastSys = nameId;
    tb.sys = nameId;
    if (this.wantsArgs(name)) {
      const args = typeof argsIn === 'string' ? parseArgs(argsIn, bareIsHex) : argsIn;
      tb.sysArgs = args;
      this.fileEnter(ev, line, offset, name, args, tb);
    } else {
      tb.sysArgs = NO_ARGS;
    }
    // derived lock events on this line do not break duplicate-boundary detection.
    tb.lastKind = EventKind.SysEnter;
  }

  sysExit(ev: RawEvent, line: number, offset: number, name: string, ret: number, _nr?: number): void {
    this.sysExitId(ev, line, offset, name, this.store.names.intern(name), ret);
  }

  /** sysExit with the name's id known. */
  private sysExitId(ev: RawEvent, line: number, offset: number, name: string, nameId: number, ret: number): void {
    const tb = this.taskBuild(ev.pid);
    if (tb.lastKind === EventKind.SysExit && tb.lastSys === nameId && tb.sys === NO_SYSCALL) {
      this.push(ev, line, offset, EventKind.SysExit, EventFlag.Duplicate, nameId, ret);
      return;
    }
    if (tb.sys === nameId && this.deriveFileLocks) this.fileExit(ev, line, offset, name, ret, tb);
    this.push(ev, line, offset, EventKind.SysExit, 0, nameId, ret);
    tb.lastSys = nameId;
    tb.sys = NO_SYSCALL;
    tb.pendingTry = null;
    tb.pendingLock = -1;
    tb.fcntl = null;
  }

  // --- file locks ---------------------------------------------------------------------------

  private fileId(tb: TaskBuild, pid: number, fd: number): string {
    return tb.fds.get(fd) ?? `fd ${fd} of pid ${pid}`;
  }

  private fileEnter(ev: RawEvent, line: number, offset: number, name: string, args: number[], tb: TaskBuild): void {
    switch (name) {
      case 'open':
      case 'creat':
        tb.openName = this.takePath(tb) ?? (args.length > 0 ? `file@0x${args[0].toString(16)}` : null);
        return;
      case 'openat':
      case 'openat2':
        tb.openName = this.takePath(tb) ?? (args.length > 1 ? `file@0x${args[1].toString(16)}` : null);
        return;
      case 'close': {
        if (args.length === 0) return;
        this.closeFd(ev, line, offset, tb, args[0]);
        return;
      }
      case 'flock': {
        if (args.length < 2) return;
        const [fd, cmd] = args;
        const id = this.fileId(tb, ev.pid, fd);
        const key = `file:${id}`;
        const className = `flock ${id}`;
        const s = this.store;
        if (cmd & LOCK_UN) {
          // LOCK_UN on a file the task does not lock is a harmless no-op, not a bad unlock.
          const lock = s.lockByKeyLookup(key);
          if (lock !== undefined && tb.fileLocks.has(lock)) {
            this.push(ev, line, offset, EventKind.Release, EventFlag.Derived, lock, 0);
            tb.fileLocks.delete(lock);
          }
          return;
        }
        if (!(cmd & (LOCK_SH | LOCK_EX))) return;
        const read = (cmd & LOCK_SH) !== 0 && !(cmd & LOCK_EX);
        const lock = s.lockFor(key, className, 'file');
        // flock on a file the task already locks converts the lock (shared <-> exclusive).
        if (tb.fileLocks.has(lock)) return;
        if (cmd & LOCK_NB) {
          tb.pendingTry = { key, className, read };
          return;
        }
        this.push(ev, line, offset, EventKind.Acquire, EventFlag.Derived | EventFlag.Pending | (read ? EventFlag.Read : 0), lock, 0);
        tb.pendingLock = lock;
        return;
      }
      case 'fcntl':
      case 'fcntl64': {
        const cmd = args[1];
        if (cmd === F_SETLK || cmd === F_SETLKW || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW) {
          tb.fcntl = { fd: args[0], cmd };
          if (this.firstUntypedFcntl === 0) this.firstUntypedFcntl = line;
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * The lock type of an fcntl record lock, printed by an event of its own (`fcntl:
   * (syscalls.sys_enter_fcntl) cmd=7 ltype=1`, an eprobe `locktrace record --kernel` records): the
   * lock becomes a file lock like flock's (a POSIX lock of the whole file: the byte range is not
   * printed), acquired when the syscall returns 0.
   */
  private fcntlLock(ev: RawEvent, line: number, offset: number, cmd: number, ltype: number): void {
    const tb = this.taskBuild(ev.pid);
    this.fcntlTyped = true;
    const f = tb.fcntl;
    if (!f || f.cmd !== cmd || tb.sys === NO_SYSCALL || !this.store.names.get(tb.sys).startsWith('fcntl')) return;
    tb.fcntl = null;
    const id = this.fileId(tb, ev.pid, f.fd);
    const key = `posix:${id}`;
    const className = `posix ${id}`;
    const s = this.store;
    if (ltype === F_UNLCK) {
      const lock = s.lockByKeyLookup(key);
      if (lock !== undefined && tb.fileLocks.has(lock)) {
        this.push(ev, line, offset, EventKind.Release, EventFlag.Derived, lock, 0);
        tb.fileLocks.delete(lock);
      }
      return;
    }
    if (ltype !== F_RDLCK && ltype !== F_WRLCK) return;
    const read = ltype === F_RDLCK;
    const lock = s.lockFor(key, className, 'file');
    if (tb.fileLocks.has(lock)) return; // a conversion (read <-> write) of a lock the task holds
    if (cmd === F_SETLK || cmd === F_OFD_SETLK) {
      tb.pendingTry = { key, className, read };
      return;
    }
    this.push(ev, line, offset, EventKind.Acquire, EventFlag.Derived | EventFlag.Pending | (read ? EventFlag.Read : 0), lock, 0);
    tb.pendingLock = lock;
  }

  private takePath(tb: TaskBuild): string | null {
    const p = tb.nextOpenPath;
    tb.nextOpenPath = null;
    return p;
  }

  /**
   * A path printed for an open by an event of its own (`openat: (syscalls.sys_enter_openat)
   * path="/mnt/lockA"`, as `locktrace record --kernel` records with an eprobe): it names the
   * file the open returns, so file locks on it are named by path instead of by the user-space
   * address of the name. The event may come just before or just after the syscall's entry.
   */
  private notePath(pid: number, path: string): void {
    const tb = this.taskBuild(pid);
    if (tb.sys !== NO_SYSCALL && OPEN_SYSCALLS.has(this.store.names.get(tb.sys))) tb.openName = path;
    else tb.nextOpenPath = path;
  }

  private closeFd(ev: RawEvent, line: number, offset: number, tb: TaskBuild, fd: number): void {
    const id = tb.fds.get(fd);
    if (id === undefined) return;
    tb.fds.delete(fd);
    // POSIX record locks go with any close of the file by the process
    const posix = this.store.lockByKeyLookup(`posix:${id}`);
    if (posix !== undefined && tb.fileLocks.has(posix)) {
      tb.fileLocks.delete(posix);
      this.push(ev, line, offset, EventKind.Release, EventFlag.Derived, posix, 0);
    }
    // the flock goes away with the last descriptor of this task on the file.
    for (const other of tb.fds.values()) if (other === id) return;
    const lock = this.store.lockByKeyLookup(`file:${id}`);
    if (lock !== undefined && tb.fileLocks.has(lock)) {
      tb.fileLocks.delete(lock);
      this.push(ev, line, offset, EventKind.Release, EventFlag.Derived, lock, 0);
    }
  }

  private fileExit(ev: RawEvent, line: number, offset: number, name: string, ret: number, tb: TaskBuild): void {
    const s = this.store;
    switch (name) {
      case 'open':
      case 'creat':
      case 'openat':
      case 'openat2':
        if (ret >= 0 && tb.openName) tb.fds.set(ret, tb.openName);
        tb.openName = null;
        return;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        const from = tb.sysArgs[0];
        const id = tb.fds.get(from);
        if (ret >= 0 && id !== undefined) tb.fds.set(ret, id);
        return;
      }
      case 'fcntl':
      case 'fcntl64':
      case 'flock': {
        if (tb.pendingLock >= 0) {
          const lock = tb.pendingLock;
          if (ret === 0) {
            this.push(ev, line, offset, EventKind.Acquired, EventFlag.Derived, lock, 0);
            tb.fileLocks.add(lock);
          } else {
            this.push(ev, line, offset, EventKind.AcquireFailed, EventFlag.Derived, lock, ret);
          }
        } else if (tb.pendingTry && ret === 0) {
          const p = tb.pendingTry;
          const lock = s.lockFor(p.key, p.className, 'file');
          this.push(ev, line, offset, EventKind.Acquire, EventFlag.Derived | EventFlag.Try | (p.read ? EventFlag.Read : 0), lock, 0);
          tb.fileLocks.add(lock);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Direct lock event (JSONL): the caller has resolved the lock id. */
  addLock(ev: RawEvent, line: number, offset: number, kind: EventKind, flags: number, lock: number, num = 0): number {
    return this.push(ev, line, offset, kind, flags, lock, num);
  }

  addFork(ev: RawEvent, line: number, offset: number, childPid: number, childComm: string): void {
    const child = this.store.taskFor(childPid, childComm, this.store.length);
    this.push(ev, line, offset, EventKind.Fork, 0, child, childPid);
  }

  addExit(ev: RawEvent, line: number, offset: number): void {
    this.push(ev, line, offset, EventKind.Exit, 0, -1, ev.pid);
  }

  addOther(ev: RawEvent, line: number, offset: number): void {
    this.push(ev, line, offset, EventKind.Other, 0, this.store.names.intern(ev.name), 0);
  }

  /** Called once at the end: reports out-of-order timestamps. */
  finish(): void {
    if (this.firstUntypedFcntl > 0 && !this.fcntlTyped) {
      this.store.warn(
        this.firstUntypedFcntl,
        'fcntl record locks (F_SETLK/F_SETLKW/F_OFD_SETLK*) keep the lock type in user memory, which syscall tracepoints do not print; they are not analysed here (`locktrace record` records it: an event probe on stock and lockdep kernels alike)',
      );
    }
    for (const [name, m] of this.missingExit) {
      this.store.warn(
        m.line,
        `${m.count} ${name} entr${m.count === 1 ? 'y has' : 'ies have'} no matching exit before the task's next syscall (only the entry event traced?); treated as returning before the next syscall`,
      );
    }
    if (this.outOfOrder > 0) {
      this.store.warn(
        this.firstOutOfOrderLine,
        `${this.outOfOrder} event(s) have a timestamp earlier than an event before them (per-CPU buffers interleave); events are kept in file order (use --sort to order by timestamp)`,
      );
    }
  }
}

/** Parses `a, b, c` (raw_syscalls: bare hex) or `fd: 3, cmd: 0x2` (syscalls:*). */
export function parseArgs(body: string, bareIsHex: boolean): number[] {
  if (body.trim() === '') return [];
  const out: number[] = [];
  for (const part of body.split(',')) {
    const colon = part.lastIndexOf(':');
    const v = colon >= 0 ? part.slice(colon + 1) : part;
    // `fd: 3` in the trace file is decimal for small values, `0x…` otherwise; raw_syscalls prints bare hex.
    out.push(parseIntValue(v, bareIsHex && colon < 0));
  }
  return out;
}
