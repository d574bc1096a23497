// Editor logic for kernel logs (format `kernel-log`), without VS Code: which lock class or stack
// frame is under the cursor, the hover of a class (the chains it takes part in, each edge with the
// context the log's stack shows, other orderings and the held lists naming it), the lines a class
// is printed on, and the outline and folds of the reports. Lines are 1-based log lines, columns
// 0-based UTF-16 offsets. The VS Code layer (src/vscode/editor.ts) maps these to its objects.

import { Analysis, EdgeOrigin, FINDING_KIND_INFO, Finding, StackFrame } from '../core';
import type { KernelLog, KernelReport } from '../core/kernelLog';
import { frameLabel } from '../core/kernelLog';
import type { HoverLinks } from './hover';

/** A lock class printed on a log line: the longest known class name around the cursor. */
export interface KernelClassToken {
  className: string;
  start: number;
  end: number;
}

/** Characters that continue a class name: a longer name (`&pipe->mutex/1`, `…#13`, `&x->y_z`) is another class. */
const NAME_CHAR = /[\w#/.-]/;

/** Every occurrence of `name` in `text` as a whole class name. */
export function classOccurrences(text: string, name: string): [number, number][] {
  const out: [number, number][] = [];
  if (!name) return out;
  for (let k = text.indexOf(name); k >= 0; k = text.indexOf(name, k + 1)) {
    const end = k + name.length;
    const before = k > 0 ? text[k - 1] : '';
    const after = end < text.length ? text[end] : '';
    // `&x->y` inside `&x->y_z` or `&x->y#2` is not `&x->y`; a name starting with a letter needs a boundary before it too
    if (after && NAME_CHAR.test(after)) continue;
    if (before && /[\w>.&]/.test(before) && /^\w/.test(name)) continue;
    out.push([k, end]);
  }
  return out;
}

/** The lock class printed at `character` of a log line (the longest one, when names nest), or undefined. */
export function kernelClassAt(classes: Iterable<string>, text: string, character: number): KernelClassToken | undefined {
  let best: KernelClassToken | undefined;
  for (const name of classes) {
    if (name.length > text.length) continue;
    for (const [a, b] of classOccurrences(text, name)) {
      if (character < a || character > b) continue;
      if (!best || b - a > best.end - best.start) best = { className: name, start: a, end: b };
    }
  }
  return best;
}

/** Every stack frame the log's reports print, by its 1-based line (a lock line's `at:` frames too). */
export function framesByLine(log: KernelLog): Map<number, StackFrame[]> {
  const out = new Map<number, StackFrame[]>();
  const add = (f: StackFrame) => {
    const l = out.get(f.line);
    if (!l) out.set(f.line, [f]);
    else if (!l.some((x) => x.fn === f.fn && x.offset === f.offset && x.source?.line === f.source?.line)) l.push(f);
  };
  for (const r of log.reports) {
    for (const f of r.backtrace) add(f);
    for (const e of r.chain) e.stack.forEach(add);
    for (const u of r.usages) u.stack.forEach(add);
    for (const h of r.held) for (const l of h.locks) l.at?.forEach(add);
    for (const l of [r.acquiring, r.holding, r.other, r.safe, r.unsafe]) l?.at?.forEach(add);
  }
  return out;
}

/** The frame printed at or before `character` on log line `line` (from its function name to the line's end), or undefined. */
export function kernelFrameAt(
  frames: Map<number, StackFrame[]>,
  line: number,
  text: string,
  character: number,
): { frame: StackFrame; start: number; end: number } | undefined {
  let best: { frame: StackFrame; start: number } | undefined;
  for (const f of frames.get(line) ?? []) {
    const k = text.indexOf(f.fn);
    if (k >= 0 && k <= character && (!best || k > best.start)) best = { frame: f, start: k };
  }
  return best && { ...best, end: Math.max(best.start + best.frame.fn.length, text.trimEnd().length) };
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const lineLink = (links: HoverLinks, line: number): string => `[line ${line}](${links.reveal(line)})`;

/** What a class's edge says in a hover: its ends, the context and acquisition site, where it is printed. */
function edgeLine(e: EdgeOrigin, links: HoverLinks, depth?: number): string {
  const ctx = e.context?.label ?? (e.syscall ? `syscall ${e.syscall}` : undefined);
  const parts = [ctx, e.site ? `at ${code(e.site)}` : undefined].filter(Boolean).join(', ');
  const by = e.pid >= 0 && e.comm ? ` by ${e.comm}/${e.pid}` : '';
  return `${depth !== undefined ? `\`-> #${depth}\` ` : ''}${code(`${e.from} -> ${e.to}`)}${parts ? ` — ${parts}` : ''}${by} (${lineLink(links, e.line)})${e.crossSyscall ? ' — its first lock is held across a return to user space' : ''}`;
}

/** Hover links of a kernel log: the trace links plus the lock panel at a finding. */
export interface KernelHoverLinks extends HoverLinks {
  /** Link target that shows the lock panel at a 1-based line. */
  panel(line: number): string;
}

/**
 * Hover of a lock class in a kernel log: its name parts, every chain (finding) it takes part in
 * with each edge's context, the other orderings the log shows with it, and the held lists naming it.
 */
export function kernelClassHover(analysis: Analysis, findings: readonly Finding[], className: string, links: KernelHoverLinks): string {
  const log = analysis.store.kernelLog as KernelLog;
  const out: string[] = [];
  const m = /^(.*?)(?:#(\d+))?(?:\/(\d+))?$/.exec(className);
  const extra = [m?.[2] ? `name version #${m[2]}: another class than ${code(m[1])}` : '', m?.[3] ? `subclass ${m[3]}` : '']
    .filter(Boolean)
    .join(', ');
  const reports = log.reports.filter((r) => mentions(r, className));
  out.push(
    `**${code(className)}** — lock class in ${reports.length} report${reports.length === 1 ? '' : 's'} of this log${extra ? ` (${extra})` : ''}`,
  );

  // the chains it takes part in
  const shownEdges = new Set<string>();
  const chains = findings.filter((f) => f.cycle?.length && f.locks.includes(className));
  if (chains.length) {
    out.push('', '**Chains:**');
    for (const f of chains.slice(0, 6)) {
      out.push(
        `- ${FINDING_KIND_INFO[f.kind].short}${f.order ? ` (${f.order})` : ''} at ${lineLink(links, f.line)}${f.occurrences > 1 ? ` (${f.occurrences}×)` : ''} · [debug](${links.debug(f.line)}) · [lock panel](${links.panel(f.line)})`,
      );
      const cycle = f.cycle ?? [];
      // print order: the existing chain #N … #1, then the new dependency #0
      const order =
        f.kind === 'inversion'
          ? [...cycle.keys()]
              .slice(1)
              .reverse()
              .concat(cycle.length ? [0] : [])
          : [...cycle.keys()];
      for (const d of order) {
        const e = cycle[d];
        shownEdges.add(`${e.from}\u0000${e.to}`);
        out.push(`  - ${edgeLine(e, links, f.kind === 'inversion' ? d : undefined)}`);
      }
    }
    if (chains.length > 6) out.push(`- … and ${chains.length - 6} more`);
  }

  // other orderings the log shows (held lists, other reports)
  const g = analysis.graph;
  const others: EdgeOrigin[] = [];
  if (g.hasNode(className))
    g.forEachEdge(className, (_k, a) => {
      if (!shownEdges.has(`${a.from}\u0000${a.to}`)) others.push(a);
    });
  if (others.length) {
    out.push('', '**Other orderings in the log:**');
    others.sort((a, b) => a.line - b.line);
    for (const e of others.slice(0, 8)) out.push(`- ${edgeLine(e, links)}${countOf(analysis, e)}`);
    if (others.length > 8) out.push(`- … and ${others.length - 8} more`);
  }

  // held lists naming it
  const held: string[] = [];
  for (const r of reports)
    for (const h of r.held)
      for (const l of h.locks)
        if (l.name === className)
          held.push(
            `${h.comm}/${h.pid} at ${lineLink(links, l.line)}${l.at?.length ? `, taken at ${code(frameLabel(l.at[l.at.length - 1]))}` : ''}`,
          );
  if (held.length) {
    out.push('', '**Held by:**');
    for (const h of held.slice(0, 8)) out.push(`- ${h}`);
    if (held.length > 8) out.push(`- … and ${held.length - 8} more`);
  }
  const other = findings.filter((f) => !f.cycle?.length && f.locks.includes(className));
  if (other.length) {
    out.push('', '**Other reports:**');
    for (const f of other.slice(0, 6))
      out.push(`- ${f.title ?? FINDING_KIND_INFO[f.kind].short} at ${lineLink(links, f.line)} · [debug](${links.debug(f.line)})`);
  }
  return out.join('\n');
}

function countOf(analysis: Analysis, e: EdgeOrigin): string {
  const key = `${e.from}\u0000${e.to}`;
  const n = analysis.graph.hasEdge(key) ? analysis.graph.getEdgeAttribute(key, 'count') : 1;
  return n > 1 ? ` (${n}×)` : '';
}

/** Whether a report prints a class anywhere (chain, held lists, the locks it is about). */
function mentions(r: KernelReport, cls: string): boolean {
  if (r.chain.some((e) => e.lock.name === cls)) return true;
  if (r.held.some((h) => h.locks.some((l) => l.name === cls))) return true;
  return [r.acquiring, r.holding, r.other, r.safe, r.unsafe].some((l) => l?.name === cls) || r.usages.some((u) => u.lock === cls);
}

/** The 1-based lines of a text on which `className` is printed (whole name), for references. */
export function classLines(lines: readonly string[], className: string): { line: number; start: number; end: number }[] {
  const out: { line: number; start: number; end: number }[] = [];
  lines.forEach((t, k) => {
    if (!t.includes(className)) return;
    for (const [a, b] of classOccurrences(t, className)) out.push({ line: k + 1, start: a, end: b });
  });
  return out;
}

/** One report in the outline: its title line, last line, and its chain entries and held lists as children. */
export interface ReportOutline {
  name: string;
  detail: string;
  line: number;
  endLine: number;
  children: { name: string; detail: string; line: number; endLine: number }[];
}

/** The reports of a log for the outline and folding. */
export function kernelOutline(log: KernelLog): ReportOutline[] {
  return log.reports.map((r) => {
    const children: ReportOutline['children'] = [];
    const chain = [...r.chain].sort((a, b) => a.lock.line - b.lock.line);
    chain.forEach((e, k) => {
      const next = chain[k + 1]?.lock.line;
      const last = e.stack.length ? Math.max(...e.stack.map((f) => f.line)) : e.lock.line;
      children.push({
        name: `-> #${e.depth} ${e.lock.name}`,
        detail: 'chain',
        line: e.lock.line,
        endLine: next ? Math.min(last, next - 1) : last,
      });
    });
    for (const h of r.held)
      children.push({
        name: `${h.count} lock${h.count === 1 ? '' : 's'} held by ${h.comm}/${h.pid}`,
        detail: 'held',
        line: h.line,
        endLine: Math.max(h.line, ...h.locks.map((l) => l.line)),
      });
    if (r.backtraceLine > 0)
      children.push({
        name: 'stack backtrace',
        detail: r.task ? `${r.task.comm}/${r.task.pid}` : '',
        line: r.backtraceLine,
        endLine: Math.max(r.backtraceLine, ...r.backtrace.map((f) => f.line)),
      });
    return {
      name: r.title,
      detail: r.task ? `${r.task.comm}/${r.task.pid}` : '',
      line: r.line,
      endLine: Math.max(r.line, r.endLine),
      children,
    };
  });
}
