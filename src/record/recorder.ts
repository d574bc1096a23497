// The recording session: resolves the program and its C library, defines the probes in a private
// tracefs instance, starts the command held at a go signal (or attaches to a pid), streams
// trace_pipe through the Converter into a JSONL file, and removes everything it created on every
// exit path.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Writable } from 'stream';
import { Converter } from './convert';
import { ElfError, ElfFile } from './elf';
import { parsePipeLine } from './parse';
import { planProbes, ProbeInfo } from './probes';
import { Symbolizer, syscallNames } from './symbolize';
import { findTracefs, RecordSetupError, sweepStale, TraceSession } from './tracefs';

export interface RecordOptions {
  out: string;
  command?: string[];
  pid?: number;
  /** Stop after this many seconds (0: until the program exits or Ctrl-C). */
  duration?: number;
  cwd?: string;
  /** Per-CPU buffer size in KiB. */
  bufferKb?: number;
  log: (msg: string) => void;
}

export interface RecordResult {
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

/** Records until the program exits, the duration ends, or SIGINT/SIGTERM. Throws RecordSetupError. */
export async function record(o: RecordOptions): Promise<RecordResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new RecordSetupError(`locktrace record supports Linux on x86-64 only (this is ${process.platform}/${process.arch}).`);
  }
  if (process.getuid?.() !== 0) {
    throw new RecordSetupError('locktrace record needs root to create tracing instances and uprobes: run `sudo locktrace record …`.');
  }
  const cwd = o.cwd ?? process.cwd();
  const root = findTracefs();
  for (const s of sweepStale(root)) o.log(`removed leftover ${s} of an earlier locktrace that was killed`);

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
  let child: ChildProcess | undefined;
  let outFd: number | undefined;
  const onExit = () => session.cleanup();
  process.on('exit', onExit);
  let stopReason: string | undefined;
  const stopWaiters: (() => void)[] = [];
  const stop = (why: string) => {
    if (!stopReason) stopReason = why;
    for (const w of stopWaiters.splice(0)) w();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    o.log(`${sig}: stopping`);
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(sig);
      } catch {
        /* gone */
      }
      setTimeout(() => stop(sig), 2000).unref();
    } else stop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    session.create();
    session.write('tracing_on', '0');
    session.write('trace_clock', 'mono');
    session.write('options/record-tgid', '1');
    session.write('options/event-fork', '1');
    session.write('buffer_size_kb', String(o.bufferKb ?? 8192));
    const probeInfo = new Map<string, ProbeInfo>();
    for (const p of planned) {
      session.addUprobe({ event: p.event, kind: p.kind, file: p.file, offset: p.offset, args: p.args });
      probeInfo.set(p.event, p);
    }

    // Start the command held at a go signal: the launcher shell reads a line from fd 3 and execs.
    let rootPid: number;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (o.pid !== undefined) {
        rootPid = o.pid;
        return;
      }
      child = spawn('/bin/sh', ['-c', 'read -r _ <&3; exec 3<&-; exec "$@"', 'locktrace-launch', ...o.command!], {
        cwd,
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      });
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: 127, signal: null }));
      rootPid = child.pid!;
    });
    let result: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    void exited.then((r) => {
      result = r;
      stop('exit');
    });

    // The pid filter must be in place before any event is enabled: an empty filter traces everyone.
    const pids = o.pid !== undefined ? fs.readdirSync(`/proc/${o.pid}/task`) : [String(rootPid!)];
    session.write('set_event_pid', pids.join(' '));
    const got = fs.readFileSync(path.join(session.dir, 'set_event_pid'), 'utf8').trim();
    if (!got) throw new RecordSetupError(`could not set the pid filter (process ${rootPid!} already gone?)`);

    const sym = new Symbolizer();
    if (o.pid !== undefined) sym.loadMaps(o.pid);
    const events = ['sched/sched_process_fork', 'sched/sched_process_exit', 'sched/sched_process_exec'];
    // raw_syscalls gives every syscall with its arguments; the file-lock and fd logic reads the
    // flock/fcntl/open/close/dup ones from it too, so syscalls:* would only duplicate them.
    events.push('raw_syscalls/sys_enter', 'raw_syscalls/sys_exit');
    for (const e of events) {
      try {
        session.enableEvent(e);
      } catch (err) {
        throw new RecordSetupError(`could not enable event ${e}: ${(err as Error).message}`);
      }
    }
    // The kernel decodes the probed instruction only when a probe is enabled, and refuses some
    // (glibc's pthread_spin_lock starts with `lock decl (%rdi)`): skip those with a warning.
    const refused = new Set<string>();
    for (const p of planned) {
      if (refused.has(p.fn)) continue;
      try {
        session.enableEvent(`${session.group}/${p.event}`);
        events.push(`${session.group}/${p.event}`);
      } catch (err) {
        if (p.fn === 'pthread_mutex_lock' || p.aux === 'entry') {
          throw new RecordSetupError(`the kernel refused to enable the uprobe on ${p.fn} in ${p.file}: ${(err as Error).message}`);
        }
        refused.add(p.fn);
        o.log(`warning: cannot probe ${p.fn} (the kernel's uprobes refuse its first instruction); its calls are not recorded`);
      }
    }
    const enabled = planned.filter((p) => !refused.has(p.fn));

    outFd = fs.openSync(o.out, 'w');
    const probeNames = [
      ...enabled.filter((p) => !p.ret).map((p) => `uprobe:${p.file}:${p.fn}`),
      ...enabled.filter((p) => p.ret).map((p) => `uretprobe:${p.file}:${p.fn}`),
      ...events.filter((e) => !e.startsWith(session.group)).map((e) => e.replace('/', ':')),
    ];
    const header = {
      type: 'header',
      format: 'locktrace',
      version: 1,
      created: new Date().toISOString(),
      machine: { hostname: os.hostname(), arch: os.arch() === 'x64' ? 'x86_64' : os.arch(), cpus: os.cpus().length },
      kernel: os.release(),
      command: o.command ?? [exe ? exe.path : String(o.pid)],
      pid: rootPid!,
      clock: 'mono',
      probes: probeNames,
      recorder: { program: exe?.path, library: lib.path, cwd },
      // flock/fcntl lock events are written explicitly (with paths): readers must not derive
      // them a second time from the flock/fcntl syscalls (docs/jsonl-format.md).
      fileLockEvents: 'explicit',
    };
    fs.writeSync(outFd, `${JSON.stringify(header)}\n`);

    const conv = new Converter({ probes: probeInfo, sym, nrNames: syscallNames(), rootPid: rootPid!, waitExec: o.pid === undefined, cwd });
    session.openPipe();
    session.write('tracing_on', '1');
    const started = Date.now();
    if (child) (child.stdio[3] as Writable | null)?.end('go\n');
    if (o.pid !== undefined) {
      const poll = setInterval(() => {
        if (!fs.existsSync(`/proc/${o.pid}`)) stop('exit');
      }, 100);
      stopWaiters.push(() => clearInterval(poll));
    }
    if (o.duration) setTimeout(() => stop('duration'), o.duration * 1000).unref();

    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    let lost = 0;
    const pump = (): number => {
      let total = 0;
      for (;;) {
        const n = session.readPipe(buf);
        if (n <= 0) break;
        total += n;
        const text = rest + buf.toString('utf8', 0, n);
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        let chunk = '';
        for (const line of lines) {
          const lm = /\[LOST (\d+) EVENTS\]/.exec(line);
          if (lm) {
            lost += Number(lm[1]);
            continue;
          }
          const r = parsePipeLine(line);
          if (!r) continue;
          for (const ev of conv.feed(r)) chunk += `${JSON.stringify(ev)}\n`;
        }
        if (chunk) fs.writeSync(outFd!, chunk);
      }
      return total;
    };
    await new Promise<void>((resolve) => {
      const tick = setInterval(pump, 25);
      stopWaiters.push(() => {
        clearInterval(tick);
        resolve();
      });
      if (stopReason) stop(stopReason);
    });
    // Drain what the kernel still holds, then stop tracing.
    session.write('tracing_on', '0');
    for (let i = 0; i < 3; i++) {
      if (pump() === 0) await new Promise((r) => setTimeout(r, 30));
    }
    const seconds = (Date.now() - started) / 1000;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL'); // duration ended: the program does not outlive its recording
      result = await exited;
    }
    if (lost > 0) o.log(`warning: the kernel dropped ${lost} events (buffer full); try --buffer-kb with a larger value`);
    return { events: conv.events, seconds, lost, exitCode: result.code, signal: result.signal, probes: probeNames };
  } finally {
    if (outFd !== undefined) fs.closeSync(outFd);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const problems = session.cleanup();
    process.off('exit', onExit);
    for (const p of problems) o.log(`cleanup: ${p}`);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
