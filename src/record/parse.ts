// Parses lines of a tracefs instance's trace_pipe (with options/record-tgid) into plain records.
// Pure: no I/O.

export interface PipeRecord {
  comm: string;
  pid: number;
  tgid?: number;
  cpu: number;
  /** Seconds on the instance's trace clock. */
  ts: number;
  /** Event name as printed (`sys_enter`, `sched_process_fork`, a uprobe's event name). */
  name: string;
  body: string;
  /** Kernel stack printed after the event by a `stacktrace` trigger (innermost first). */
  stack?: string[];
}

// `comm-pid (tgid) [cpu] flags ts: name: body`; comm may hold spaces and dashes, so the pid is the
// last `-digits` before the tgid column.
const LINE = /^\s*(.*)-(\d+)\s+\(\s*(\d+|-+)\)\s+\[(\d+)\]\s+\S+\s+(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;
const LINE_NO_TGID = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;

export function parsePipeLine(line: string): PipeRecord | undefined {
  let m = LINE.exec(line);
  if (m) {
    return {
      comm: m[1].trim(),
      pid: Number(m[2]),
      tgid: /^\d+$/.test(m[3]) ? Number(m[3]) : undefined,
      cpu: Number(m[4]),
      ts: Number(m[5]),
      name: m[6],
      body: m[7],
    };
  }
  m = LINE_NO_TGID.exec(line);
  if (m) return { comm: m[1].trim(), pid: Number(m[2]), cpu: Number(m[3]), ts: Number(m[4]), name: m[5], body: m[6] };
  return undefined;
}

/** `key=value` pairs of an event body; quoted values (ustring fetchargs) are unquoted. */
export function parseFields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][\w]*)=("(?:[^"\\]|\\.)*"|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    let v = m[2];
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

/** The probed address of a uprobe line: `(0x7f…)` for an entry, `(ret <- func)` for a return. */
export function parseProbeHead(body: string): { ip?: bigint; ret?: bigint } {
  const r = /^\((0x[0-9a-f]+) <- (0x[0-9a-f]+)\)/.exec(body);
  if (r) return { ret: BigInt(r[1]), ip: BigInt(r[2]) };
  const p = /^\((0x[0-9a-f]+)\)/.exec(body);
  return p ? { ip: BigInt(p[1]) } : {};
}

/** raw_syscalls: `NR 73 (3, 2, 0, …)` (hex args) and `NR 73 = -512`. */
export function parseRawSyscall(name: string, body: string): { nr: number; args?: bigint[]; ret?: number } | undefined {
  if (name === 'sys_enter') {
    const m = /^NR (-?\d+) \(([^)]*)\)/.exec(body);
    if (!m) return undefined;
    return { nr: Number(m[1]), args: m[2].split(',').map((a) => BigInt(`0x${a.trim() || '0'}`)) };
  }
  const m = /^NR (-?\d+) = (-?\d+)/.exec(body);
  return m ? { nr: Number(m[1]), ret: Number(m[2]) } : undefined;
}
