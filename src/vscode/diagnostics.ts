// Diagnostics for trace documents: one per reported finding at the line where it first shows up
// (severity by kind from `locktrace.findings.severity`, the lockdep-style message, related
// information at each edge's origin and acquisition and at the exit of the syscall that leaked a
// lock, a code linking to the README's explanation), parse errors on the line they name, and
// parser warnings. Updated on open, edit (debounced), save, settings and suppression changes.
// May import: vscode, ./context, ./traces, src/core, src/editor.
import * as vscode from 'vscode';
import { Finding, FindingKind } from '../core';
import { LocktraceContext, PREFIX } from './context';
import { LANGUAGE_ID, TraceResult, TraceService, traceLineRange } from './traces';

/** Default severities (`locktrace.findings.severity`). */
export const DEFAULT_SEVERITY: Record<FindingKind, SeverityName> = {
  inversion: 'error',
  recursive: 'error',
  'bad-unlock': 'error',
  'held-across-syscall': 'warning',
  'held-at-exit': 'warning',
};
type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

const SEVERITY: Record<Exclude<SeverityName, 'off'>, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

const DEBOUNCE_MS = 300;

export function registerDiagnostics(ctx: LocktraceContext, traces: TraceService): void {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const readme = vscode.Uri.joinPath(ctx.extension.extensionUri, 'README.md');

  const publish = (doc: vscode.TextDocument | undefined, r: TraceResult) => {
    ctx.diagnostics.set(r.uri, toDiagnostics(ctx, doc, r, readme));
  };

  const refresh = async (doc: vscode.TextDocument) => {
    if (doc.languageId !== LANGUAGE_ID || doc.isClosed) return;
    try {
      const r = await traces.get(doc);
      if (doc.isClosed || r.version !== doc.version) return; // an edit came in meanwhile
      publish(doc, r);
    } catch (e) {
      ctx.output.error(`diagnostics for ${doc.uri.toString()}: ${String(e)}`);
    }
  };

  const schedule = (doc: vscode.TextDocument, delay = DEBOUNCE_MS) => {
    const k = doc.uri.toString();
    clearTimeout(timers.get(k));
    timers.set(
      k,
      setTimeout(() => {
        timers.delete(k);
        void refresh(doc);
      }, delay),
    );
  };

  ctx.track(vscode.workspace.onDidOpenTextDocument((d) => schedule(d, 0)));
  ctx.track(vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length && schedule(e.document)));
  ctx.track(vscode.workspace.onDidSaveTextDocument((d) => schedule(d, 0)));
  ctx.track(
    vscode.workspace.onDidCloseTextDocument((d) => {
      clearTimeout(timers.get(d.uri.toString()));
      ctx.diagnostics.delete(d.uri);
    }),
  );
  ctx.track(traces.onDidInvalidate(() => vscode.workspace.textDocuments.forEach((d) => schedule(d, 0))));
  // results computed for other reasons (Check Trace on a closed file, a hover) are shown too
  ctx.track(
    traces.onDidAnalyze((r) => {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.uri.toString());
      if (doc && (doc.languageId !== LANGUAGE_ID || doc.version !== r.version)) return;
      publish(doc, r);
    }),
  );
  ctx.track({ dispose: () => timers.forEach((t) => clearTimeout(t)) });
  for (const d of vscode.workspace.textDocuments) schedule(d, 0);
}

function toDiagnostics(ctx: LocktraceContext, doc: vscode.TextDocument | undefined, r: TraceResult, readme: vscode.Uri): vscode.Diagnostic[] {
  const out: vscode.Diagnostic[] = [];
  const cfg = ctx.settings(r.uri);
  if (r.error) {
    if (r.error.cancelled) return out;
    const d = new vscode.Diagnostic(traceLineRange(doc, Math.max(1, r.error.line)), r.error.message, vscode.DiagnosticSeverity.Error);
    d.source = PREFIX;
    d.code = 'parse-error';
    out.push(d);
    return out;
  }
  const severities = { ...DEFAULT_SEVERITY, ...cfg.get<Partial<Record<FindingKind, SeverityName>>>('findings.severity', {}) };
  for (const f of r.findings) {
    const sev = severities[f.kind] ?? 'warning';
    if (sev === 'off') continue;
    const d = new vscode.Diagnostic(findingRange(doc, f), messageOf(f), SEVERITY[sev] ?? vscode.DiagnosticSeverity.Warning);
    d.source = PREFIX;
    d.code = { value: f.kind, target: readme.with({ fragment: f.kind }) };
    d.relatedInformation = relatedOf(doc, r, f);
    out.push(d);
  }
  if (r.analysis && cfg.get<boolean>('diagnostics.warnings', true)) {
    for (const w of r.analysis.store.warnings.slice(0, 100)) {
      const d = new vscode.Diagnostic(traceLineRange(doc, Math.max(1, w.line)), w.message, vscode.DiagnosticSeverity.Information);
      d.source = PREFIX;
      d.code = 'parse-warning';
      out.push(d);
    }
  }
  return out;
}

function messageOf(f: Finding): string {
  return `${f.message}${f.occurrences > 1 ? `\n(seen ${f.occurrences} times)` : ''}`;
}

/** The finding's line; narrowed to a lock class printed on it when there is one. */
function findingRange(doc: vscode.TextDocument | undefined, f: Finding): vscode.Range {
  const range = traceLineRange(doc, f.line);
  if (!doc || range.start.line >= doc.lineCount) return range;
  const text = doc.lineAt(range.start.line).text;
  for (const cls of f.locks) {
    const k = text.lastIndexOf(cls);
    if (k >= 0) return new vscode.Range(range.start.line, k, range.start.line, k + cls.length);
  }
  return range;
}

function relatedOf(doc: vscode.TextDocument | undefined, r: TraceResult, f: Finding): vscode.DiagnosticRelatedInformation[] {
  const loc = (line: number) => new vscode.Location(r.uri, traceLineRange(doc, line));
  const out = f.related.map((x) => new vscode.DiagnosticRelatedInformation(loc(x.line), x.message));
  const seen = new Set(f.related.map((x) => x.line));
  // where a lock of the cycle went back to userspace held: the exit of the syscall that took it
  if (r.index && f.cycle) {
    for (const e of f.cycle) {
      if (!e.crossSyscall) continue;
      const span = r.index.spanOf(e.fromEventIndex);
      if (!span || span.exitLine < 0 || span.exitEvent > e.eventIndex || seen.has(span.exitLine)) continue;
      seen.add(span.exitLine);
      out.push(new vscode.DiagnosticRelatedInformation(loc(span.exitLine), `${span.name} returned to userspace here still holding ${e.from} (taken at line ${e.fromLine})`));
    }
  }
  return out;
}
