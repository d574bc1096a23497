// The recording session: picks the mode (userspace locks, plus kernel lock contention on stock
// kernels, or lockdep's kernel locks: kernel.ts), resolves the program and its C library, defines
// the probes in a private tracefs instance and streams trace_pipe through the Converter into a
// JSONL file (run.ts starts the command and removes everything on every exit path).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Converter, UnfinishedCall } from './convert';
import { ElfError, ElfFile } from './elf';
import { ContentionNamer, hashPtrOffIsSafe, KernelSymbols, StackJoiner } from './kcontention';
import { recordKernel } from './kernel';
import { planProbes, ProbeInfo } from './probes';
import { runTraced } from './run';
import { Symbolizer, syscallNames } from './symbolize';
import { findTracefs, RecordSetupError, sweepStale, TraceSession } from './tracefs';

/**
 * What to record. `user`: the program's userspace locks (uprobes on the C library), file locks,
 * syscalls. `contention`: the same plus the kernel locks its syscalls waited for
 * (`lock:contention_begin/end` with kernel stacks; stock kernels). `kernel`: lockdep's lock events
 * (`lock:lock_acquire`…) as ftrace text (kernels built with CONFIG_LOCKDEP). `auto`: `kernel` when
 * the kernel has lockdep's events, else `contention` when it has the contention events, else `user`.
 */
export type RecordMode = 'user' | 'contention' | 'kernel' | 'auto';

export interface RecordOptions {
  /** Output file, or a function of the mode recorded (when `auto` decides it). */
  out: string | ((mode: Exclude<RecordMode, 'auto'>) => string);
  command?: string[];
  pid?: number;
  /** Stop after this many seconds (0: until the program exits or Ctrl-C). */
  duration?: number;
  cwd?: string;
  /** Per-CPU buffer size in KiB. */
  bufferKb?: number;
  /** Default `user`. */
  mode?: RecordMode;
  log: (msg: string) => void;
}

export interface RecordResult {
  /** The mode that was recorded (`auto` resolved). */
  mode: Exclude<RecordMode, 'auto'>;
  /** Files written beside the output (the kernel's /proc/lockdep). */
  extraFiles: string[];
  events: number;
  seconds: number;
  lost: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  probes: string[];
}

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

/** Finds `cmd` like execvp does. */
export function which(cmd: string, cwd: string): string | undefined {
  if (cmd.includes('/')) {
    const p = path.resolve(cwd, cmd);
    return fs.existsSync(p) ? p : undefined;
  }
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function libDirs(exe: ElfFile | undefined): string[] {
  const dirs: string[] = [];
  const origin = exe ? path.dirname(exe.path) : '';
  for (const r of exe?.runpath ?? []) dirs.push(r.replace(/\$\{?ORIGIN\}?/g, origin));
  for (const d of (process.env.LD_LIBRARY_PATH ?? '').split(':')) if (d) dirs.push(d);
  try {
    const conf = ['/etc/ld.so.conf', ...fs.readdirSync('/etc/ld.so.conf.d').map((f) => path.join('/etc/ld.so.conf.d', f))];
    for (const f of conf) {
      try {
        for (const line of fs.readFileSync(f, 'utf8').split('\n')) if (line.startsWith('/')) dirs.push(line.trim());
      } catch {
        /* unreadable */
      }
    }
  } catch {
    /* no ld.so.conf.d */
  }
  dirs.push(...LIB_DIRS);
  return dirs;
}

/**
 * The ELF file that defines pthread_mutex_lock for this program: the program itself when static,
 * else the first of its DT_NEEDED libraries (libc.so.6; libpthread.so.0 before glibc 2.34) that
 * defines it, else the system C library.
 */
export function resolveLockLibrary(exe: ElfFile | undefined, pidMaps?: string): ElfFile {
  if (pidMaps) {
    const libs = [...new Set([...pidMaps.matchAll(/\s(\/\S*lib(?:c|pthread)[-.][^\s]*\.so[^\s]*)$/gm)].map((m) => m[1]))];
    for (const l of libs) {
      try {
        const e = ElfFile.read(l);
        if (e.findFunction('pthread_mutex_lock')) return e;
      } catch {
        /* next */
      }
    }
  }
  if (exe && !exe.dynamic) {
    if (exe.findFunction('pthread_mutex_lock')) return exe;
    throw new RecordSetupError(
      `${exe.path} is statically linked and has no symbol table, so its lock functions cannot be found. ` +
        'Rebuild it without -static (or without -s/strip) and record again.',
    );
  }
  const needed = exe ? exe.needed.filter((n) => /^lib(c|pthread)\.so/.test(n)) : [];
  if (!needed.includes('libc.so.6')) needed.push('libc.so.6');
  const dirs = libDirs(exe);
  for (const n of needed) {
    for (const d of dirs) {
      const p = path.join(d, n);
      if (!fs.existsSync(p)) continue;
      try {
        const e = ElfFile.read(fs.realpathSync(p));
        if (e.findFunction('pthread_mutex_lock')) return e;
        break;
      } catch {
        /* not ELF64 here: keep looking */
      }
    }
  }
  throw new RecordSetupError(
    'could not find a C library defining pthread_mutex_lock (looked for ' + needed.join(', ') + ' in ' + dirs.join(', ') + ').',
  );
}

/** The lock tracepoints of the running kernel (tracefs `events/lock/…`). */
export interface KernelLockEvents {
  /** lockdep's lock_acquire/lock_release (CONFIG_LOCKDEP). */
  lockdep: boolean;
  /** lock:contention_begin/contention_end (Linux 5.19+). */
  contention: boolean;
}

export function kernelLockEvents(root: string): KernelLockEvents {
  const has = (e: string) => fs.existsSync(path.join(root, 'events', e));
  return { lockdep: has('lock/lock_acquire'), contention: has('lock/contention_begin') && has('lock/contention_end') };
}

/** Resolves `auto` and checks that the kernel can record the mode asked for. */
export function resolveMode(mode: RecordMode, ev: KernelLockEvents): Exclude<RecordMode, 'auto'> {
  if (mode === 'auto') return ev.lockdep ? 'kernel' : ev.contention ? 'contention' : 'user';
  if (mode === 'kernel' && !ev.lockdep) {
    throw new RecordSetupError(
      `this kernel (${os.release()}) has no lockdep lock events (events/lock/lock_acquire is missing): ` +
        '--kernel needs a kernel built with CONFIG_LOCKDEP (CONFIG_PROVE_LOCKING or CONFIG_LOCK_STAT), as in test/kernel/. ' +
        (ev.contention ? 'On this kernel, --contention records the kernel locks your program waited for.' : ''),
    );
  }
  if (mode === 'contention' && !ev.contention) {
    throw new RecordSetupError(
      `this kernel (${os.release()}) has no lock contention events (events/lock/contention_begin is missing; Linux 5.19 or later has them).`,
    );
  }
  return mode;
}

/** Records until the program exits, the duration ends, or SIGINT/SIGTERM. Throws RecordSetupError. */
export async function record(o: RecordOptions): Promise<RecordResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new RecordSetupError(`locktrace record supports Linux on x86-64 only (this is ${process.platform}/${process.arch}).`);
  }
  if (process.getuid?.() !== 0) {
    throw new RecordSetupError('locktrace record needs root to create tracing instances and probes: run `sudo locktrace record …`.');
  }
  const cwd = o.cwd ?? process.cwd();
  const root = findTracefs();
  for (const s of sweepStale(root)) o.log(`removed leftover ${s} of an earlier locktrace that was killed`);
  const mode = resolveMode(o.mode ?? 'user', kernelLockEvents(root));
  if (o.mode === 'auto') o.log(`recording mode: ${mode}`);
  if (mode === 'kernel') {
    if (o.command) {
      const p = which(o.command[0], cwd);
      if (!p) throw new RecordSetupError(`command not found: ${o.command[0]}`);
    } else if (!fs.existsSync(`/proc/${o.pid}`)) throw new RecordSetupError(`no process ${o.pid}`);
    return recordKernel({ ...o, cwd, out: outFile(o.out, mode) }, new TraceSession(root));
  }
  return recordUser({ ...o, cwd, out: outFile(o.out, mode) }, root, mode === 'contention');
}

function outFile(out: RecordOptions['out'], mode: Exclude<RecordMode, 'auto'>): string {
  return typeof out === 'string' ? out : out(mode);
}

/** The userspace recorder (JSONL), with kernel lock contention when `contention`. */
async function recordUser(o: RecordOptions & { cwd: string; out: string }, root: string, contention: boolean): Promise<RecordResult> {
  const cwd = o.cwd;
  // What to probe.
  let exe: ElfFile | undefined;
  let lib: ElfFile;
  if (o.pid !== undefined) {
    let maps: string;
    try {
      maps = fs.readFileSync(`/proc/${o.pid}/maps`, 'utf8');
      exe = ElfFile.read(fs.realpathSync(`/proc/${o.pid}/exe`));
    } catch (e) {
      throw new RecordSetupError(`cannot inspect process ${o.pid}: ${(e as Error).message}`);
    }
    lib = resolveLockLibrary(exe, maps);
  } else {
    const cmd = o.command!;
    const p = which(cmd[0], cwd);
    if (!p) throw new RecordSetupError(`command not found: ${cmd[0]}`);
    try {
      exe = ElfFile.read(fs.realpathSync(p));
    } catch (e) {
      if (!(e instanceof ElfError)) throw e;
      exe = undefined; // a script: probe the system C library its interpreter uses
    }
    lib = resolveLockLibrary(exe);
  }
  const { probes: planned, missing } = planProbes(lib, exe);
  if (missing.includes('pthread_mutex_lock')) throw new RecordSetupError(`${lib.path} does not define pthread_mutex_lock.`);

  const session = new TraceSession(root);
  if (!session.hasUprobes()) {
    throw new RecordSetupError(
      `${root}/uprobe_events is missing: the kernel was built without CONFIG_UPROBE_EVENTS, so userspace locks cannot be traced.`,
    );
  }
  const probeInfo = new Map<string, ProbeInfo>();
  const sym = new Symbolizer();
  if (o.pid !== undefined) sym.loadMaps(o.pid);
  const events = ['sched/sched_process_fork', 'sched/sched_process_exit', 'sched/sched_process_exec'];
  // raw_syscalls gives every syscall with its arguments; the file-lock and fd logic reads the
  // flock/fcntl/open/close/dup ones from it too, so syscalls:* would only duplicate them.
  events.push('raw_syscalls/sys_enter', 'raw_syscalls/sys_exit');
  if (contention) events.push('lock/contention_begin', 'lock/contention_end');
  let probeNames: string[] = [];
  let outFd: number | undefined;
  let conv: Converter | undefined;
  const joiner = new StackJoiner();
  const write = (recs: ReturnType<StackJoiner['line']>) => {
    let chunk = '';
    for (const r of recs) for (const ev of conv!.feed(r)) chunk += `${JSON.stringify(ev)}\n`;
    if (chunk) fs.writeSync(outFd!, chunk);
  };
  try {
    const r = await runTraced(o, session, {
      clock: 'mono',
      // raw kernel addresses in contention events, for /proc/kallsyms (root only; default hashed)
      options: contention && hashPtrOffIsSafe(os.release()) ? { 'hash-ptr': '0' } : {},
      prepare(s) {
        for (const p of planned) {
          s.addUprobe({ event: p.event, kind: p.kind, file: p.file, offset: p.offset, args: p.args });
          probeInfo.set(p.event, p);
        }
        if (contention) s.addTrigger('lock/contention_begin', 'stacktrace');
      },
      enable(s) {
        s.enableEvents(events);
        // The kernel decodes the probed instruction only when a probe is enabled, and refuses some
        // (glibc's pthread_spin_lock starts with `lock decl (%rdi)`): skip those with a warning.
        const refused = new Set<string>();
        for (const p of planned) {
          if (refused.has(p.fn)) continue;
          try {
            s.enableEvent(`${s.group}/${p.event}`);
            events.push(`${s.group}/${p.event}`);
          } catch (err) {
            if (p.fn === 'pthread_mutex_lock' || p.aux === 'entry') {
              throw new RecordSetupError(`the kernel refused to enable the uprobe on ${p.fn} in ${p.file}: ${(err as Error).message}`);
            }
            refused.add(p.fn);
            o.log(`warning: cannot probe ${p.fn} (the kernel's uprobes refuse its first instruction); its calls are not recorded`);
          }
        }
        const enabled = planned.filter((p) => !refused.has(p.fn));
        probeNames = [
          ...enabled.filter((p) => !p.ret).map((p) => `uprobe:${p.file}:${p.fn}`),
          ...enabled.filter((p) => p.ret).map((p) => `uretprobe:${p.file}:${p.fn}`),
          ...events.filter((e) => !e.startsWith(s.group)).map((e) => e.replace('/', ':')),
          ...(contention ? ['trigger:lock:contention_begin:stacktrace'] : []),
        ];
      },
      start(rootPid) {
        outFd = fs.openSync(o.out, 'w');
        const header = {
          type: 'header',
          format: 'locktrace',
          version: 1,
          created: new Date().toISOString(),
          machine: { hostname: os.hostname(), arch: os.arch() === 'x64' ? 'x86_64' : os.arch(), cpus: os.cpus().length },
          kernel: os.release(),
          command: o.command ?? [exe ? exe.path : String(o.pid)],
          pid: rootPid,
          clock: 'mono',
          mode: contention ? 'contention' : 'user',
          probes: probeNames,
          recorder: { program: exe?.path, library: lib.path, cwd },
          // flock/fcntl lock events are written explicitly (with paths): readers must not derive
          // them a second time from the flock/fcntl syscalls (docs/jsonl-format.md).
          fileLockEvents: 'explicit',
        };
        fs.writeSync(outFd, `${JSON.stringify(header)}\n`);
        conv = new Converter({
          probes: probeInfo,
          sym,
          nrNames: syscallNames(),
          rootPid,
          waitExec: o.pid === undefined,
          cwd,
          contention: contention ? new ContentionNamer(new KernelSymbols()) : undefined,
        });
      },
      line(text) {
        if (/\[LOST \d+ EVENTS\]/.test(text)) return;
        write(joiner.line(text));
      },
      end() {
        write(joiner.end());
      },
    });
    if (conv) for (const m of unfinishedMessages(conv.unfinished())) o.log(m);
    return {
      mode: contention ? 'contention' : 'user',
      extraFiles: [],
      events: conv?.events ?? 0,
      seconds: r.seconds,
      lost: r.lost,
      exitCode: r.exitCode,
      signal: r.signal,
      probes: probeNames,
    };
  } finally {
    if (outFd !== undefined) fs.closeSync(outFd);
  }
}

/**
 * What `record` says about lock calls whose return it did not record: tasks still waiting when it
 * stopped (a hang or deadlock looks like this), and returns that went missing although the task
 * went on (their calls stay pending in the recording). At most five of each, then a count.
 */
export function unfinishedMessages(calls: readonly UnfinishedCall[]): string[] {
  const out: string[] = [];
  const list = (items: readonly UnfinishedCall[], head: string) => {
    if (items.length === 0) return;
    out.push(head);
    for (const c of items.slice(0, 5)) out.push(`  ${c.comm}/${c.pid}: ${c.fn}(${c.lock}) called at ${c.ts.toFixed(6)}`);
    if (items.length > 5) out.push(`  … and ${items.length - 5} more`);
  };
  const waiting = calls.filter((c) => !c.wentOn && !c.exited);
  const killed = calls.filter((c) => !c.wentOn && c.exited);
  const lost = calls.filter((c) => c.wentOn);
  list(
    waiting,
    `note: ${waiting.length} lock call(s) had not returned when the recording stopped (the task was waiting for the lock; shown waiting in the trace):`,
  );
  list(killed, `note: ${killed.length} lock call(s) had not returned when their task exited (killed while waiting for the lock):`);
  list(
    lost,
    `warning: the return of ${lost.length} lock call(s) was not recorded although the task went on (a dropped return probe?); they stay pending in the trace:`,
  );
  return out;
}
