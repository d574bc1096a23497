// `locktrace record [-o out.ltrace] [--duration S] [--buffer-kb N] (--pid PID | -- CMD ARGS…)`:
// argument parsing and messages for the recorder. Exit codes: the traced program's own code
// when it ran (so scripts can tell), 2 for usage and setup errors (no root, no tracefs…).
import * as os from 'os';
import * as path from 'path';
import { record } from './recorder';
import { RecordSetupError } from './tracefs';

export interface RecordIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const RECORD_USAGE = `usage: locktrace record [-o out.ltrace] [--duration SECONDS] [--buffer-kb KIB] -- CMD ARGS…
       locktrace record [-o out.ltrace] [--duration SECONDS] --pid PID

Records pthread mutex/rwlock/spinlock operations (uprobes on the C library), flock/fcntl file
locks, syscalls and forks of CMD and all its children (or of a running process) into locktrace's
JSON Lines format. Needs root (tracefs and uprobes). See docs/recorder.md.
`;

/** Runs `locktrace record`; `argv` is what follows `record`. */
export async function runRecord(argv: string[], io: RecordIo): Promise<number> {
  let out: string | undefined;
  let pid: number | undefined;
  let duration: number | undefined;
  let bufferKb: number | undefined;
  let command: string[] | undefined;
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
      else if (a === '-h' || a === '--help') {
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
  const file = out ?? (pid !== undefined ? `pid-${pid}.ltrace` : `${path.basename(command![0])}.ltrace`);
  try {
    const r = await record({ out: file, command, pid, duration, bufferKb, log: (m) => io.stderr.write(`locktrace record: ${m}\n`) });
    const rate = r.seconds > 0 ? Math.round(r.events / r.seconds) : r.events;
    const how = r.signal ? `killed by ${r.signal}` : r.exitCode !== null ? `exited with ${r.exitCode}` : 'still running';
    io.stderr.write(`locktrace record: ${r.events} events in ${r.seconds.toFixed(2)} s (${rate}/s) written to ${file}; program ${how}\n`);
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
