// What a kernel stack says about where a lock was taken: the syscall (from the entry frames:
// `__x64_sys_NAME`, `__se_sys_NAME`, `__do_sys_NAME`, `SyS_NAME`, `ksys_NAME`, compat and 32-bit
// entries, or the frame above `do_syscall_64`), a page fault, a kernel thread, a workqueue item,
// a hard or soft interrupt (and what it interrupted), boot code or the idle loop. Also the
// acquisition site: the first frame outside the locking primitives.

import { ExecContext, StackFrame } from '../types';

/** Optimizer suffixes that are not part of the function's name (`.isra.0`, `.constprop.3`, `.part.0`, `.cold`). */
export function baseFunction(fn: string): string {
  const dot = fn.indexOf('.');
  return dot > 0 ? fn.slice(0, dot) : fn;
}

/** A syscall named by an entry or wrapper function, strongest forms first. */
const SYSCALL_WRAPPERS: { re: RegExp; compat?: number; name: number; strength: number }[] = [
  // __x64_sys_ioctl, __ia32_compat_sys_ioctl, __arm64_sys_ioctl, __riscv_sys_…, __s390x_sys_…, __powerpc_sys_…
  {
    re: /^__(?:x64|x32|ia32|arm64|arm|riscv|s390x|s390|powerpc|powerpc64|loongarch|mips|sparc64)_(compat_)?sys_(\w+)$/,
    compat: 1,
    name: 2,
    strength: 3,
  },
  { re: /^__(?:se|do)_(compat_)?sys_(\w+)$/, compat: 1, name: 2, strength: 3 },
  // old kernels: SyS_ioctl, compat_SyS_ioctl, sys_ioctl, compat_sys_ioctl, sys32_…
  { re: /^(compat_)?SyS_(\w+)$/, compat: 1, name: 2, strength: 3 },
  { re: /^(compat_|sys32_)?sys_(\w+)$/, compat: 1, name: 2, strength: 2 },
  { re: /^ksys_(\w+)$/, name: 1, strength: 1 },
  { re: /^__sys_(\w+)$/, name: 1, strength: 1 },
];

/**
 * Where a syscall enters the kernel (the frame above one of these is the syscall's handler). Not
 * the generic exception entries (arm64's el0t_64_sync_handler also runs user page faults).
 */
const SYSCALL_ENTRY = new Set([
  'do_syscall_64',
  'do_syscall_x64',
  'do_syscall_x32',
  'do_int80_syscall_32',
  'do_fast_syscall_32',
  '__do_fast_syscall_32',
  'do_SYSENTER_32',
  'do_int80_emulation',
  'entry_SYSCALL_64_after_hwframe',
  'entry_SYSCALL_64',
  'entry_SYSCALL_64_fastpath',
  'entry_SYSENTER_compat',
  'entry_SYSENTER_compat_after_hwframe',
  'entry_SYSCALL_compat',
  'entry_SYSCALL_compat_after_hwframe',
  'entry_INT80_compat',
  'entry_INT80_32',
  'entry_SYSENTER_32',
  'system_call_fastpath',
  'system_call',
  'system_call_after_swapgs',
  'tracesys',
  'tracesys_phase2',
  'ia32_sysenter_target',
  'ia32_do_call',
  'sysenter_dispatch',
  'sysenter_do_call',
  'syscall_call',
  'el0_svc',
  'el0_svc_common',
  'do_el0_svc',
  'el0_svc_compat',
  'do_el0_svc_compat',
  'invoke_syscall',
  'ret_fast_syscall',
  'system_call_exception',
  'system_call_common',
  'system_call_vectored_common',
  'ret_from_syscall',
  '__do_syscall',
  'do_trap_ecall_u',
  'handle_syscall',
]);
const COMPAT_ENTRY = /(?:32|compat)/;

/** Dispatchers between the entry and the handler (`x64_sys_call` since 6.9). */
const DISPATCH = new Set([
  'x64_sys_call',
  'ia32_sys_call',
  'x32_sys_call',
  'do_syscall_x64',
  'do_syscall_32_irqs_on',
  '__invoke_syscall',
  'invoke_syscall',
  'el0_svc_common',
  'do_el0_svc',
]);

/** The way back to user space after a syscall (signal delivery, task work): not the syscall's own work. */
const EXIT_PATH =
  /^(?:syscall_exit_to_user_mode\w*|exit_to_user_mode\w*|arch_do_signal_or_restart|do_signal|get_signal|task_work_run|resume_user_mode_work|tracehook_notify_resume|do_notify_resume|prepare_exit_to_usermode|syscall_return_slowpath|int_signal|ptregscall_common|ret_from_sys_call|do_exit|do_group_exit)$/;

const SOFTIRQ =
  /^(?:__do_softirq|handle_softirqs|do_softirq|do_softirq_own_stack|__irq_exit_rcu|irq_exit_rcu|irq_exit|invoke_softirq|run_ksoftirqd|do_softirq_post_smp_call_flush)$/;
/** Frames that run a softirq's handlers: the function inside them is the handler. */
const SOFTIRQ_RUNNER =
  /^(?:call_timer_fn|__rcu_reclaim|rcu_reclaim|expire_timers|__run_timers|run_timer_softirq|run_timer_base|tasklet_action_common|tasklet_action|tasklet_hi_action|net_rx_action|net_tx_action|rcu_do_batch|rcu_core|rcu_core_si|blk_done_softirq|irq_poll_softirq|__napi_poll|napi_poll|process_backlog|hrtimer_run_softirq|sched_balance_softirq|run_rebalance_domains)$/;
const HARDIRQ =
  /^(?:__handle_irq_event_percpu|handle_irq_event_percpu|handle_irq_event|handle_edge_irq|handle_level_irq|handle_fasteoi_irq|generic_handle_irq\w*|handle_domain_irq|handle_irq|__common_interrupt|common_interrupt|asm_common_interrupt|do_IRQ|__sysvec_\w+|sysvec_\w+|asm_sysvec_\w+|smp_apic_timer_interrupt|apic_timer_interrupt|smp_\w+_interrupt|\w+_interrupt|hrtimer_interrupt|__hrtimer_run_queues|__run_hrtimer|irq_work_run\w*|irq_work_single|__flush_smp_call_function_queue|flush_smp_call_function_queue|generic_smp_call_function_single_interrupt|gic_handle_irq|el1_interrupt|el0_interrupt|el1h_64_irq_handler|el0t_64_irq_handler|handle_arch_irq|call_on_irq_stack|ret_from_intr|irq_enter_rcu)$/;
/** Frames that run a hard interrupt's handler: the function inside them is the handler. */
const HARDIRQ_RUNNER =
  /^(?:__handle_irq_event_percpu|handle_irq_event_percpu|__run_hrtimer|irq_work_single|__flush_smp_call_function_queue)$/;
const NMI = /^(?:exc_nmi|asm_exc_nmi|do_nmi|default_do_nmi|nmi_handle|nmi|end_repeat_nmi)$/;
const FAULT =
  /^(?:exc_page_fault|asm_exc_page_fault|do_page_fault|__do_page_fault|page_fault|async_page_fault|do_user_addr_fault|do_mem_abort|el0_da|el1_abort|el0_ia|do_translation_fault|do_DataAbort|do_PrefetchAbort|handle_page_fault|do_hash_fault|___do_page_fault)$/;
const WORKQUEUE = /^(?:process_one_work|process_scheduled_works|worker_thread|rescuer_thread)$/;
const KTHREAD = /^(?:kthread|ret_from_fork|ret_from_fork_asm|ret_from_kernel_thread|kernel_thread_helper)$/;
const THREAD_EXIT = /^(?:kthread_exit|kthread_complete_and_exit|do_exit|do_group_exit|make_task_dead)$/;
const BOOT =
  /^(?:start_kernel|x86_64_start_kernel|x86_64_start_reservations|i386_start_kernel|start_kernel_proper|rest_init|arch_call_rest_init|kernel_init|kernel_init_freeable|do_basic_setup|do_initcalls|do_initcall_level|do_pre_smp_initcalls|mm_core_init|mm_init|setup_arch|smp_init|sched_init|__primary_switched|primary_entry|secondary_startup_64|secondary_startup_64_no_verify|common_startup_64)$/;
const IDLE =
  /^(?:do_idle|cpu_startup_entry|cpu_idle|cpu_idle_loop|default_idle_call|start_secondary|secondary_start_kernel|arch_cpu_idle)$/;

/** Frames of the locking primitives and of lockdep itself: not where a lock was taken from. */
const LOCKING =
  /^_*(?:_?_?lock_acquire\w*|lock_acquired|lock_contended|lock_map_acquire\w*|lock_release|__lock_release|validate_chain|check_\w+|mark_\w+|print_\w+|dump_stack\w*|show_stack|show_trace\w*|save_trace|add_chain_cache|__bfs\w*|lockdep_\w+|debug_check_\w+|debug_show_\w+|__might_sleep|__might_resched|___might_sleep|might_sleep|lock_is_held_type|_?_?raw_(?:spin|read|write)_\w+|do_raw_\w+|(?:spin|read|write)_(?:lock|trylock)\w*|__?mutex_lock\w*|mutex_lock\w*|mutex_trylock\w*|__?ww_mutex_lock\w*|ww_mutex_lock\w*|__?down_(?:read|write)\w*|down_(?:read|write)\w*|__?down(?:_interruptible|_killable|_timeout|_common)?|down_interruptible|down_killable|__?percpu_down_\w+|percpu_down_\w+|rwsem_\w+|__rwsem_\w+|__?rt_mutex\w*|rt_mutex\w*|rt_spin_lock\w*|rtlock_\w+|queued_\w+|native_queued_\w+|__pv_queued_\w+|pv_queued_\w+|rcu_lock_acquire|srcu_lock_acquire|local_lock_acquire|__local_bh_disable_ip|_local_bh_enable|__flush_work|touch_wq_lockdep_map|touch_work_lockdep_map|stack_trace_save|arch_stack_walk|kasan_\w+|__kasan_\w+|unwind_\w+|__unwind_\w+)$/;

function syscallOf(fn: string): { name: string; compat: boolean; strength: number } | null {
  const f = baseFunction(fn);
  for (const w of SYSCALL_WRAPPERS) {
    const m = w.re.exec(f);
    if (m) return { name: m[w.name], compat: w.compat !== undefined && m[w.compat] !== undefined, strength: w.strength };
  }
  return null;
}

/** Frames that say something: `? ` frames are skipped, as the unwinder is not sure of them. */
function reliable(stack: readonly StackFrame[]): StackFrame[] {
  return stack.filter((f) => !f.unreliable);
}

/**
 * The syscall a stack is in: the outermost wrapper naming one (`__x64_sys_ioctl` over `ksys_ioctl`),
 * else the handler just above an entry frame (`do_syscall_64`, `el0_svc` …). undefined: no syscall
 * entry on the stack; null: a syscall entry whose handler the stack does not name.
 */
export function syscallOfStack(stack: readonly StackFrame[]): { name: string | null; compat: boolean; returning?: boolean } | undefined {
  const frames = reliable(stack);
  let best: { name: string; compat: boolean; strength: number; at: number } | null = null;
  let entry = -1;
  for (let k = frames.length - 1; k >= 0; k--) {
    const f = baseFunction(frames[k].fn);
    if (entry < 0 && SYSCALL_ENTRY.has(f)) entry = k;
    const s = syscallOf(frames[k].fn);
    // outermost first: a stronger form further in (the wrapper) beats a weaker one outside it
    if (s && (!best || s.strength > best.strength)) best = { ...s, at: k };
  }
  if (best) {
    const compat = best.compat || (entry >= 0 && COMPAT_ENTRY.test(frames[entry].fn));
    return { name: best.name, compat };
  }
  if (entry < 0) return undefined;
  const compat = COMPAT_ENTRY.test(frames[entry].fn);
  // the frame just above the entry (past dispatchers): the handler, unless it is the way back to user space
  for (let k = entry - 1; k >= 0; k--) {
    const f = baseFunction(frames[k].fn);
    if (DISPATCH.has(f) || SYSCALL_ENTRY.has(f)) continue;
    if (EXIT_PATH.test(f)) return { name: null, compat, returning: true };
    return { name: f, compat };
  }
  return { name: null, compat };
}

/** The frame inside (called by) frame k, skipping inlined and unreliable frames' neighbours. */
function inner(frames: StackFrame[], k: number): string | undefined {
  for (let j = k - 1; j >= 0; j--) {
    const f = baseFunction(frames[j].fn);
    if (f !== baseFunction(frames[k].fn)) return f;
  }
  return undefined;
}

/** The interrupted context below an interrupt frame at k: a syscall, a kernel thread, the idle loop. */
function interrupted(frames: StackFrame[], k: number): string | undefined {
  const below = frames.slice(k + 1);
  if (below.length === 0) return undefined;
  const c = classify(below, false);
  return c.kind === 'unknown' ? undefined : c.label;
}

function syscallLabel(name: string | null, compat: boolean, returning = false): string {
  if (name === null) return returning ? 'the return to user space after a syscall' : 'syscall';
  return `${compat ? 'compat ' : ''}syscall ${name}`;
}

function classify(frames: StackFrame[], interrupts: boolean): ExecContext {
  for (let k = 0; interrupts && k < frames.length; k++) {
    const f = baseFunction(frames[k].fn);
    if (NMI.test(f)) {
      const under = interrupted(frames, k);
      return { kind: 'nmi', ...(under ? { interrupted: under } : {}), label: `NMI${under ? ` (interrupted ${under})` : ''}` };
    }
    if (SOFTIRQ.test(f)) {
      // the handler: inside the innermost runner (call_timer_fn: the timer function), else inside the softirq loop
      let fn: string | undefined;
      for (let j = 0; j < k; j++) {
        if (SOFTIRQ_RUNNER.test(baseFunction(frames[j].fn))) {
          fn = inner(frames, j) ?? baseFunction(frames[j].fn);
          break;
        }
      }
      fn ??= inner(frames, k);
      const under = f === 'run_ksoftirqd' ? 'ksoftirqd' : interrupted(frames, k);
      return {
        kind: 'softirq',
        ...(fn ? { function: fn } : {}),
        ...(under ? { interrupted: under } : {}),
        label: `softirq${fn ? ` ${fn}` : ''}${under ? ` (interrupted ${under})` : ''}`,
      };
    }
    if (HARDIRQ.test(f)) {
      let fn: string | undefined;
      for (let j = 0; j < k; j++) {
        if (HARDIRQ_RUNNER.test(baseFunction(frames[j].fn))) {
          fn = inner(frames, j);
          break;
        }
      }
      fn ??= inner(frames, k);
      // the outermost interrupt frame: what is below it was interrupted
      let last = k;
      for (let j = k + 1; j < frames.length && HARDIRQ.test(baseFunction(frames[j].fn)); j++) last = j;
      const under = interrupted(frames, last);
      return {
        kind: 'hardirq',
        ...(fn ? { function: fn } : {}),
        ...(under ? { interrupted: under } : {}),
        label: `hardirq${fn ? ` ${fn}` : ''}${under ? ` (interrupted ${under})` : ''}`,
      };
    }
    if (FAULT.test(f)) {
      const sys = syscallOfStack(frames.slice(k + 1));
      return {
        kind: 'fault',
        syscall: sys ? sys.name : null,
        ...(sys?.compat ? { compat: true } : {}),
        label: sys ? `page fault in ${syscallLabel(sys.name, sys.compat)}` : 'page fault',
      };
    }
  }
  const sys = syscallOfStack(frames);
  if (sys)
    return {
      kind: 'syscall',
      syscall: sys.name,
      ...(sys.compat ? { compat: true } : {}),
      label: syscallLabel(sys.name, sys.compat, sys.returning),
    };
  for (let k = 0; k < frames.length; k++) {
    const f = baseFunction(frames[k].fn);
    if (WORKQUEUE.test(f)) {
      const fn = f === 'process_one_work' || f === 'process_scheduled_works' ? inner(frames, k) : undefined;
      return { kind: 'workqueue', ...(fn ? { function: fn } : {}), label: `workqueue${fn ? ` ${fn}` : ''}` };
    }
  }
  for (let k = 0; k < frames.length; k++) {
    const f = baseFunction(frames[k].fn);
    if (IDLE.test(f)) return { kind: 'idle', label: 'idle' };
  }
  for (let k = 0; k < frames.length; k++) {
    const f = baseFunction(frames[k].fn);
    if (BOOT.test(f)) {
      const init = frames.findIndex((x) => baseFunction(x.fn) === 'do_one_initcall');
      const fn = init > 0 ? inner(frames, init) : undefined;
      return { kind: 'boot', ...(fn ? { function: fn } : {}), label: `boot${fn ? ` ${fn}` : ` (${f})`}` };
    }
  }
  for (let k = 0; k < frames.length; k++) {
    const f = baseFunction(frames[k].fn);
    if (KTHREAD.test(f)) {
      // the thread function, unless only the exit path is left on the stack (a thread exiting)
      const callee = inner(frames, k);
      const fn = callee && !THREAD_EXIT.test(callee) ? callee : undefined;
      return { kind: 'kthread', ...(fn ? { function: fn } : {}), label: `kthread${fn ? ` ${fn}` : ''}` };
    }
  }
  return { kind: 'unknown', label: 'unknown context' };
}

/**
 * The context a stack (innermost first, as logs print them) was recorded in. `? ` frames are not
 * used. An interrupt frame inside the stack wins over what it interrupted (a lock taken in a timer
 * softirq that interrupted a syscall is softirq context).
 */
export function contextOfStack(stack: readonly StackFrame[]): ExecContext {
  return classify(reliable(stack), true);
}

/** Whether a function is one of the locking primitives or lockdep itself (optimizer suffixes ignored). */
export function isLockingFunction(fn: string): boolean {
  return LOCKING.test(baseFunction(fn));
}

/** The first frame outside locking primitives and lockdep (where the lock was taken), as `fn+0x40/0xda (file:line)`. */
export function acquisitionSite(stack: readonly StackFrame[]): string | undefined {
  for (const f of stack) {
    if (f.unreliable || LOCKING.test(baseFunction(f.fn))) continue;
    return frameLabel(f);
  }
  return undefined;
}

/** `lockseed_ioctl+0x40/0xda [lockseed] (drivers/misc/lockseed.c:181)`. */
export function frameLabel(f: StackFrame): string {
  return `${f.fn}${f.offset ? `+${f.offset}/${f.size}` : ''}${f.module ? ` [${f.module}]` : ''}${f.source ? ` (${f.source.file}:${f.source.line})` : ''}`;
}
