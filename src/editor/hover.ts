// Hover texts (Markdown) for locks and syscalls, and the "where was it acquired" lookup behind
// go-to-definition. Pure: the VS Code layer passes a `HoverLinks` that turns a trace line into a
// link (command URIs there, anything in tests). Lines are 1-based trace lines.

import { EdgeOrigin, FINDING_KIND_INFO, Finding, HeldLockView, Replay, describeWork } from '../core';
import type { TraceToken } from './tokens';
import { SyscallSpan, TraceIndex } from './traceIndex';

export interface HoverLinks {
  /** Link target that shows a trace line. */
  reveal(line: number): string;
  /** Link target that starts debugging and stops at a trace line. */
  debug(line: number): string;
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  5: 'EIO',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  22: 'EINVAL',
  28: 'ENOSPC',
  35: 'EDEADLK',
  38: 'ENOSYS',
  110: 'ETIMEDOUT',
  512: 'ERESTARTSYS',
  513: 'ERESTARTNOINTR',
  514: 'ERESTARTNOHAND',
  516: 'ERESTART_RESTARTBLOCK',
};

/** A return value as a reader wants it: `0`, `3`, `-11 (EAGAIN)`. */
export function formatReturn(ret: number): string {
  if (ret < 0 && ret >= -4095) return `${ret}${ERRNO[-ret] ? ` (${ERRNO[-ret]})` : ''}`;
  return String(ret);
}

/** Escapes Markdown in names such as `&inode->i_dio_map` (kept readable inside backticks). */
function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function lineLink(links: HoverLinks, line: number): string {
  return `[line ${line}](${links.reveal(line)})`;
}

/**
 * Where a hold or an edge happened, for people: ` in \`ioctl\``, or nothing for a kernel lock
 * outside a known syscall (a kernel thread, an interrupt, a fault, a syscall entered before the
 * trace: never userspace), ` in userspace` for a userspace lock.
 */
function inWhere(syscall: string | null, kernel: boolean): string {
  return syscall ? ` in ${code(syscall)}` : kernel ? '' : ' in userspace';
}

/** How a held lock came to be held, after its holder: `since [line 13] in \`ioctl\``, `since before the trace …`. */
function heldSince(h: HeldLockView, links: HoverLinks, brief = false): string {
  if (h.sinceBeforeTrace) return `since before the trace began${brief ? '' : ` (shown from ${lineLink(links, h.line)})`}`;
  return `since ${lineLink(links, h.line)}${inWhere(h.syscall, h.domain === 'kernel')}`;
}

function edgeText(e: EdgeOrigin, links: HoverLinks, kernel: boolean): string {
  const by = `${e.comm}/${e.pid}`;
  // a kernel worker's edge belongs to whoever queued its work
  const where =
    !e.syscall && e.via
      ? ` ${describeWork(e.via).replace(/\(line (\d+)/, (_m, l: string) => `(${lineLink(links, Number(l))}`)}`
      : inWhere(e.syscall, kernel);
  return `${code(`${e.from} -> ${e.to}`)} first made at ${lineLink(links, e.line)}${where} by ${by}, holding ${code(e.from)} since ${lineLink(links, e.fromLine)}${e.fromSyscall ? ` (${code(e.fromSyscall)})` : ''}${e.crossSyscall ? ' — held across a syscall boundary' : ''}`;
}

/** What the lock graph says of an inversion: its cycle id, gates and the instance view. */
function graphNotes(f: Finding): string {
  const notes: string[] = [];
  if (f.cycleId)
    notes.push(`cycle ${code(f.cycleId)}${f.component && f.component !== f.cycleId ? ` in component ${code(f.component)}` : ''}`);
  if (f.guardedBy?.length) notes.push(`guarded by ${f.guardedBy.map(code).join(', ')}: every edge made under it, so it cannot deadlock`);
  if (f.instanceCycle === true && f.instances?.length)
    notes.push(
      `closes between the same locks: ${[...f.instances.map((i) => code(i.fromInstance)), code(f.instances[0].fromInstance)].join(' → ')}`,
    );
  if (f.instanceCycle === false) {
    const pairs = (f.instances ?? []).slice(0, 3).map((i) => `${code(i.fromInstance)} → ${code(i.toInstance)}`);
    notes.push(`only between different instances of these classes${pairs.length ? ` (${pairs.join(', ')})` : ''}`);
  }
  if (f.instanceCycle === null) notes.push('instances: too many pairs seen to tell');
  return notes.length ? ` — ${notes.join('; ')}` : '';
}

export function findingTitle(f: Finding): string {
  return `${FINDING_KIND_INFO[f.kind].short}${f.order ? ` (${f.order})` : ''}`;
}

/**
 * Hover for a lock class at a trace line: the state after the line's last event.
 * `findings` are the reported ones (suppressed findings left out).
 */
export function lockHover(
  index: TraceIndex,
  replay: Replay,
  findings: readonly Finding[],
  className: string,
  line: number,
  links: HoverLinks,
  lockId?: number,
): string {
  const s = index.store;
  const at = index.positionAtLine(line);
  const out: string[] = [];
  const domains = new Set<string>();
  const keys: string[] = [];
  for (const l of s.locks)
    if (s.classes.get(l.classId) === className) {
      domains.add(l.domain);
      if (keys.length < 4) keys.push(l.key);
    }
  const instance = lockId !== undefined ? s.locks[lockId]?.key : undefined;
  out.push(
    `**${code(className)}** — lock class (${[...domains].join(', ') || 'kernel'})${instance ? ` · lock ${code(instance)}` : keys.length ? ` · ${keys.map(code).join(', ')}` : ''}`,
  );

  // holders
  const holders = at >= 0 ? replay.holdersOfClass(className, at) : [];
  out.push('', `**Held at line ${line}:**${holders.length ? '' : ' by no task'}`);
  for (const { task, held } of holders) {
    const flags = [
      held.context !== 'process' ? `in ${held.context}` : '',
      held.read ? 'read' : '',
      held.try ? 'trylock' : '',
      held.pending ? 'waiting for it' : '',
    ]
      .filter(Boolean)
      .join(', ');
    // the locks it took this one under: what the ordering edges into this class come from
    const outer = task.held.slice(0, task.held.indexOf(held)).filter((o) => !o.pending && o.className !== className);
    const under = outer.length
      ? `, while holding ${outer.map((o) => `${code(o.node)} (${o.context !== 'process' ? `in ${o.context}, ` : ''}${heldSince(o, links, true)})`).join(', ')}`
      : '';
    out.push(
      `- ${task.comm}/${task.pid} ${heldSince(held, links)}${flags ? ` (${flags})` : ''}${held.acrossSyscall ? ' — held across a syscall boundary' : ''}${held.lock !== instance && instance ? ` (${code(held.lock)})` : ''}${under}`,
    );
  }

  // ordering edges made so far
  const edges = at >= 0 ? replay.edgesOf(className, at) : [];
  out.push('', `**Lock order so far:**${edges.length ? '' : ' no edges yet'}`);
  const shown = edges.slice(0, 12);
  for (const e of shown) out.push(`- ${edgeText(e, links, !domains.has('user') && domains.has('kernel'))}`);
  if (edges.length > shown.length) out.push(`- … and ${edges.length - shown.length} more`);

  // contention
  const waits = at >= 0 ? index.contentionCount(className, at) : 0;
  const total = index.contentionCount(className);
  out.push('', `**Contention:** ${waits ? `${waits} wait(s) so far` : 'none so far'}${total ? ` (${total} in the whole trace)` : ''}`);

  // findings
  const mine = findings.filter((f) => f.locks.includes(className));
  if (mine.length) {
    out.push('', '**Findings:**');
    for (const f of mine.slice(0, 10))
      out.push(
        `- ${findingTitle(f)} at ${lineLink(links, f.line)} (${f.comm}/${f.pid}${f.syscall ? ` in ${code(f.syscall)}` : ''})${graphNotes(f)} · [debug to here](${links.debug(f.line)})`,
      );
  }
  out.push('', `[Debug to line ${line}](${links.debug(line)})`);
  return out.join('\n');
}

/** Hover for a syscall: entry/exit lines, return value, locks taken and leaked. */
export function syscallHover(index: TraceIndex, span: SyscallSpan, links: HoverLinks): string {
  const task = index.store.tasks[span.taskId];
  const out: string[] = [];
  out.push(`**${code(span.name)}**${span.nr >= 0 ? ` (syscall ${span.nr})` : ''} — ${task.comm}/${task.pid}`);
  const entry = span.entryLine >= 0 ? `entered at ${lineLink(links, span.entryLine)}` : 'entered before the trace began';
  const exit =
    span.exitLine >= 0 ? `returned ${code(formatReturn(span.ret ?? 0))} at ${lineLink(links, span.exitLine)}` : 'no exit in the trace';
  out.push('', `${entry}, ${exit}`);
  out.push('', `**Locks taken:**${span.taken.length ? '' : ' none'}`);
  for (const t of span.taken.slice(0, 20)) {
    out.push(
      `- ${code(t.className)} at ${lineLink(links, t.line)}${t.releasedLine !== null ? `, released at ${lineLink(links, t.releasedLine)}` : ''}`,
    );
  }
  if (span.taken.length > 20) out.push(`- … and ${span.taken.length - 20} more`);
  const leaked = span.leaked.filter((l) => l.takenHere);
  const before = span.leaked.filter((l) => !l.takenHere);
  if (span.exitLine >= 0) {
    out.push('', `**Leaked to userspace:**${leaked.length ? '' : ' none'}`);
    for (const l of leaked)
      out.push(
        `- ${code(l.className)} (taken at ${lineLink(links, l.line)}) still held when ${code(span.name)} returned${l.domain === 'kernel' ? '' : ` (${l.domain} lock: meant to outlive the syscall)`}`,
      );
    if (before.length)
      out.push('', `Still held from earlier: ${before.map((l) => `${code(l.className)} (${lineLink(links, l.line)})`).join(', ')}`);
  }
  return out.join('\n');
}

/**
 * Go to definition on a lock at a line: the line that acquired the hold live there. Prefers the
 * line's own task and lock instance; on a release line, the hold just released.
 */
export function acquiringLine(index: TraceIndex, replay: Replay, className: string, line: number, lockId?: number): number | undefined {
  const s = index.store;
  const events = index.eventsOnLine(line);
  const at = index.positionAtLine(line);
  if (at < 0) return undefined;
  const task = events.length ? s.task[events[0]] : undefined;
  const candidates = (pos: number) => (pos >= 0 ? replay.holdersOfClass(className, pos) : []);
  // after the line (the hold is live) and, for a release line, just before it
  const before = events.length ? events[0] - 1 : -1;
  for (const pos of [at, before]) {
    const hs = candidates(pos);
    const pick =
      hs.find((h) => h.task.taskId === task && (lockId === undefined || h.held.lockId === lockId)) ??
      hs.find((h) => h.task.taskId === task) ??
      hs.find((h) => lockId !== undefined && h.held.lockId === lockId);
    if (pick) return pick.held.line;
  }
  const any = candidates(at)[0];
  return any?.held.line;
}

/**
 * The hover of a token under the cursor (src/editor/tokens.ts): a lock's, or a syscall's followed
 * by the locks its line takes or releases. Shared by the text editor's hovers and the trace view's.
 */
export function tokenHover(
  index: TraceIndex,
  replay: Replay,
  findings: readonly Finding[],
  tok: TraceToken,
  line: number,
  links: HoverLinks,
): string {
  if (tok.kind === 'lock') return lockHover(index, replay, findings, tok.className, line, links, tok.lockId);
  let text = syscallHover(index, tok.span, links);
  for (const id of tok.lockIds) text += `\n\n---\n\n${lockHover(index, replay, findings, index.store.className(id), line, links, id)}`;
  return text;
}
