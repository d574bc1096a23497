// Kernel lock contention on stock kernels (no lockdep): `lock:contention_begin` with a kernel stack
// (the `stacktrace` trigger prints it as a separate `<stack trace>` entry followed by ` => fn`
// lines), joined back to its event, and the lock named: a static lock by its symbol in
// /proc/kallsyms, any other by the kind of lock (from the event's flags) and the function that
// called the lock primitive (`mutex via anon_pipe_write`), like `perf lock contention` does.
import * as fs from 'fs';
import { parsePipeLine, PipeRecord } from './parse';

/** `comm-pid (tgid) [cpu] flags ts: <stack trace>` (the stacktrace trigger's entry). */
const STACK_HEAD = /^\s*(.*)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[\d+\]\s+\S+\s+\d+\.\d+:\s+<stack trace>\s*$/;
const STACK_LINE = /^\s*=> (\S+)/;

/**
 * Turns trace_pipe lines into records, attaching to each `contention_begin` the kernel stack that
 * its trigger printed just after it. trace_pipe merges the CPUs' buffers by time, so other CPUs'
 * events can come between an event and its stack: records are held back (in order) while a
 * contention_begin still waits for its stack.
 */
export class StackJoiner {
  private readonly queue: { r: PipeRecord; ready: boolean }[] = [];
  private readonly waiting = new Map<number, { r: PipeRecord; ready: boolean }>();
  private collecting: { r: PipeRecord; ready: boolean } | undefined;

  /** Feeds one line; returns the records that are complete, in trace order. */
  line(text: string): PipeRecord[] {
    const fn = STACK_LINE.exec(text);
    if (fn) {
      if (this.collecting) (this.collecting.r.stack ??= []).push(fn[1]);
      return [];
    }
    this.endStack();
    const head = STACK_HEAD.exec(text);
    if (head) {
      const w = this.waiting.get(Number(head[2]));
      if (w) {
        this.waiting.delete(Number(head[2]));
        w.r.stack = [];
        this.collecting = w;
      }
      return [];
    }
    const r = parsePipeLine(text);
    if (!r) return this.flush();
    // A task's next event ends the wait for its stack (the stack was lost or not recorded).
    const prev = this.waiting.get(r.pid);
    if (prev) {
      prev.ready = true;
      this.waiting.delete(r.pid);
    }
    const item = { r, ready: r.name !== 'contention_begin' };
    this.queue.push(item);
    if (!item.ready) this.waiting.set(r.pid, item);
    // never hold back more than a bounded number of records
    if (this.queue.length > 20000) this.queue[0].ready = true;
    return this.flush();
  }

  /** Everything still held back (at the end of the recording). */
  end(): PipeRecord[] {
    this.endStack();
    for (const q of this.queue) q.ready = true;
    this.waiting.clear();
    return this.flush();
  }

  private endStack(): void {
    if (this.collecting) {
      this.collecting.ready = true;
      this.collecting = undefined;
    }
  }

  private flush(): PipeRecord[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n].ready) n++;
    return n ? this.queue.splice(0, n).map((q) => q.r) : [];
  }
}

/** Frames of the lock implementation and of the tracing itself, above the lock's caller. */
const LOCK_FRAME =
  /^(?:trace_event_raw_event_|perf_trace_|__traceiter_|__bpf_trace_|trace_contention_|_raw_|__raw_|do_raw_|queued_|native_queued_|__pv_queued_|pv_queued_|__mutex_|mutex_lock|mutex_trylock|__ww_mutex|ww_mutex_|rt_mutex|__rt_mutex|rt_spin|rt_read|rt_write|rwbase_|rwsem_|__rwsem|down_|__down|percpu_down|__percpu_down|percpu_rwsem|osq_|lock_acquire|__lock_acquire|_down_|spin_lock|read_lock|write_lock)/;

/**
 * Whether turning a tracing instance's `hash-ptr` option off (raw kernel addresses in the output)
 * is safe: before Linux 6.13, trace_check_vprintf() reused the buffer that holds the rewritten
 * `%p` → `%px` format, and every `%s` after a `%p` printed empty (seen on 6.1: `lock_release:
 * ffffffff81de1e50 ` without its class name). Those kernels print raw pointers only when booted
 * with `no_hash_pointers`.
 */
export function hashPtrOffIsSafe(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return !!m && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 13));
}

/** Kind of lock from contention_begin's flags (include/trace/events/lock.h LCB_F_*). */
export function lockKindOfFlags(flags: string): string {
  const f = new Set(flags.split('|'));
  if (f.has('MUTEX')) return 'mutex';
  if (f.has('RT')) return 'rt_mutex';
  if (f.has('PERCPU')) return 'percpu rwsem';
  if (f.has('SPIN')) return f.has('READ') || f.has('WRITE') ? 'rwlock' : 'spinlock';
  if (f.has('READ') || f.has('WRITE')) return 'rwsem';
  return 'lock';
}

/** `anon_pipe_write.constprop.0+0x1c/0x40` → `anon_pipe_write`. */
export function plainFunction(frame: string): string {
  return frame.replace(/[+].*$/, '').replace(/\.(?:constprop|isra|part|cold|llvm)(?:\.\d+)*$/g, '');
}

/** The function that called the lock primitive: the first frame below the lock and tracing frames. */
export function lockCaller(stack: readonly string[]): string | undefined {
  for (const frame of stack) {
    const fn = plainFunction(frame);
    if (!LOCK_FRAME.test(fn)) return fn;
  }
  return undefined;
}

/**
 * Locks recognised by the function that takes them, named as lockdep names their class (so a
 * contention recording and a lockdep recording agree): the mmap_lock rwsem is taken by inline
 * mmap_read_lock()/mmap_write_lock() in these functions, a pipe's mutex by the pipe code, an
 * inode's i_rwsem by inline inode_lock() in the file systems' write paths and the VFS' directory
 * operations.
 */
const KNOWN_BY_CALLER: { kind: string; caller: RegExp; name: string }[] = [
  {
    kind: 'rwsem',
    caller:
      /^(?:lock_mm_and_find_vma|do_user_addr_fault|vm_mmap_pgoff|__vm_munmap|vm_munmap|do_madvise|madvise_lock|madvise_do_behavior|do_mprotect_pkey|__do_sys_brk|__do_sys_mremap|__do_sys_mlock|__do_sys_munlock|do_mlock|mmap_read_lock_killable|mmap_write_lock_killable|exit_mmap|dup_mmap|__access_remote_vm|get_user_pages_unlocked|do_mmap)$/,
    name: '&mm->mmap_lock',
  },
  {
    kind: 'mutex',
    caller: /^(?:anon_)?pipe_(?:read|write|lock|double_lock|poll|release|ioctl|fasync)$|^(?:__)?pipe_lock$/,
    name: '&pipe->mutex',
  },
  // a regular file's i_rwsem (inode_lock) in the write paths, a directory's in lookups and changes
  {
    kind: 'rwsem',
    caller:
      /^(?:generic_file_write_iter|ext4_buffered_write_iter|ext4_dio_write_iter|shmem_file_write_iter|f2fs_file_write_iter|fuse_file_write_iter|btrfs_buffered_write|do_truncate)$/,
    name: '&sb->s_type->i_mutex_key',
  },
  {
    kind: 'rwsem',
    caller: /^(?:iterate_dir|lookup_slow|open_last_lookups|filename_create|do_rmdir|do_unlinkat|lock_rename)$/,
    name: '&type->i_mutex_dir_key',
  },
];

/** Data symbols of the running kernel (/proc/kallsyms, real addresses only for root). */
export class KernelSymbols {
  private addrs: bigint[] = [];
  private names: string[] = [];
  private loaded = false;

  constructor(private readonly file = '/proc/kallsyms') {}

  private load(): void {
    this.loaded = true;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const syms: { a: bigint; n: string }[] = [];
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const line of text.split('\n')) {
      const sp1 = line.indexOf(' ');
      if (sp1 < 0) continue;
      const type = line[sp1 + 1];
      const name = line.slice(sp1 + 3).split(/\s/)[0];
      if (name === '_sdata' || name === '_stext') lo = lo === undefined ? BigInt(`0x${line.slice(0, sp1)}`) : lo;
      if (name === '_end') hi = BigInt(`0x${line.slice(0, sp1)}`);
      // data, bss and read-only data: where static locks live (module symbols included)
      if (!'dDbBrR'.includes(type)) continue;
      const a = BigInt(`0x${line.slice(0, sp1)}`);
      if (a === 0n) continue; // addresses hidden (kptr_restrict or not root)
      syms.push({ a, n: name });
    }
    // percpu symbols are offsets near 0: keep the kernel image's and modules' data only
    const min = lo ?? 0xffff_ffff_0000_0000n;
    const kept = syms.filter((s) => s.a >= min && (hi === undefined || s.a < hi || s.a >= 0xffff_ffff_c000_0000n));
    kept.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    this.addrs = kept.map((s) => s.a);
    this.names = kept.map((s) => s.n);
  }

  /** `tasklist_lock`, `some_table+0x40`, or undefined when the address is not in static data. */
  lookup(addr: bigint): string | undefined {
    if (!this.loaded) this.load();
    const a = this.addrs;
    let lo = 0;
    let hi = a.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const off = addr - a[best];
    // no sizes in kallsyms: the next symbol bounds this one, and a lock is near its struct's start
    if ((best + 1 < a.length && addr >= a[best + 1]) || off >= 0x10000n) return undefined;
    return off === 0n ? this.names[best] : `${this.names[best]}+0x${off.toString(16)}`;
  }
}

/**
 * Names kernel locks seen in contention events, one class per address (its first sighting): the
 * static symbol, else a well-known lock recognised by its caller (`&mm->mmap_lock`), else
 * `KIND via CALLER`.
 */
export class ContentionNamer {
  private readonly classes = new Map<string, string>();

  constructor(private readonly syms: KernelSymbols) {}

  /** The class of the lock at `addr` (a static symbol, else `KIND via CALLER`). */
  name(addr: bigint, flags: string, stack: readonly string[] | undefined): string {
    const key = addr.toString(16);
    let cls = this.classes.get(key);
    if (!cls) {
      const kind = lockKindOfFlags(flags);
      const sym = this.syms.lookup(addr);
      const caller = stack ? lockCaller(stack) : undefined;
      const known = caller ? KNOWN_BY_CALLER.find((k) => k.kind === kind && k.caller.test(caller)) : undefined;
      cls = sym ?? known?.name ?? (caller ? `${kind} via ${caller}` : `${kind} 0x${key}`);
      this.classes.set(key, cls);
    }
    return cls;
  }
}
