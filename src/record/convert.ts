// Converts parsed trace_pipe records into locktrace JSONL events (docs/jsonl-format.md):
// pairs uprobes with their uretprobes per thread (acquire → acquired/acquire_failed), turns
// flock/fcntl lock syscalls into file-lock events with the file's path, tracks fd → path per
// process, names locks and call sites through the Symbolizer, and kernel locks of contention
// events through the ContentionNamer.
import * as path from 'path';
import type { ContentionNamer } from './kcontention';
import { lockCaller } from './kcontention';
import { parseFields, parseProbeHead, parseRawSyscall, PipeRecord } from './parse';
import type { ProbeInfo } from './probes';
import { NR, Site, Symbolizer } from './symbolize';

export type JsonEvent = Record<string, unknown> & { ev: string; ts: number; pid: number; comm: string };

export interface ConvertOptions {
  /** Probes by event name. */
  probes: Map<string, ProbeInfo>;
  sym: Symbolizer;
  nrNames: Map<number, string>;
  /** The first traced process. */
  rootPid: number;
  /** Drop the root's events until its first exec (the launcher shell waiting for the go signal). */
  waitExec: boolean;
  /** Working directory of the root, to resolve relative paths. */
  cwd: string;
  /** Names the kernel locks of `lock:contention_begin/end` (when they are recorded). */
  contention?: ContentionNamer;
}

interface Pending {
  info: ProbeInfo;
  lock: bigint;
  ra?: bigint;
  /** Time of the call. */
  ts: number;
  /** The task made another lock call or return since (a task waiting in a lock call makes futex syscalls, but no other lock call). */
  wentOn: boolean;
  comm: string;
}

/** A lock call whose return was not recorded (Converter.unfinished). */
export interface UnfinishedCall {
  pid: number;
  comm: string;
  fn: string;
  lock: string;
  /** Time of the call (the trace clock, seconds). */
  ts: number;
  /** The task did something else after the call: its return went missing (not a wait). */
  wentOn: boolean;
  /** The task exited inside the call (killed while waiting). */
  exited: boolean;
}

interface FileLockState {
  lock: string;
  cls: string;
  kind: 'flock' | 'posix' | 'ofd';
  path?: string;
}

const F_DUPFD = 0;
const F_DUPFD_CLOEXEC = 1030;
const F_SETLK = 6;
const F_SETLKW = 7;
const F_OFD_SETLK = 37;
const F_OFD_SETLKW = 38;
const F_RDLCK = 0;
const F_UNLCK = 2;
const LOCK_SH = 1;
const LOCK_NB = 4;
const LOCK_UN = 8;

export class Converter {
  events = 0;
  private started: boolean;
  /** Lock calls of tasks that exited inside them. */
  private readonly exitedIn: UnfinishedCall[] = [];
  private readonly tgidOf = new Map<number, number>();
  private readonly comms = new Map<number, string>();
  private readonly pending = new Map<number, Pending[]>();
  private readonly fds = new Map<number, Map<number, string>>();
  private readonly cwds = new Map<number, string>();
  private readonly openPath = new Map<number, string>();
  private readonly fcntlArg = new Map<number, { cmd: number; ltype: number; ra?: bigint }>();
  private readonly flockRa = new Map<number, bigint>();
  private readonly inSyscall = new Map<number, { nr: number; args: bigint[]; fileLock?: FileLockState & { release: boolean } }>();
  /** File locks held, per process (flock locks belong to the open file, POSIX ones to the process). */
  private readonly fileHeld = new Map<number, Map<string, FileLockState>>();
  private readonly lockClass = new Map<string, string>();

  constructor(private readonly o: ConvertOptions) {
    this.started = !o.waitExec;
    this.cwds.set(o.rootPid, o.cwd);
  }

  feed(r: PipeRecord): JsonEvent[] {
    if (!this.started) {
      if (r.pid === this.o.rootPid && r.name === 'sched_process_exec') this.started = true;
      else return [];
    }
    const tgid = r.tgid ?? this.tgidOf.get(r.pid) ?? r.pid;
    this.tgidOf.set(r.pid, tgid);
    const comm = r.comm && r.comm !== '<...>' ? r.comm : (this.comms.get(r.pid) ?? r.comm);
    const base = { ts: r.ts, pid: r.pid, comm, cpu: r.cpu, tgid };
    const out: JsonEvent[] = [];
    const emit = (ev: string, extra: Record<string, unknown> = {}) => {
      out.push({ ev, ...base, ...extra });
    };
    const probe = this.o.probes.get(r.name);
    if (probe) this.onProbe(r, probe, tgid, emit);
    else if (r.name === 'sys_enter' || r.name === 'sys_exit') this.onSyscall(r, tgid, emit);
    else if (r.name === 'sched_process_fork') {
      const f = parseFields(r.body);
      const child = Number(f.child_pid);
      // Threads share the parent's process; a new process gets a copy of its fd table.
      // record-tgid tells them apart once the child's own events arrive; until then assume a
      // process copy, which is also right for threads' shared view of the parent's fds.
      this.comms.set(child, f.child_comm ?? comm);
      this.o.sym.inherit(tgid, child);
      const fds = this.fds.get(tgid);
      if (fds && !this.fds.has(child)) this.fds.set(child, new Map(fds));
      const cwd = this.cwds.get(tgid);
      if (cwd && !this.cwds.has(child)) this.cwds.set(child, cwd);
      emit('fork', { child_pid: child, child_comm: f.child_comm ?? comm });
    } else if (r.name === 'sched_process_exit') {
      const f = parseFields(r.body);
      // lock calls the task was still in when it died (killed while waiting, as in a deadlock)
      for (const p of this.pending.get(r.pid) ?? []) this.exitedIn.push(this.unfinishedCall(r.pid, p, true));
      emit('exit');
      if (f.group_dead === 'true' || (f.group_dead === undefined && r.pid === tgid)) {
        // The kernel drops a dead process's file locks.
        for (const h of this.fileHeld.get(tgid)?.values() ?? []) emit('release', { lock: h.lock, lockKind: h.kind });
        this.fileHeld.delete(tgid);
      }
      this.pending.delete(r.pid);
    } else if ((r.name === 'contention_begin' || r.name === 'contention_end') && this.o.contention) {
      this.onContention(r, emit);
    } else if (r.name === 'sched_process_exec') {
      const f = parseFields(r.body);
      this.o.sym.reset(tgid);
      if (f.filename) this.comms.set(r.pid, path.basename(f.filename));
      emit('other', { name: 'exec', body: r.body });
    } else {
      emit('other', { name: r.name, body: r.body });
    }
    this.events += out.length;
    return out;
  }

  /** `ffff8881a9c88180 (flags=SPIN|MUTEX)` with its stack, `ffff8881a9c88180 (ret=0)`. */
  private onContention(r: PipeRecord, emit: (ev: string, extra?: Record<string, unknown>) => void): void {
    const m = /^(?:0x)?([0-9a-f]+)\s*\((flags|ret)=([^)]*)\)/.exec(r.body);
    if (!m) {
      emit('other', { name: r.name, body: r.body });
      return;
    }
    const addr = BigInt(`0x${m[1]}`);
    const lock = `0x${addr.toString(16)}`;
    if (r.name === 'contention_end') {
      emit('contention_end', { lock, ret: Number(m[3]) || 0 });
      return;
    }
    const flags = m[3];
    const caller = r.stack ? lockCaller(r.stack) : undefined;
    emit('contention_begin', {
      lock,
      class: this.o.contention!.name(addr, flags, r.stack),
      lockKind: 'kernel',
      flags,
      ...(/READ/.test(flags) ? { read: true } : {}),
      ...(caller ? { site: { fn: caller } } : {}),
      ...(r.stack ? { stack: r.stack } : {}),
    });
  }

  private site(tgid: number, ra: bigint | undefined): Site | undefined {
    return ra === undefined || ra === 0n ? undefined : this.o.sym.site(tgid, ra);
  }

  private userLock(tgid: number, addr: bigint, site: Site | undefined): { lock: string; cls: string } {
    const hex = `0x${addr.toString(16)}`;
    const lock = tgid === this.o.rootPid ? hex : `${hex}@${tgid}`;
    let cls = this.lockClass.get(lock);
    if (!cls) {
      const name = this.o.sym.lockName(tgid, addr);
      if (name) cls = name;
      else {
        // Heap or stack lock: its address plus where it was first used.
        const where = site?.file ? `${path.basename(site.file)}:${site.line}` : site?.fn;
        const lib = site ? this.o.sym.moduleName(tgid, BigInt(site.addr)) : undefined;
        cls = where ? `${hex} (first used at ${where})` : lib ? `${hex} (inside ${lib})` : hex;
      }
      this.lockClass.set(lock, cls);
    }
    return { lock, cls };
  }

  private onProbe(r: PipeRecord, info: ProbeInfo, tgid: number, emit: (ev: string, extra?: Record<string, unknown>) => void): void {
    const head = parseProbeHead(r.body);
    const f = parseFields(r.body);
    if (head.ip !== undefined) this.o.sym.setBias(tgid, info.file, head.ip - info.symValue);
    if (info.aux) {
      if (info.aux === 'open' || info.aux === 'openat') {
        if (f.path !== undefined) this.openPath.set(r.pid, f.path);
      } else if (info.aux === 'fcntl') {
        this.fcntlArg.set(r.pid, { cmd: Number(f.cmd), ltype: Number(f.ltype), ra: hex(f.ra) });
      } else if (info.aux === 'flock') {
        const ra = hex(f.ra);
        if (ra !== undefined) this.flockRa.set(r.pid, ra);
      }
      return;
    }
    const l = info.lock!;
    const stack = this.pending.get(r.pid) ?? [];
    this.pending.set(r.pid, stack);
    for (const p of stack) p.wentOn = true;
    if (!info.ret) {
      const lockAddr = hex(f.lock) ?? 0n;
      const ra = hex(f.ra);
      const site = this.site(tgid, ra);
      const { lock, cls } = this.userLock(tgid, lockAddr, site);
      if (l.op === 'release') {
        emit('release', { lock, lockKind: l.kind, ...(site ? { site } : {}) });
        return;
      }
      if (l.op === 'condwait') emit('release', { lock, lockKind: l.kind, ...(site ? { site } : {}) });
      // a trylock is an acquisition only once its return says it succeeded (lockdep records trylocks
      // the same way): emitted at the call, a failed one whose return went missing stayed held
      else if (!l.try) emit('acquire', { lock, class: cls, read: !!l.read, try: false, lockKind: l.kind, ...(site ? { site } : {}) });
      stack.push({ info, lock: lockAddr, ra, ts: r.ts, comm: this.comms.get(r.pid) ?? r.comm, wentOn: false });
      return;
    }
    // A return: match the innermost pending call of the same function.
    let i = stack.length - 1;
    while (i >= 0 && stack[i].info.fn !== info.fn) i--;
    if (i < 0) return; // the call started before tracing
    const p = stack.splice(i, 1)[0];
    const ret = Number(f.ret ?? 0);
    const site = this.site(tgid, p.ra);
    const { lock, cls } = this.userLock(tgid, p.lock, site);
    if (l.op === 'condwait') {
      // The C library took the mutex again (also on timeout) before returning.
      emit('acquire', { lock, class: cls, read: false, try: false, lockKind: l.kind, ...(site ? { site } : {}) });
      emit('acquired', { lock, ...(site ? { site } : {}) });
    } else if (l.try) {
      if (ret === 0) {
        emit('acquire', { lock, class: cls, read: !!l.read, try: true, lockKind: l.kind, ...(site ? { site } : {}) });
        emit('acquired', { lock, ...(site ? { site } : {}) });
      }
    } else if (ret === 0) emit('acquired', { lock, ...(site ? { site } : {}) });
    else emit('acquire_failed', { lock, ret });
  }

  private pathOf(tgid: number, fd: number): string | undefined {
    return this.fds.get(tgid)?.get(fd);
  }

  private fileLock(tgid: number, fd: number, kind: FileLockState['kind']): FileLockState {
    const p = this.pathOf(tgid, fd);
    const key = p ?? `fd${fd}@${tgid}`;
    const fam = kind === 'flock' ? 'flock' : 'fcntl';
    return {
      lock: kind === 'flock' ? `file:${key}` : `file:${key}#fcntl`,
      cls: `${fam} ${p ?? `fd ${fd}`}`,
      kind,
      path: p,
    };
  }

  private onSyscall(r: PipeRecord, tgid: number, emit: (ev: string, extra?: Record<string, unknown>) => void): void {
    const s = parseRawSyscall(r.name, r.body);
    if (!s) {
      emit('other', { name: r.name, body: r.body });
      return;
    }
    // The kernel's uretprobe trampoline returns through its own syscall (x86-64 `uretprobe`,
    // Linux 6.11+): one per probed return, made by us, not by the program.
    if (s.nr === NR.uretprobe) return;
    const name = this.o.nrNames.get(s.nr) ?? `sys_${s.nr}`;
    if (r.name === 'sys_enter') {
      const args = s.args ?? [];
      emit('sys_enter', {
        nr: s.nr,
        name,
        args: args.map((a) => (a <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a) : `0x${a.toString(16)}`)),
      });
      const state: { nr: number; args: bigint[]; fileLock?: FileLockState & { release: boolean } } = { nr: s.nr, args };
      this.inSyscall.set(r.pid, state);
      const fd = Number(BigInt.asIntN(32, args[0] ?? 0n));
      if (s.nr === NR.flock) {
        const op = Number(args[1] ?? 0n);
        const fl = this.fileLock(tgid, fd, 'flock');
        const ra = this.flockRa.get(r.pid);
        this.flockRa.delete(r.pid);
        const site = this.site(tgid, ra);
        if (op & LOCK_UN) {
          state.fileLock = { ...fl, release: true };
        } else {
          state.fileLock = { ...fl, release: false };
          emit('acquire', {
            lock: fl.lock,
            class: fl.cls,
            read: (op & LOCK_SH) !== 0,
            try: (op & LOCK_NB) !== 0,
            lockKind: 'flock',
            ...(site ? { site } : {}),
          });
        }
      } else if (s.nr === NR.fcntl) {
        const cmd = Number(args[1] ?? 0n);
        if (cmd === F_SETLK || cmd === F_SETLKW || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW) {
          const a = this.fcntlArg.get(r.pid);
          const kind = cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW ? 'ofd' : 'posix';
          const fl = this.fileLock(tgid, fd, kind);
          const ltype = a && a.cmd === cmd ? a.ltype : undefined;
          const site = this.site(tgid, a?.ra);
          if (ltype === F_UNLCK) state.fileLock = { ...fl, release: true };
          else {
            state.fileLock = { ...fl, release: false };
            emit('acquire', {
              lock: fl.lock,
              class: fl.cls,
              read: ltype === F_RDLCK,
              try: cmd === F_SETLK || cmd === F_OFD_SETLK,
              lockKind: kind,
              ...(site ? { site } : {}),
            });
          }
        }
        this.fcntlArg.delete(r.pid);
      }
      return;
    }
    // sys_exit
    const ret = s.ret ?? 0;
    emit('sys_exit', { nr: s.nr, name, ret });
    const st = this.inSyscall.get(r.pid);
    this.inSyscall.delete(r.pid);
    if (!st || st.nr !== s.nr) {
      if (s.nr === NR.openat || s.nr === NR.open) this.openPath.delete(r.pid);
      return;
    }
    const fds = this.fds.get(tgid) ?? new Map<number, string>();
    this.fds.set(tgid, fds);
    if (s.nr === NR.openat || s.nr === NR.open) {
      const p = this.openPath.get(r.pid);
      this.openPath.delete(r.pid);
      if (ret >= 0 && p !== undefined) {
        const dirfd = s.nr === NR.openat ? Number(BigInt.asIntN(32, st.args[0] ?? 0n)) : -100;
        const dir = dirfd === -100 ? (this.cwds.get(tgid) ?? this.o.cwd) : (fds.get(dirfd) ?? this.o.cwd);
        fds.set(ret, path.resolve(dir, p));
      }
    } else if ((s.nr === NR.dup || s.nr === NR.dup2 || s.nr === NR.dup3) && ret >= 0) {
      const p = fds.get(Number(st.args[0]));
      if (p) fds.set(ret, p);
    } else if (s.nr === NR.fcntl && ret >= 0 && (Number(st.args[1]) === F_DUPFD || Number(st.args[1]) === F_DUPFD_CLOEXEC)) {
      const p = fds.get(Number(st.args[0]));
      if (p) fds.set(ret, p);
    } else if (s.nr === NR.close) {
      const fd = Number(st.args[0]);
      const p = fds.get(fd);
      fds.delete(fd);
      // Closing the last fd of a file drops our flock lock on it; closing any fd of it drops
      // the process's POSIX locks (OFD locks live until the open file is gone).
      if (p && ret === 0) {
        const still = [...fds.values()].includes(p);
        const held = this.fileHeld.get(tgid);
        for (const [k, h] of held ?? []) {
          if (h.path !== p) continue;
          if (h.kind === 'posix' || !still) {
            emit('release', { lock: h.lock, lockKind: h.kind });
            held!.delete(k);
          }
        }
      }
    }
    const fl = st.fileLock;
    if (!fl) return;
    const held = this.fileHeld.get(tgid) ?? new Map<string, FileLockState>();
    this.fileHeld.set(tgid, held);
    if (fl.release) {
      // Unlocking a file this process does not lock is a harmless no-op, not a release.
      if (ret === 0 && held.has(fl.lock)) {
        emit('release', { lock: fl.lock, lockKind: fl.kind });
        held.delete(fl.lock);
      }
    } else if (ret === 0) {
      emit('acquired', { lock: fl.lock });
      held.set(fl.lock, fl);
    } else emit('acquire_failed', { lock: fl.lock, ret });
  }

  /**
   * Lock calls whose return was not recorded, when the recording stopped. Their events stay as
   * they are (a blocking call's acquire is pending for the reader): a task still waiting is shown
   * waiting, which is what a deadlocked program looks like. A task that did something else after
   * the call cannot be waiting in it: the return went missing (a dropped return probe).
   */
  unfinished(): UnfinishedCall[] {
    const out = [...this.exitedIn];
    for (const [pid, stack] of this.pending) for (const p of stack) out.push(this.unfinishedCall(pid, p, false));
    return out.sort((a, b) => a.ts - b.ts);
  }

  private unfinishedCall(pid: number, p: Pending, exited: boolean): UnfinishedCall {
    return { pid, comm: p.comm, fn: p.info.fn, lock: `0x${p.lock.toString(16)}`, ts: p.ts, wentOn: p.wentOn, exited };
  }
}

function hex(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  try {
    return BigInt(s.startsWith('0x') ? s : `0x${s}`);
  } catch {
    return undefined;
  }
}
