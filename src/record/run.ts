// One recording run, whatever is recorded: a private tracefs instance, the command started held at
// a go signal (or a running process attached by pid), the pid filter written and checked before
// any event is enabled, trace_pipe pumped line by line into the mode's handler until the program
// exits, the duration ends or SIGINT/SIGTERM, then a drain and the cleanup of everything created.
// The modes (recorder.ts: userspace JSONL, kernel.ts: lockdep ftrace text) only say what to set up
// and what to do with each line.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Writable } from 'stream';
import { RecordSetupError, TraceSession } from './tracefs';

export interface RunOptions {
  command?: string[];
  pid?: number;
  /** Stop after this many seconds (0: until the program exits or Ctrl-C). */
  duration?: number;
  cwd: string;
  /** Per-CPU buffer size in KiB. */
  bufferKb?: number;
  log: (msg: string) => void;
}

/** What a recording mode sets up and does with the lines of trace_pipe. */
export interface RunPlan {
  /** The instance's trace_clock (`mono`, `local`…). */
  clock: string;
  /** Instance options to set (file under options/ → value; skipped when the kernel lacks it). */
  options?: Record<string, string>;
  /** Probes and triggers, once the instance exists; before the command starts. */
  prepare?(session: TraceSession): void;
  /** Enables the events; runs after the pid filter is in place. */
  enable(session: TraceSession): void;
  /** Tracing is about to start: `rootPid` is the command's (or the attached) process. */
  start(rootPid: number): void;
  /** One complete line of trace_pipe (`[LOST n EVENTS]` lines included). */
  line(text: string): void;
  /** Every line has been handed over (the buffers are drained). */
  end(): void;
}

export interface RunResult {
  seconds: number;
  /** Events the kernel dropped (`[LOST n EVENTS]`). */
  lost: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  rootPid: number;
}

/** Runs one recording with `plan`; throws RecordSetupError for setup problems. */
export async function runTraced(o: RunOptions, session: TraceSession, plan: RunPlan): Promise<RunResult> {
  let child: ChildProcess | undefined;
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
    session.write('trace_clock', plan.clock);
    session.write('options/record-tgid', '1');
    session.write('options/event-fork', '1');
    for (const [opt, v] of Object.entries(plan.options ?? {})) {
      if (!fs.existsSync(path.join(session.dir, 'options', opt))) continue; // older kernels lack some
      try {
        session.write(`options/${opt}`, v);
      } catch (e) {
        o.log(`warning: cannot set the tracing option ${opt}=${v}: ${(e as Error).message}`);
      }
    }
    session.write('buffer_size_kb', String(o.bufferKb ?? 8192));
    plan.prepare?.(session);

    // Start the command held at a go signal: the launcher shell reads a line from fd 3 and execs.
    let rootPid: number;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (o.pid !== undefined) {
        rootPid = o.pid;
        return;
      }
      child = spawn('/bin/sh', ['-c', 'read -r _ <&3; exec 3<&-; exec "$@"', 'locktrace-launch', ...o.command!], {
        cwd: o.cwd,
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

    plan.enable(session);
    plan.start(rootPid!);
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
        for (const line of lines) {
          const lm = /\[LOST (\d+) EVENTS\]/.exec(line);
          if (lm) lost += Number(lm[1]);
          plan.line(line);
        }
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
    if (rest) plan.line(rest);
    plan.end();
    const seconds = (Date.now() - started) / 1000;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL'); // duration ended: the program does not outlive its recording
      result = await exited;
    }
    if (lost > 0) o.log(`warning: the kernel dropped ${lost} events (buffer full); try --buffer-kb with a larger value`);
    return { seconds, lost, exitCode: result.code, signal: result.signal, rootPid: rootPid! };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const problems = session.cleanup();
    process.off('exit', onExit);
    for (const p of problems) o.log(`cleanup: ${p}`);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
