// Which findings a loaded analysis reports: the finding kinds asked for, plus the edges against
// the lock hierarchy a `.locktrace.json` declares, minus what its rules accept. The one place these rules are applied, for the CLI, the debug
// adapter and every feature of the extension. Also finds and reads suppression files on disk for
// the Node callers (the extension looks them up through VS Code's file system and passes the rules).

import * as fs from 'fs';
import * as path from 'path';
import { Analysis, DEFAULT_FINDING_KINDS, EdgeAttributes, Finding, FindingKind } from '../core';
import { Hierarchy, orderViolations } from '../core/analysis/hierarchy';
import { SUPPRESSIONS_FILE, SuppressedFinding, SuppressionRule, applySuppressions, parseSuppressions } from '../core/suppress';

/** A suppression file's rules, ready to apply to one trace. */
export interface Suppressions {
  /** The file, as the caller names it in messages (a path or URI). */
  file: string;
  rules: SuppressionRule[];
  /** Problems with the file; the rules that could be read are still used. */
  errors: string[];
  /** The trace's path relative to the suppression file's folder, forward slashes (rules' `trace` globs). */
  relativePath: string;
  /** The lock hierarchy the same file declares: every edge against it is an `order-violation` finding. */
  hierarchy?: Hierarchy;
}

/** What to report of an analysis. */
export interface FindingSelection {
  /** Finding kinds to report (default: DEFAULT_FINDING_KINDS: every kind but `contention`). */
  kinds?: readonly FindingKind[];
  /** Rules that accept known findings (default: none). */
  suppressions?: Suppressions;
}

/**
 * An Analysis whose `findings` are the reported ones (kinds and suppressions applied): Replay, the
 * lock panel, the debugger and reports all see the same list. Shares the store, graph and
 * checkpoints with `all`, the analyzer's own result.
 */
export interface LoadedAnalysis extends Analysis {
  /** The analysis with every finding the analyzer made. */
  readonly all: Analysis;
  /** Findings a suppression rule accepted, with the rule. */
  readonly suppressed: SuppressedFinding[];
  /** The suppression file applied, and its problems. */
  readonly suppressions?: Suppressions;
  /** Whether the analysis was made in the worker thread. */
  readonly inWorker: boolean;
}

/** Applies a selection to an analysis (to its `all` when it is already a LoadedAnalysis). */
export function selectFindings(analysis: Analysis, selection: FindingSelection = {}, inWorker?: boolean): LoadedAnalysis {
  const all = isLoaded(analysis) ? analysis.all : analysis;
  const kinds = new Set<FindingKind>(selection.kinds ?? DEFAULT_FINDING_KINDS);
  const sup = selection.suppressions;
  const wanted: Finding[] = all.findings.filter((f) => kinds.has(f.kind));
  if (sup?.hierarchy && kinds.has('order-violation')) {
    // checked here, not in the analysis, so an edited .locktrace.json needs no new analysis
    const edges: EdgeAttributes[] = [];
    all.graph.forEachEdge((_k, e) => edges.push(e));
    const declared = orderViolations(edges, sup.hierarchy, sup.file.split(/[\\/]/).pop());
    declared.forEach((f, k) => (f.id = all.findings.length + k));
    wanted.push(...declared);
    wanted.sort((a, b) => a.eventIndex - b.eventIndex || a.kind.localeCompare(b.kind));
  }
  const { kept, suppressed } = sup ? applySuppressions(wanted, sup.rules, sup.relativePath) : { kept: wanted, suppressed: [] };
  return {
    ...all,
    findings: kept,
    all,
    suppressed,
    suppressions: sup,
    inWorker: inWorker ?? (isLoaded(analysis) ? analysis.inWorker : false),
  };
}

export function isLoaded(a: Analysis): a is LoadedAnalysis {
  return 'all' in a && 'suppressed' in a;
}

/** Reads and parses a suppression file for a trace (throws the file system's error when it cannot be read). */
export function readSuppressions(file: string, trace: string): Suppressions {
  const parsed = parseSuppressions(fs.readFileSync(file, 'utf8'));
  const relativePath = path
    .relative(path.dirname(path.resolve(file)), path.resolve(trace))
    .split(path.sep)
    .join('/');
  return { file, rules: parsed.rules, errors: parsed.errors, relativePath, ...(parsed.hierarchy ? { hierarchy: parsed.hierarchy } : {}) };
}

/**
 * The suppression file the CLI and the standalone debug adapter use for a trace: `.locktrace.json`
 * next to the trace, else in the current directory (as given: relative names stay relative).
 */
export function findSuppressionsFile(trace: string): string | undefined {
  return [path.join(path.dirname(trace), SUPPRESSIONS_FILE), SUPPRESSIONS_FILE].find((f) => fs.existsSync(f));
}
