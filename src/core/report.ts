// Report shapes of an analysis: the text splat, the versioned JSON report (`--json`, documented
// in the README) and SARIF 2.1.0 for code-scanning tools.

import { Analysis } from './analysis/analyzer';
import { FINDING_KINDS, FINDING_KIND_INFO, Finding, LockUsage, TraceWarning } from './types';

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

/** Titles by kind (SARIF rules are made for every kind in this table). */
const KIND_TITLE: Record<string, string> = Object.fromEntries(FINDING_KINDS.map((k) => [k, FINDING_KIND_INFO[k].title]));

/** One block per finding, lockdep-splat style, with the file:line first. */
export function formatText(a: Analysis, path = a.store.file, findings: Finding[] = a.findings): string {
  const out: string[] = [];
  for (const f of findings) {
    const head = `${path}:${f.line}: ${KIND_TITLE[f.kind]}${f.order ? ` (${f.order})` : ''}: ${f.comm}/${f.pid}${f.syscall ? ` in ${f.syscall}` : ''}${f.occurrences > 1 ? ` [seen ${f.occurrences} times]` : ''}`;
    out.push(head);
    for (const l of f.message.split('\n')) out.push(`  ${l}`);
    if (f.kind !== 'inversion') for (const r of f.related) out.push(`  ${path}:${r.line}: ${r.message}`);
    out.push('');
  }
  return out.join('\n');
}

const SARIF_LEVEL: Record<string, 'error' | 'warning' | 'note'> = Object.fromEntries(
  FINDING_KINDS.map((k) => [k, FINDING_KIND_INFO[k].severity === 'information' ? 'note' : FINDING_KIND_INFO[k].severity]),
);

/** SARIF 2.1.0 log with one run, one rule per finding kind. */
export function toSarif(a: Analysis, path = a.store.file, findings: Finding[] = a.findings): object {
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
          level: SARIF_LEVEL[f.kind],
          message: { text: f.message },
          locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: f.line } } }],
          relatedLocations: f.related.map((r, k) => ({
            id: k + 1,
            message: { text: r.message },
            physicalLocation: { artifactLocation: { uri }, region: { startLine: r.line } },
          })),
          properties: { pid: f.pid, comm: f.comm, syscall: f.syscall, locks: f.locks, order: f.order, occurrences: f.occurrences },
        })),
      },
    ],
  };
}
