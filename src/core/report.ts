// Report shapes of an analysis: the text splat, the versioned JSON report (`--json`, documented
// in the README) and SARIF 2.1.0 for code-scanning tools.

import { Analysis } from './analysis/analyzer';
import { LockComponent } from './analysis/lockGraph';
import {
  DEFAULT_GUARDED_SEVERITY,
  FINDING_KINDS,
  FINDING_KIND_INFO,
  Finding,
  LockUsage,
  Severity,
  TraceWarning,
  findingSeverity,
} from './types';

export interface JsonReport {
  version: 1;
  trace: {
    path: string;
    format: string;
    events: number;
    tasks: number;
    lockClasses: number;
    sortedByTime: boolean;
    warnings: TraceWarning[];
    warningCount: number;
  };
  findings: JsonFinding[];
  /**
   * Strongly connected components of the class graph that hold a reported inversion: their
   * classes and every distinct cycle the trace closed in them (lockGraph.ts).
   */
  components: LockComponent[];
}

export type JsonFinding = Omit<Finding, 'id' | 'eventIndex'>;

export function toJsonReport(a: Analysis, path = a.store.file, findings: Finding[] = a.findings): JsonReport {
  const s = a.store;
  return {
    version: 1,
    trace: {
      path,
      format: s.format,
      events: s.length,
      tasks: s.tasks.length,
      lockClasses: s.classes.size,
      sortedByTime: s.sorted,
      warnings: s.warnings,
      warningCount: s.warningCount,
    },
    findings: findings.map(({ id: _id, eventIndex: _e, ...rest }) => rest),
    components: componentsOf(a, findings),
  };
}

/**
 * What one of lockdep's usage names means: `IN-SOFTIRQ-W` → `taken in softirq context`,
 * `HARDIRQ-ON-R` → `held with hardirqs enabled (read)`. Braces are allowed (`{IN-SOFTIRQ-W}`).
 */
export function usageMeaning(usage: string): string {
  const m = /^\{?(IN-)?(HARDIRQ|SOFTIRQ)(-ON)?(?:-([WR]))?\}?$/.exec(usage.trim());
  if (!m) return usage;
  const irq = m[2] === 'HARDIRQ' ? 'hardirq' : 'softirq';
  const read = m[4] === 'R' ? ' (read)' : '';
  return m[1] ? `taken in ${irq} context${read}` : `held with ${irq}s enabled${read}`;
}

/** One usage of an irq-state finding: `{IN-SOFTIRQ-W} &dev->soft_lock: taken in softirq context at line 1637 by ls_seed/72`. */
export function describeUsage(u: LockUsage): string {
  const who = u.comm !== undefined ? ` by ${u.comm}/${u.pid ?? '?'}` : '';
  return `{${u.usage.replace(/^\{|\}$/g, '')}} ${u.lock}: ${usageMeaning(u.usage)}${u.line > 0 ? ` at line ${u.line}` : ''}${who}`;
}

/** The components that hold at least one of `findings` (suppressed and filtered ones leave theirs out). */
export function componentsOf(a: Analysis, findings: readonly Finding[]): LockComponent[] {
  const ids = new Set(findings.map((f) => f.component).filter((c) => c !== undefined));
  return a.components.filter((c) => ids.has(c.id));
}

/** Titles by kind (SARIF rules are made for every kind in this table). */
const KIND_TITLE: Record<string, string> = Object.fromEntries(FINDING_KINDS.map((k) => [k, FINDING_KIND_INFO[k].title]));

/**
 * One block per finding, lockdep-splat style, with the file:line first. The inversions of a
 * component with several cycles come together, after one block for the component that lists its
 * classes and cycles.
 */
export function formatText(a: Analysis, path = a.store.file, findings: Finding[] = a.findings): string {
  const out: string[] = [];
  const components = new Map((a.components ?? []).map((c) => [c.id, c]));
  const grouped = new Map<string, Finding[]>();
  for (const f of findings) {
    const c = f.component !== undefined ? components.get(f.component) : undefined;
    if (!c || c.cycles.length < 2) continue;
    let list = grouped.get(c.id);
    if (!list) grouped.set(c.id, (list = []));
    list.push(f);
  }
  const shown = new Set<string>();
  for (const f of findings) {
    const c = f.component !== undefined ? components.get(f.component) : undefined;
    const group = c ? grouped.get(c.id) : undefined;
    if (c && group) {
      if (shown.has(c.id)) continue;
      shown.add(c.id);
      out.push(...componentBlock(c, path));
      for (const g of group) out.push(...findingBlock(g, path, c));
    } else out.push(...findingBlock(f, path, c));
  }
  return out.join('\n');
}

function findingBlock(f: Finding, path: string, c: LockComponent | undefined): string[] {
  const order = [f.order, f.guardedBy?.length ? 'guarded' : undefined].filter(Boolean).join(', ');
  const out = [
    `${path}:${f.line}: ${KIND_TITLE[f.kind]}${order ? ` (${order})` : ''}: ${f.comm}/${f.pid}${f.syscall ? ` in ${f.syscall}` : ''}${f.occurrences > 1 ? ` [seen ${f.occurrences} times]` : ''}`,
  ];
  for (const l of f.message.split('\n')) out.push(`  ${l}`);
  if (f.kind !== 'inversion') for (const r of f.related) out.push(`  ${path}:${r.line}: ${r.message}`);
  if (f.cycleId) {
    const more = c && c.cycles.length > 1 ? ` in component ${c.id} (${c.classes.length} classes, ${c.cycles.length} cycles)` : '';
    out.push(`  cycle ${f.cycleId}${more}`);
  }
  out.push('');
  return out;
}

function componentBlock(c: LockComponent, path: string): string[] {
  const out = [
    `${path}:${c.line}: lock-order component ${c.id}: ${c.classes.length} classes, ${c.edges} edges, ${c.cycles.length} cycles${c.truncated ? ' (search bounded: more may exist)' : ''}`,
    `  classes: ${c.classes.join(', ')}`,
  ];
  for (const y of c.cycles) {
    const marks = [
      y.reported ? 'reported below' : '',
      y.guardedBy ? `guarded by ${y.guardedBy.join(', ')}` : '',
      y.instanceCycle === false ? 'different instances only' : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.push(`  ${y.cycleId} ${[...y.path, y.path[0]].join(' -> ')}: closed at line ${y.line}${marks ? ` (${marks})` : ''}`);
  }
  out.push('');
  return out;
}

const SARIF_LEVEL: Record<string, 'error' | 'warning' | 'note'> = Object.fromEntries(
  FINDING_KINDS.map((k) => [k, FINDING_KIND_INFO[k].severity === 'information' ? 'note' : FINDING_KIND_INFO[k].severity]),
);

const SARIF_OF: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/**
 * SARIF 2.1.0 log with one run, one rule per finding kind. Inversions carry their cycle's
 * fingerprint in `partialFingerprints`, so code-scanning tools follow a cycle across runs whatever
 * edge closed it; `guarded` is the level of an inversion a gate lock makes safe.
 */
export function toSarif(
  a: Analysis,
  path = a.store.file,
  findings: Finding[] = a.findings,
  guarded: Severity = DEFAULT_GUARDED_SEVERITY,
): object {
  const kinds = Object.keys(KIND_TITLE);
  const uri = path;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'locktrace',
            version: '1',
            rules: kinds.map((k) => ({
              id: k,
              name: KIND_TITLE[k].replace(/(^|\s)(\w)/g, (_m, _s, c: string) => c.toUpperCase()),
              shortDescription: { text: KIND_TITLE[k] },
              help: { text: `See the README section "${k}" of locktrace.` },
              defaultConfiguration: { level: SARIF_LEVEL[k] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.kind,
          ruleIndex: kinds.indexOf(f.kind),
          level: SARIF_OF[findingSeverity(f, guarded) as Severity] ?? SARIF_LEVEL[f.kind],
          ...(f.cycleFingerprint ? { partialFingerprints: { 'locktraceCycle/v1': f.cycleFingerprint } } : {}),
          message: { text: f.message },
          locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: f.line } } }],
          relatedLocations: f.related.map((r, k) => ({
            id: k + 1,
            message: { text: r.message },
            physicalLocation: { artifactLocation: { uri }, region: { startLine: r.line } },
          })),
          properties: {
            pid: f.pid,
            comm: f.comm,
            syscall: f.syscall,
            locks: f.locks,
            order: f.order,
            occurrences: f.occurrences,
            ...(f.cycleId ? { cycleId: f.cycleId, component: f.component, instanceCycle: f.instanceCycle } : {}),
            ...(f.guardedBy ? { guardedBy: f.guardedBy } : {}),
          },
        })),
      },
    ],
  };
}
