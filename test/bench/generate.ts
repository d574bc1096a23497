// Deterministic synthetic lock traces for benchmarks: many tasks, nested locks taken in a global
// order inside syscalls, lock statistics noise, and hidden inversions (by default one: a task takes two
// locks in the reverse order once, in the middle). Same seed, same bytes.
// Writes ftrace, trace-cmd or perf script text. Node-only (writes files).

import * as fs from 'fs';

export type BenchFormat = 'ftrace' | 'trace-cmd' | 'perf';

export interface GenOptions {
  events: number;
  format: BenchFormat;
  seed?: number;
  tasks?: number;
  classes?: number;
  /** Hidden inversions, spread evenly over the trace (default 1, in the middle). */
  inversions?: number;
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYSCALLS: [number, string][] = [
  [0, 'read'],
  [1, 'write'],
  [16, 'ioctl'],
  [209, 'io_submit'],
  [426, 'io_uring_enter'],
  [202, 'futex'],
  [257, 'openat'],
  [3, 'close'],
];

/** Writes a trace of about `events` events to `file`; returns the exact number of events and the hidden inversion's line. */
export function generateTrace(file: string, o: GenOptions): { events: number; inversionLine: number; bytes: number } {
  const rnd = prng(o.seed ?? 1);
  const nTasks = o.tasks ?? 64;
  const nClasses = o.classes ?? 200;
  const classNames = Array.from({ length: nClasses }, (_, k) =>
    k % 3 === 0 ? `&obj${k}->lock` : k % 3 === 1 ? `subsys${k}_mutex` : `&(&q${k}->lock)->rlock`,
  );
  const addr = (k: number, inst: number) =>
    o.format === 'ftrace'
      ? (0x10000000 + k * 64 + inst * 0x100000).toString(16).padStart(16, '0')
      : `0xffff8881${(0x100000 + k * 64 + inst * 0x100000).toString(16).padStart(8, '0')}`;
  const fd = fs.openSync(file, 'w');
  const chunks: string[] = [];
  let pending = 0;
  let bytes = 0;
  const flush = () => {
    const s = chunks.join('');
    bytes += Buffer.byteLength(s);
    fs.writeSync(fd, s);
    chunks.length = 0;
    pending = 0;
  };
  let line = 0;
  const emit = (s: string) => {
    chunks.push(s);
    line++;
    if (++pending >= 8192) flush();
  };
  if (o.format === 'ftrace') {
    for (const h of [
      '# tracer: nop',
      '#',
      `# entries-in-buffer/entries-written: ${o.events}/${o.events}   #P:8`,
      '#',
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
      '#              | |         |   |||||     |         |',
    ])
      emit(`${h}\n`);
  } else if (o.format === 'trace-cmd') emit('cpus=8\n');
  let ts = 5000;
  let n = 0;
  let inversionLine = -1;
  const nInv = o.inversions ?? 1;
  const invAt = Array.from({ length: nInv }, (_, k) => Math.floor((o.events * (k + 1)) / (nInv + 1)));
  let invDone = 0;
  const ev = (comm: string, pid: number, cpu: number, sub: string, name: string, body: string) => {
    ts += 0.000001 + rnd() * 0.000004;
    const t = ts.toFixed(6);
    const c = cpu.toString().padStart(3, '0');
    if (o.format === 'ftrace') emit(`${comm.padStart(16)}-${pid.toString().padEnd(6)} [${c}] ..... ${t}: ${name}: ${body}\n`);
    else if (o.format === 'trace-cmd') emit(`${comm.padStart(16)}-${pid.toString().padEnd(6)} [${c}] ${t}: ${name}: ${body}\n`);
    else emit(`${comm.padStart(16)} ${pid.toString().padStart(6)} [${c}] ${t}: ${`${sub}:${name}`.padStart(22)}: ${body}\n`);
    n++;
  };
  const tasks = Array.from({ length: nTasks }, (_, k) => ({ comm: `worker-${k % 7}`, pid: 1000 + k, cpu: k % 8 }));
  while (n < o.events) {
    const t = tasks[Math.floor(rnd() * nTasks)];
    const [nr] = SYSCALLS[Math.floor(rnd() * SYSCALLS.length)];
    ev(t.comm, t.pid, t.cpu, 'raw_syscalls', 'sys_enter', `NR ${nr} (3, 7ffd2b1c9e30, 1000, 0, 0, 0)`);
    const depth = 1 + Math.floor(rnd() * 3);
    // nested locks in ascending class order: a consistent global order
    const picked: number[] = [];
    let k = Math.floor(rnd() * (nClasses - 4));
    for (let d = 0; d < depth && k < nClasses; d++) {
      picked.push(k);
      k += 1 + Math.floor(rnd() * 3);
    }
    const inv = invDone < nInv && n >= invAt[invDone] && picked.length >= 2;
    if (inv) invDone++;
    if (inv) {
      // exactly two locks, in the reverse of the global order: one AB-BA
      picked.length = 2;
      picked.reverse();
    }
    for (let d = 0; d < picked.length; d++) {
      const c = picked[d];
      if (rnd() < 0.05) ev(t.comm, t.pid, t.cpu, 'lock', 'lock_contended', `${addr(c, t.pid % 4)} ${classNames[c]}`);
      if (inv && d === 1 && inversionLine < 0) inversionLine = line + 1;
      ev(t.comm, t.pid, t.cpu, 'lock', 'lock_acquire', `${addr(c, t.pid % 4)} ${rnd() < 0.1 ? 'read ' : ''}${classNames[c]}`);
    }
    for (let d = picked.length - 1; d >= 0; d--)
      ev(t.comm, t.pid, t.cpu, 'lock', 'lock_release', `${addr(picked[d], t.pid % 4)} ${classNames[picked[d]]}`);
    ev(t.comm, t.pid, t.cpu, 'raw_syscalls', 'sys_exit', `NR ${nr} = 0`);
  }
  flush();
  fs.closeSync(fd);
  return { events: n, inversionLine, bytes };
}
