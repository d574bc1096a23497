// `locktrace record --kernel`: lockdep's own lock events (lock:lock_acquire/release/contended/
// acquired, contention_begin/end), raw syscalls and process events of one command, as ftrace text
// with the latency-flags column (the format the analysis reads best: the flags give each event's
// interrupt context), plus file paths of open/openat through an event probe when the kernel has
// them. Lines of trace_pipe are written as they come; the header, which names what the kernel's
// /proc/lockdep knows only at the end (classes sharing a name), is put in front when it stops.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALLOC_EVENTS, FREE_EVENTS } from '../core/parse/interpret';
import type { RecordResult } from './recorder';
import { runTraced, RunOptions } from './run';
import { RecordSetupError, TraceSession } from './tracefs';

export interface KernelRecordOptions extends RunOptions {
  out: string;
}

/** What `record` returns, for the kernel mode. */
export type KernelRecordResult = RecordResult & { mode: 'kernel' };

/** Tracepoints recorded, when the kernel has them (lock:lock_acquire is required). */
export const KERNEL_EVENTS = [
  'lock/lock_acquire',
  'lock/lock_release',
  'lock/lock_contended',
  'lock/lock_acquired',
  'lock/contention_begin',
  'lock/contention_end',
  'raw_syscalls/sys_enter',
  'raw_syscalls/sys_exit',
  'sched/sched_process_fork',
  'sched/sched_process_exit',
  'sched/sched_process_exec',
  // explicit context switches of the command's tasks (the analysis also infers them from the
  // CPU column); set_event_pid lets a switch through when either side is traced
  'sched/sched_switch',
];

/**
 * Allocations and frees, for lockdep's "held lock freed" check (analysis/freed.ts): recorded only
 * when the kernel prints raw pointers (booted with `no_hash_pointers`), since hashed addresses
 * cannot say which locks lie in a freed range. The `_node` variants exist before Linux 6.1.
 */
export const KMEM_EVENTS = [...ALLOC_EVENTS, ...FREE_EVENTS].map((e) => `kmem/${e}`);

/** Whether the kernel command line turns pointer hashing off (`%p` prints raw addresses). */
export function rawPointers(cmdline: string): boolean {
  return /(?:^|\s)no_hash_pointers(?:\s|$)/.test(cmdline);
}

/**
 * Event probes for file locks: the files opened, so flock/fcntl locks on an fd get the file's path
 * (`openat: (syscalls.sys_enter_openat) path="/mnt/a.lock"`), and the lock type of fcntl record
 * locks (`fcntl: (syscalls.sys_enter_fcntl) cmd=7 ltype=1`), each right after the syscall's raw
 * `sys_enter` line. Need CONFIG_EPROBE_EVENTS (built with CONFIG_PROBE_EVENTS before 6.2) and the
 * syscalls:* tracepoints (CONFIG_FTRACE_SYSCALLS).
 */
export const PATH_EPROBES = [
  { event: 'openat', target: 'syscalls.sys_enter_openat', args: 'path=+0($filename):ustring' },
  { event: 'open', target: 'syscalls.sys_enter_open', args: 'path=+0($filename):ustring' },
  // fcntl's record locks keep their type (F_RDLCK 0, F_WRLCK 1, F_UNLCK 2) in user memory, the
  // first field of struct flock: only for F_SETLK/F_SETLKW (6, 7) and F_OFD_SETLK/SETLKW (37, 38)
  { event: 'fcntl', target: 'syscalls.sys_enter_fcntl', args: 'cmd=$cmd:u32 ltype=+0($arg):s16 if cmd==6||cmd==7||cmd==37||cmd==38' },
];

/** The marker of the machine-readable header line (docs/recorder.md). */
export const HEADER_PREFIX = '# locktrace-header: ';

/** Records one command's (or process's) kernel lock events into `o.out`; throws RecordSetupError. */
export async function recordKernel(o: KernelRecordOptions, session: TraceSession): Promise<KernelRecordResult> {
  if (!session.hasEvent('lock/lock_acquire')) {
    throw new RecordSetupError('this kernel has no lockdep lock events (events/lock/lock_acquire): build it with CONFIG_LOCKDEP.');
  }
  const events = KERNEL_EVENTS.filter((e) => session.hasEvent(e));
  for (const need of ['raw_syscalls/sys_enter', 'sched/sched_process_fork']) {
    if (!events.includes(need)) throw new RecordSetupError(`this kernel has no ${need.replace('/', ':')} tracepoint.`);
  }
  let cmdline = '';
  try {
    cmdline = fs.readFileSync('/proc/cmdline', 'utf8');
  } catch {
    /* no /proc: pointers are taken to be hashed */
  }
  const kmem = KMEM_EVENTS.filter((e) => session.hasEvent(e));
  if (kmem.length > 0 && rawPointers(cmdline)) events.push(...kmem);
  else if (kmem.length > 0)
    o.log(
      'note: the kernel hashes pointers, so allocations are not recorded and freed held locks are not checked (boot with no_hash_pointers to check them)',
    );
  const part = `${o.out}.part`;
  const eprobes: string[] = [];
  let fd: number | undefined;
  let lines = 0;
  let rootPid = 0;
  // The launcher shell's own events before it execs the command are not the command's: keep the
  // root task's lines from its first execve on (all of them when attaching with --pid).
  let started = o.pid !== undefined;
  let pending = '';
  const kmsg = KernelLog.open();
  const created = new Date().toISOString();
  let result: Awaited<ReturnType<typeof runTraced>> | undefined;
  let extraFiles: string[] = [];
  try {
    result = await runTraced(o, session, {
      clock: 'local',
      // the latency flags (irqs-off, hardirq/softirq, preempt depth) are the analysis' contexts.
      // Pointers stay hashed unless the kernel is booted with no_hash_pointers: turning the
      // instance's hash-ptr off would empty lock_release's class name on kernels before 6.13
      // (hashPtrOffIsSafe).
      options: { 'irq-info': '1', 'latency-format': '0' },
      prepare(s) {
        const refused: string[] = [];
        for (const p of PATH_EPROBES) {
          if (!s.hasEvent(p.target.replace('.', '/'))) continue;
          const err = s.addEprobe(p.event, p.target, p.args);
          if (err) refused.push(`${p.event}: ${err}`);
          else eprobes.push(p.event);
        }
        if (refused.length) {
          o.log(
            eprobes.length
              ? `note: the kernel refused the event probe(s) ${refused.join('; ')}`
              : `note: no event probes on this kernel (${refused[0]}; CONFIG_EPROBE_EVENTS): file locks are named by fd, fcntl lock types are unknown`,
          );
        }
      },
      enable(s) {
        s.enableEvents(events);
        for (const e of eprobes) s.enableEvent(`${s.group}/${e}`);
      },
      start(pid) {
        rootPid = pid;
        fd = fs.openSync(part, 'w');
      },
      line(text) {
        if (!started) {
          const m = /^\s*.*-(\d+)\s+\(\s*(?:\d+|-+)\)\s+\[\d+\]\s+\S+\s+\d+\.\d+:\s+sys_enter: NR 59 \(/.exec(text);
          if (!m || Number(m[1]) !== rootPid) return;
          started = true;
        }
        if (text.trim() === '') return;
        lines++;
        pending += `${text}\n`;
        if (pending.length >= 1 << 16) {
          fs.writeSync(fd!, pending);
          pending = '';
        }
      },
      end() {
        if (pending) fs.writeSync(fd!, pending);
        pending = '';
      },
    });
  } finally {
    if (fd !== undefined) {
      fs.closeSync(fd);
      extraFiles = assemble(o, part, {
        created,
        rootPid,
        events,
        eprobes,
        lost: result?.lost ?? 0,
        complete: result !== undefined,
        kmsg: kmsg?.since(),
        log: o.log,
      });
      if (!result) o.log(`the recording stopped on an error; what was recorded is in ${o.out}`);
    }
    kmsg?.close();
  }
  return {
    mode: 'kernel',
    extraFiles,
    events: lines,
    seconds: result.seconds,
    lost: result.lost,
    exitCode: result.exitCode,
    signal: result.signal,
    probes: [...events.map((e) => e.replace('/', ':')), ...eprobes.map((e) => `eprobe:${e}`)],
  };
}

interface HeaderFacts {
  created: string;
  rootPid: number;
  events: string[];
  eprobes: string[];
  lost: number;
  complete: boolean;
  kmsg: string[] | undefined;
  log: (msg: string) => void;
}

/** Writes `o.out`: the header, then the lines recorded in `part`; saves /proc/lockdep beside it. */
function assemble(o: KernelRecordOptions, part: string, f: HeaderFacts): string[] {
  const extra: string[] = [];
  let lockdep: string | undefined;
  try {
    lockdep = fs.readFileSync('/proc/lockdep', 'utf8');
  } catch {
    /* CONFIG_LOCKDEP without /proc/lockdep (or not root) */
  }
  const lockdepFile = `${o.out}.lockdep`;
  if (lockdep !== undefined) {
    fs.writeFileSync(lockdepFile, lockdep);
    extra.push(lockdepFile);
  }
  const reports = lockdepReports(f.kmsg ?? []);
  for (const t of reports) f.log(`the kernel's lockdep reported while recording: ${t}`);
  const dmesgFile = `${o.out}.dmesg.txt`;
  if (f.kmsg?.length) {
    fs.writeFileSync(dmesgFile, `${f.kmsg.join('\n')}\n`);
    extra.push(dmesgFile);
  }
  const header = {
    version: 1,
    mode: 'kernel',
    created: f.created,
    machine: { hostname: os.hostname(), arch: os.arch() === 'x64' ? 'x86_64' : os.arch(), cpus: os.cpus().length },
    kernel: os.release(),
    command: o.command ?? [String(o.pid)],
    pid: f.rootPid,
    cwd: o.cwd,
    clock: 'local',
    events: f.events.map((e) => e.replace('/', ':')),
    probeEvents: f.eprobes,
    lostEvents: f.lost,
    complete: f.complete,
    lockdepFile: lockdep !== undefined ? path.basename(lockdepFile) : null,
    dmesgFile: f.kmsg?.length ? path.basename(dmesgFile) : null,
    lockdepReports: reports,
    // lockdep classes that share their name with another class (printed `name#2` by /proc/lockdep)
    sharedClassNames: lockdep !== undefined ? sharedNames(lockdep) : null,
  };
  const text = [
    '# tracer: nop',
    '#',
    `# locktrace record --kernel on Linux ${os.release()}: ${(o.command ?? [`--pid ${o.pid}`]).join(' ')}`,
    `# lockdep's lock events, raw syscalls and process events of pid ${f.rootPid} and its children (set_event_pid + event-fork)`,
    ...(f.eprobes.length
      ? [
          `# file locks: event probes ${f.eprobes.join(', ')} print path="…" (open/openat) and cmd= ltype= (fcntl) after the syscall's sys_enter`,
        ]
      : []),
    ...reports.map((t) => `# the kernel's lockdep reported while recording: ${t} (see ${path.basename(dmesgFile)})`),
    `${HEADER_PREFIX}${JSON.stringify(header)}`,
    '#',
    '#           TASK-PID     TGID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |        |   |||||     |         |',
    '',
  ].join('\n');
  const out = fs.openSync(o.out, 'w');
  try {
    fs.writeSync(out, text);
    const inFd = fs.openSync(part, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const n = fs.readSync(inFd, buf, 0, buf.length, null);
        if (n <= 0) break;
        fs.writeSync(out, buf, 0, n);
      }
    } finally {
      fs.closeSync(inFd);
    }
  } finally {
    fs.closeSync(out);
  }
  fs.rmSync(part, { force: true });
  return extra;
}

/** Titles of lockdep's reports in kernel log lines: the line after a line of `=`, as run.sh reads them. */
export function lockdepReports(lines: readonly string[]): string[] {
  const out: string[] = [];
  let prev = '';
  for (const raw of lines) {
    const l = raw.replace(/^\[\s*\d+\.\d+\]\s?/, '');
    if (/^=+$/.test(prev.trim()) && /^(WARNING|BUG|INFO): /.test(l)) out.push(l.trim());
    prev = l;
  }
  return out;
}

/**
 * Class names that several lockdep classes share, from /proc/lockdep (`name#2`, `name#3/1`):
 * the same rule as the analysis' sharedNamesFromProcLockdep (src/core/analysis/kernelClasses.ts).
 */
export function sharedNames(procLockdep: string): string[] {
  const out = new Set<string>();
  for (const m of procLockdep.matchAll(/^[0-9a-f]{8,16} FD:\s*\d+ BD:\s*\d+ [^:]*: (.*)$/gm)) {
    const v = /^(.*)#\d+(?:\/\d+)?$/.exec(m[1].trim());
    if (v) out.add(v[1]);
  }
  return [...out].sort();
}

/** The kernel log (/dev/kmsg) written while recording: lockdep's own reports land there. */
class KernelLog {
  private lastSeq = -1;

  private constructor(private readonly fd: number) {
    for (const rec of this.read()) this.lastSeq = Math.max(this.lastSeq, rec.seq);
  }

  static open(): KernelLog | undefined {
    try {
      return new KernelLog(fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    } catch {
      return undefined;
    }
  }

  private *read(): Generator<{ seq: number; line: string }> {
    const buf = Buffer.alloc(8192);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // records overwritten since the last read: go on
        return; // EAGAIN: nothing more
      }
      if (n <= 0) return;
      const text = buf.toString('utf8', 0, n);
      const m = /^(\d+),(\d+),(\d+),[^;]*;([^\n]*)/.exec(text);
      // /dev/kmsg escapes non-printable bytes of a record as \xHH (a report's blank lines are \x0a)
      const msg = m?.[4].replace(/\\x([0-9a-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
      if (m)
        for (const part of msg!.split('\n')) yield { seq: Number(m[2]), line: `[${(Number(m[3]) / 1e6).toFixed(6).padStart(12)}] ${part}` };
    }
  }

  /** Lines logged since open(). */
  since(): string[] {
    const out: string[] = [];
    for (const rec of this.read()) if (rec.seq > this.lastSeq) out.push(rec.line);
    return out;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
  }
}
