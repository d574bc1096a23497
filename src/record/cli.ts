// `locktrace record [--kernel | --contention | --auto] [-o OUT] [--duration S] [--buffer-kb N]
// (--pid PID | -- CMD ARGS…)`:
// argument parsing and messages for the recorder. Exit codes: the traced program's own code
// when it ran (so scripts can tell), 2 for usage and setup errors (no root, no tracefs…).
import * as os from 'os';
import * as path from 'path';
import { record, RecordMode } from './recorder';
import { RecordSetupError } from './tracefs';

export interface RecordIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const RECORD_USAGE = `usage: locktrace record [--kernel | --contention | --auto] [-o OUT] [--duration SECONDS] [--buffer-kb KIB] -- CMD ARGS…
       locktrace record [--kernel | --contention | --auto] [-o OUT] [--duration SECONDS] --pid PID

Records the locks of CMD and all its children (or of a running process). Needs root. Modes:
  (default)     pthread mutex/rwlock/spinlock operations (uprobes on the C library), flock/fcntl
                file locks, syscalls and forks, in locktrace's JSON Lines format (OUT.ltrace)
  --contention  the same, plus the kernel locks its syscalls waited for (lock:contention_begin/end
                with kernel stacks; stock kernels, Linux 5.19+)
  --kernel      lockdep's kernel lock events (lock:lock_acquire…), syscalls and process events
                with the interrupt-context flags, as ftrace text (OUT.trace; kernels built with
                CONFIG_LOCKDEP); saves /proc/lockdep as OUT.lockdep (check finds it there)
  --auto        --kernel when the kernel has lockdep's events, else --contention when it has the
                contention events, else the default
See docs/recorder.md.
`;

/** Runs `locktrace record`; `argv` is what follows `record`. */
export async function runRecord(argv: string[], io: RecordIo): Promise<number> {
  let out: string | undefined;
  let pid: number | undefined;
  let duration: number | undefined;
  let bufferKb: number | undefined;
  let command: string[] | undefined;
  let mode: RecordMode | undefined;
  const bad = (msg: string) => {
    io.stderr.write(`locktrace record: ${msg}\n${RECORD_USAGE}`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--') {
        command = argv.slice(i + 1);
        break;
      } else if (a === '-o' || a === '--output') out = val();
      else if (a === '--pid' || a === '-p') pid = Number(val());
      else if (a === '--duration') duration = Number(val());
      else if (a === '--buffer-kb') bufferKb = Number(val());
      else if (a === '--kernel' || a === '--contention' || a === '--auto') {
        const m = a.slice(2) as RecordMode;
        if (mode && mode !== m) return bad(`give only one of --kernel, --contention, --auto`);
        mode = m;
      } else if (a === '-h' || a === '--help') {
        io.stdout.write(RECORD_USAGE);
        return 0;
      } else if (!a.startsWith('-')) {
        command = argv.slice(i);
        break;
      } else return bad(`unknown option ${a}`);
    } catch (e) {
      return bad((e as Error).message);
    }
  }
  if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) return bad('--pid needs a process id');
  if (duration !== undefined && !(duration > 0)) return bad('--duration needs a positive number of seconds');
  if (bufferKb !== undefined && !(Number.isInteger(bufferKb) && bufferKb > 0)) return bad('--buffer-kb needs a positive integer');
  if (pid !== undefined && command?.length) return bad('give either --pid or a command, not both');
  if (pid === undefined && !command?.length) return bad('nothing to record: give -- CMD ARGS… or --pid PID');
  // kernel recordings are ftrace text: .trace (the editor opens both as lock traces)
  const fileFor = (m: RecordMode) =>
    out ?? `${pid !== undefined ? `pid-${pid}` : path.basename(command![0])}.${m === 'kernel' ? 'trace' : 'ltrace'}`;
  let file = '';
  try {
    const r = await record({
      out: (m) => (file = fileFor(m)),
      command,
      pid,
      duration,
      bufferKb,
      mode,
      log: (m) => io.stderr.write(`locktrace record: ${m}\n`),
    });
    const rate = r.seconds > 0 ? Math.round(r.events / r.seconds) : r.events;
    const how = r.signal ? `killed by ${r.signal}` : r.exitCode !== null ? `exited with ${r.exitCode}` : 'still running';
    const also = r.extraFiles.length ? ` (and ${r.extraFiles.join(', ')})` : '';
    io.stderr.write(
      `locktrace record: ${r.events} ${r.mode === 'kernel' ? 'trace lines' : 'events'} in ${r.seconds.toFixed(2)} s (${rate}/s) written to ${file}${also}; program ${how}\n`,
    );
    if (r.signal) return 128 + (signalNumber(r.signal) ?? 0);
    return r.exitCode ?? 0;
  } catch (e) {
    if (e instanceof RecordSetupError) {
      io.stderr.write(`locktrace record: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`locktrace record: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return os.constants.signals[sig];
}
