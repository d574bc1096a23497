// tracefs access for the recorder: find or mount tracefs, create a private instance, define and
// remove uprobes and event probes (eprobes) under a group name owned by this process, set event
// triggers, and sweep what a killed recorder left. Everything created is tracked so `cleanup()` can
// undo it on any exit path.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';

/** A problem that stops recording before it starts; the message says what to do. Exit code 2. */
export class RecordSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordSetupError';
  }
}

const CANDIDATES = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** The tracefs mount point, mounting it at /sys/kernel/tracing when needed (root only). */
export function findTracefs(): string {
  for (const dir of CANDIDATES)
    if (fs.existsSync(path.join(dir, 'uprobe_events')) || fs.existsSync(path.join(dir, 'trace_pipe'))) return dir;
  try {
    const mounts = fs.readFileSync('/proc/mounts', 'utf8');
    for (const line of mounts.split('\n')) {
      const f = line.split(' ');
      if (f[2] === 'tracefs' && f[1]) return f[1];
    }
  } catch {
    /* no /proc: fall through */
  }
  if (process.getuid?.() !== 0) {
    throw new RecordSetupError(
      'tracefs is not mounted and only root can mount it. Run `sudo locktrace record …`, or ask an admin to ' +
        '`mount -t tracefs nodev /sys/kernel/tracing` and give you access to it.',
    );
  }
  try {
    fs.mkdirSync(CANDIDATES[0], { recursive: true });
    execFileSync('mount', ['-t', 'tracefs', 'nodev', CANDIDATES[0]], { stdio: 'pipe' });
  } catch (e) {
    throw new RecordSetupError(
      `could not mount tracefs at ${CANDIDATES[0]} (${oneLine(e)}). The kernel needs CONFIG_FTRACE/tracefs; ` +
        'in a container, run it privileged or bind-mount /sys/kernel/tracing from the host.',
    );
  }
  return CANDIDATES[0];
}

export function oneLine(e: unknown): string {
  const err = e as { stderr?: Buffer; message?: string };
  const s = err.stderr?.toString().trim() || err.message || String(e);
  return s.split('\n')[0];
}

/** One uprobe definition, as written to uprobe_events. */
export interface UprobeDef {
  event: string;
  /** `p` (entry) or `r` (return). */
  kind: 'p' | 'r';
  file: string;
  offset: bigint;
  args: string;
}

/**
 * A private tracing instance plus the uprobe group `locktrace_<pid>`. Names contain our pid so a
 * later run can tell whether their owner is still alive (see `sweepStale`).
 */
export class TraceSession {
  readonly group: string;
  readonly instance: string;
  readonly dir: string;
  private readonly probes: string[] = [];
  private readonly eprobes: string[] = [];
  private readonly triggers: { event: string; trigger: string }[] = [];
  private pipeFd: number | undefined;
  private cleaned = false;

  constructor(readonly root: string) {
    this.group = `locktrace_${process.pid}`;
    this.instance = `locktrace-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.dir = path.join(root, 'instances', this.instance);
  }

  create(): void {
    if (!fs.existsSync(path.join(this.root, 'instances'))) {
      throw new RecordSetupError(`${this.root} has no instances/ directory: the kernel is too old for private tracing instances.`);
    }
    try {
      fs.mkdirSync(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new RecordSetupError(
        code === 'EACCES' || code === 'EPERM'
          ? `no permission to create a tracing instance in ${this.root}/instances: run as root (sudo locktrace record …).`
          : `could not create tracing instance ${this.dir}: ${oneLine(e)}`,
      );
    }
  }

  /** Writes a tracefs control file of the instance (relative) or of the root (absolute path). */
  write(file: string, value: string, append = false): void {
    const p = path.isAbsolute(file) ? file : path.join(this.dir, file);
    const fd = fs.openSync(p, append ? 'a' : 'w');
    try {
      fs.writeSync(fd, value.endsWith('\n') ? value : `${value}\n`);
    } finally {
      fs.closeSync(fd);
    }
  }

  hasUprobes(): boolean {
    return fs.existsSync(path.join(this.root, 'uprobe_events'));
  }

  /** Defines a uprobe in our group; the error log line is included in the error when it fails. */
  addUprobe(def: UprobeDef): void {
    const line = `${def.kind}:${this.group}/${def.event} ${def.file}:0x${def.offset.toString(16)} ${def.args}`.trim();
    try {
      this.write(path.join(this.root, 'uprobe_events'), line, true);
    } catch (e) {
      throw new RecordSetupError(`the kernel refused uprobe \`${line}\`: ${oneLine(e)}${errorLogTail(this.root)}`);
    }
    this.probes.push(def.event);
  }

  enableEvent(event: string): void {
    this.write(`events/${event}/enable`, '1');
  }

  /** Enables each tracepoint (`system/event`); a refusal is a RecordSetupError naming the event. */
  enableEvents(events: readonly string[]): void {
    for (const e of events) {
      try {
        this.enableEvent(e);
      } catch (err) {
        throw new RecordSetupError(`could not enable event ${e}: ${(err as Error).message}`);
      }
    }
  }

  /** Whether the kernel has the tracepoint `system/event` (e.g. `lock/lock_acquire`). */
  hasEvent(event: string): boolean {
    return fs.existsSync(path.join(this.root, 'events', event));
  }

  /**
   * Defines an event probe in our group on top of `target` (`syscalls.sys_enter_openat`), e.g.
   * `path=+0($filename):ustring`. Returns the kernel's complaint instead of throwing: eprobes are
   * optional (kernels without CONFIG_EPROBE_EVENTS refuse every definition with EINVAL).
   */
  addEprobe(event: string, target: string, args: string): string | undefined {
    const line = `e:${this.group}/${event} ${target} ${args}`.trim();
    try {
      this.write(path.join(this.root, 'dynamic_events'), line, true);
    } catch (e) {
      return `${oneLine(e)}${errorLogTail(this.root)}`;
    }
    this.eprobes.push(event);
    return undefined;
  }

  /** Adds a trigger (`stacktrace`) to an event of the instance; removed again by cleanup. */
  addTrigger(event: string, trigger: string): void {
    this.write(`events/${event}/trigger`, trigger);
    this.triggers.push({ event, trigger });
  }

  /** Opens the instance's trace_pipe non-blocking so reading never hangs shutdown. */
  openPipe(): number {
    this.pipeFd = fs.openSync(path.join(this.dir, 'trace_pipe'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return this.pipeFd;
  }

  /** Reads what is available now (possibly nothing). */
  readPipe(buf: Buffer): number {
    if (this.pipeFd === undefined) return 0;
    try {
      return fs.readSync(this.pipeFd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
      throw e;
    }
  }

  closePipe(): void {
    if (this.pipeFd !== undefined) {
      try {
        fs.closeSync(this.pipeFd);
      } catch {
        /* already closed */
      }
      this.pipeFd = undefined;
    }
  }

  /** Undoes everything: tracing off, events off, instance removed, uprobes removed. Idempotent. */
  cleanup(): string[] {
    if (this.cleaned) return [];
    this.cleaned = true;
    const problems: string[] = [];
    this.closePipe();
    const tryDo = (what: string, f: () => void) => {
      try {
        f();
      } catch (e) {
        problems.push(`${what}: ${oneLine(e)}`);
      }
    };
    if (fs.existsSync(this.dir)) {
      tryDo('tracing_on', () => this.write('tracing_on', '0'));
      for (const t of this.triggers.splice(0)) tryDo(`trigger ${t.event}`, () => this.write(`events/${t.event}/trigger`, `!${t.trigger}`));
      tryDo('events/enable', () => this.write('events/enable', '0'));
      tryDo(`rmdir ${this.dir}`, () => rmdirRetry(this.dir));
    }
    problems.push(...removeGroup(this.root, this.group));
    return problems;
  }
}

function rmdirRetry(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      // EBUSY while a reader still has trace_pipe open (it is closed just before): retry briefly.
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 50) throw e;
      const until = Date.now() + 20;
      while (Date.now() < until) {
        /* spin: cleanup also runs from exit handlers where awaiting is impossible */
      }
    }
  }
}

/** Removes every uprobe and eprobe of `group` (they must be disabled in every instance first). */
export function removeGroup(root: string, group: string): string[] {
  const problems: string[] = [];
  // uprobes through uprobe_events (kernels before dynamic_events have only that), eprobes
  // through dynamic_events (which also lists the uprobes, already gone by then).
  for (const [file, kinds] of [
    ['uprobe_events', 'pr'],
    ['dynamic_events', 'e'],
  ] as const) {
    let defs: string;
    try {
      defs = fs.readFileSync(path.join(root, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of defs.split('\n')) {
      const m = /^([a-z])\d*:([^/\s]+)\/(\S+)/.exec(line);
      if (!m || m[2] !== group || !kinds.includes(m[1])) continue;
      try {
        fs.appendFileSync(path.join(root, file), `-:${m[2]}/${m[3]}\n`);
      } catch (e) {
        problems.push(`remove ${m[1] === 'e' ? 'eprobe' : 'uprobe'} ${m[2]}/${m[3]}: ${oneLine(e)}`);
      }
    }
  }
  return problems;
}

/** The last lines of tracefs' error_log, as ` (…)` for an error message, or ''. */
export function errorLogTail(root: string): string {
  try {
    const log = fs.readFileSync(path.join(root, 'error_log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
    return log ? ` (${log})` : '';
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes instances and uprobe groups left by recorders that were killed (SIGKILL) mid-run. */
export function sweepStale(root: string): string[] {
  const swept: string[] = [];
  try {
    for (const name of fs.readdirSync(path.join(root, 'instances'))) {
      const m = /^locktrace-(\d+)-/.exec(name);
      if (!m || alive(Number(m[1]))) continue;
      try {
        fs.writeFileSync(path.join(root, 'instances', name, 'events/enable'), '0\n');
        fs.rmdirSync(path.join(root, 'instances', name));
        swept.push(`instance ${name}`);
      } catch {
        /* someone else's problem now; reported by the leftover check */
      }
    }
  } catch {
    /* no instances dir */
  }
  const groups = new Set<string>();
  for (const file of ['uprobe_events', 'dynamic_events']) {
    try {
      for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
        const m = /^[pre]\d*:(locktrace_(\d+))\//.exec(line);
        if (m && !alive(Number(m[2]))) groups.add(m[1]);
      }
    } catch {
      /* no such file */
    }
  }
  for (const g of groups) if (removeGroup(root, g).length === 0) swept.push(`probes ${g}`);
  return swept;
}

/** What locktrace left in tracefs (instances and uprobes), for tests and `--check-clean`. */
export function leftovers(root: string): string[] {
  const out: string[] = [];
  try {
    for (const name of fs.readdirSync(path.join(root, 'instances'))) if (name.startsWith('locktrace-')) out.push(`instances/${name}`);
  } catch {
    /* none */
  }
  for (const file of ['uprobe_events', 'dynamic_events']) {
    try {
      for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
        if (/^[pre]\d*:locktrace_/.test(line) && !out.includes(line)) out.push(line);
      }
    } catch {
      /* none */
    }
  }
  return out;
}
