// Suppressions: a per-workspace file (`.locktrace.json`) that marks known findings as accepted, so
// the editor and `locktrace check` stop reporting them. This module only parses the file's text and
// matches findings; finding the file on disk is the caller's job (CLI, extension).
// Schema (README "Suppressing findings"):
//   { "suppress": [ { "kind": "inversion", "locks": ["a", "b"], "task": "dio-reader",
//                     "syscall": "io_submit", "trace": "samples/*.trace", "cycle": "LT-3f9a",
//                     "reason": "…" } ],
//     "hierarchy": ["sb_writers", "&sb->s_type->i_mutex_key", ["&mm->mmap_lock", "&vma->lock"]] }
// Every field of a rule is optional; a rule matches a finding when every field it gives matches.
// The same file may declare the intended lock hierarchy (analysis/hierarchy.ts).

import { matchesCycleId, parseCycleId } from './analysis/cycles';
import { Hierarchy, parseHierarchy } from './analysis/hierarchy';
import { FINDING_KINDS, Finding, FindingKind } from './types';

/** Name of the suppression file looked up next to traces and in the workspace. */
export const SUPPRESSIONS_FILE = '.locktrace.json';

export interface SuppressionRule {
  /** Finding kind (omitted or `*`: any kind). */
  kind?: FindingKind | '*';
  /** Lock classes that must all take part in the finding (order does not matter; `*` is a wildcard). */
  locks?: string[];
  /** Task: a comm, a pid, or `comm/pid` (`*` wildcards in comm). */
  task?: string | number;
  /** Syscall in progress where the finding shows up (`*` wildcards). */
  syscall?: string;
  /** Trace path glob, relative to the suppression file's folder (`*`, `**`, `?`); matched against the path's tail too. */
  trace?: string;
  /** A cycle id (`LT-3f9a`, or a longer prefix of its fingerprint): the inversion of that set of classes. */
  cycle?: string;
  /** Why it is accepted: shown where suppressed findings are listed. */
  reason?: string;
}

export interface ParsedSuppressions {
  rules: SuppressionRule[];
  /** Problems with the file (bad JSON, unknown fields): the rules that could be read are still used. */
  errors: string[];
  /** The declared lock hierarchy, when the file has one. */
  hierarchy?: Hierarchy;
}

const RULE_FIELDS = new Set(['kind', 'locks', 'task', 'syscall', 'trace', 'cycle', 'reason']);

/** Parses a suppression file's text; never throws. */
export function parseSuppressions(text: string): ParsedSuppressions {
  const errors: string[] = [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { rules: [], errors: [`not valid JSON: ${(e as Error).message}`] };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { rules: [], errors: ['expected an object {"suppress": [...]}'] };
  const declared = (json as { hierarchy?: unknown }).hierarchy;
  const h = declared === undefined ? undefined : parseHierarchy(declared);
  const withHierarchy = (p: ParsedSuppressions): ParsedSuppressions =>
    h ? { ...p, errors: [...p.errors, ...h.errors], ...(h.hierarchy ? { hierarchy: h.hierarchy } : {}) } : p;
  const list = (json as { suppress?: unknown }).suppress;
  if (list === undefined) return withHierarchy({ rules: [], errors: h ? [] : ['no "suppress" list'] });
  if (!Array.isArray(list)) return withHierarchy({ rules: [], errors: ['"suppress" must be a list of rules'] });
  const rules: SuppressionRule[] = [];
  list.forEach((raw: unknown, k) => {
    const where = `suppress[${k}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push(`${where}: expected an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!RULE_FIELDS.has(key)) errors.push(`${where}: unknown field "${key}" (ignored)`);
    const rule: SuppressionRule = {};
    let ok = true;
    if (r.kind !== undefined) {
      if (r.kind === '*' || (FINDING_KINDS as readonly unknown[]).includes(r.kind)) rule.kind = r.kind as FindingKind | '*';
      else {
        errors.push(`${where}: unknown kind ${JSON.stringify(r.kind)} (expected ${FINDING_KINDS.join(', ')} or *)`);
        ok = false;
      }
    }
    if (r.locks !== undefined) {
      if (Array.isArray(r.locks) && r.locks.every((l) => typeof l === 'string')) rule.locks = r.locks;
      else {
        errors.push(`${where}: "locks" must be a list of lock class names`);
        ok = false;
      }
    }
    if (r.cycle !== undefined) {
      if (typeof r.cycle === 'string' && parseCycleId(r.cycle) !== null) rule.cycle = r.cycle;
      else {
        errors.push(`${where}: "cycle" must be a cycle id such as "LT-3f9a" (4 to 16 hex digits)`);
        ok = false;
      }
    }
    for (const f of ['syscall', 'trace', 'reason'] as const) {
      if (r[f] === undefined) continue;
      if (typeof r[f] === 'string') rule[f] = r[f];
      else {
        errors.push(`${where}: "${f}" must be a string`);
        ok = false;
      }
    }
    if (r.task !== undefined) {
      if (typeof r.task === 'string' || typeof r.task === 'number') rule.task = r.task;
      else {
        errors.push(`${where}: "task" must be a comm, a pid or comm/pid`);
        ok = false;
      }
    }
    // a rule that failed validation is dropped rather than widened (a dropped field would match more)
    if (ok) rules.push(rule);
  });
  return withHierarchy({ rules, errors });
}

/** `*` matches any run of characters, everything else literally; whole-string match. */
function wildcard(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`, 's');
  return re.test(value);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Path glob: `**` any folders, `*` within one segment, `?` one character. */
export function globMatch(glob: string, path: string): boolean {
  let re = '';
  for (let k = 0; k < glob.length; k++) {
    const c = glob[k];
    if (c === '*' && glob[k + 1] === '*') {
      k++;
      if (glob[k + 1] === '/') {
        k++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`).test(path);
}

/**
 * Whether `rule` matches `finding`. `tracePath` is the trace's path relative to the suppression
 * file's folder (forward slashes); a rule with `trace` never matches when it is not given.
 */
export function matchesSuppression(rule: SuppressionRule, finding: Finding, tracePath?: string): boolean {
  if (rule.kind !== undefined && rule.kind !== '*' && rule.kind !== finding.kind) return false;
  if (rule.locks && !rule.locks.every((l) => finding.locks.some((fl) => wildcard(l, fl)))) return false;
  if (rule.cycle !== undefined && !(finding.cycleFingerprint && matchesCycleId(rule.cycle, finding.cycleFingerprint))) return false;
  if (rule.syscall !== undefined && !wildcard(rule.syscall, finding.syscall ?? '')) return false;
  if (rule.task !== undefined) {
    const t = String(rule.task);
    const ok = t === String(finding.pid) || wildcard(t, finding.comm) || wildcard(t, `${finding.comm}/${finding.pid}`);
    if (!ok) return false;
  }
  if (rule.trace !== undefined) {
    if (tracePath === undefined) return false;
    const p = tracePath.replace(/\\/g, '/');
    const g = rule.trace.replace(/^\.\//, '');
    // a bare name or relative glob also matches at any depth ("x.trace" matches "samples/x.trace")
    if (!globMatch(g, p) && !globMatch(`**/${g}`, p)) return false;
  }
  return true;
}

export interface SuppressedFinding {
  finding: Finding;
  rule: SuppressionRule;
}

/** Splits findings into those still reported and those a rule accepts (with the first rule that matched). */
export function applySuppressions(
  findings: readonly Finding[],
  rules: readonly SuppressionRule[],
  tracePath?: string,
): { kept: Finding[]; suppressed: SuppressedFinding[] } {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of findings) {
    const rule = rules.find((r) => matchesSuppression(r, f, tracePath));
    if (rule) suppressed.push({ finding: f, rule });
    else kept.push(f);
  }
  return { kept, suppressed };
}
