// Diagnostics for trace documents: one per reported finding at the line where it first shows up
// (severity by kind from `locktrace.findings.severity`, the lockdep-style message, related
// information at each edge's origin and acquisition and at the exit of the syscall that leaked a
// lock, a code linking to the README's explanation), parse errors on the line they name, and
// parser warnings. Updated on open, edit (debounced), save, settings and suppression changes.
// Traces too big for VS Code to hand to extensions (above 50 MB there is no TextDocument) get their
// problems too when they are open in an editor tab or the trace view: they are analysed from the file.
import { promises as fsp } from 'fs';
import * as vscode from 'vscode';
import { FINDING_KINDS, FINDING_KIND_INFO, Finding, FindingKind, detectFormat } from '../core';
import { LocktraceContext } from './context';
import { LANGUAGE_ID, PREFIX, TRACE_VIEW_TYPE } from './ids';
import { TraceResult, TraceService, traceLineRange } from './traces';

/** Default severities (`locktrace.findings.severity`). */
export const DEFAULT_SEVERITY: Record<FindingKind, SeverityName> = Object.fromEntries(
  FINDING_KINDS.map((k) => [k, FINDING_KIND_INFO[k].severity]),
) as Record<FindingKind, SeverityName>;
type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

const SEVERITY: Record<Exclude<SeverityName, 'off'>, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

const DEBOUNCE_MS = 300;
/** VS Code does not synchronise files above this size (in characters) with extensions. */
export const SYNC_LIMIT = 50 * 1024 * 1024;
const TRACE_EXTENSIONS = /\.(trace|ftrace|ltrace)$/i;

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
  registerUnsyncedTraces(ctx, traces);
}

/**
 * Files above 50 MB never reach extensions as documents (no open event, no hovers, no
 * navigation), but their problems can still be shown: a trace open in an editor tab without a
 * document is analysed from disk (in the worker) and its diagnostics set by URI (onDidAnalyze
 * publishes them). Closing its last tab drops them and the cached analysis.
 */
function registerUnsyncedTraces(ctx: LocktraceContext, traces: TraceService): void {
  const tracked = new Map<string, vscode.Uri>();
  const hasDocument = (k: string) => vscode.workspace.textDocuments.some((d) => d.uri.toString() === k);
  let running: Promise<void> = Promise.resolve();
  const check = async () => {
    const open = new Map<string, vscode.Uri>();
    for (const g of vscode.window.tabGroups.all) {
      for (const tab of g.tabs) {
        // a big trace in the trace view is open too (the view's URI names the file)
        const input = tab.input;
        const uri =
          input instanceof vscode.TabInputText
            ? input.uri
            : input instanceof vscode.TabInputCustom && input.viewType === TRACE_VIEW_TYPE
              ? vscode.Uri.from({ scheme: 'file', path: input.uri.path })
              : undefined;
        if (uri?.scheme === 'file') open.set(uri.toString(), uri);
      }
    }
    for (const [k, uri] of open) {
      if (tracked.has(k) || hasDocument(k) || !(await isUnsyncedTrace(ctx, uri)) || hasDocument(k)) continue;
      tracked.set(k, uri);
      ctx.output.debug(`${uri.fsPath} is open but too big to be a document for extensions: analysing the file for its problems`);
      if (!traces.active) traces.setActive(uri);
      void traces.get(uri).catch((e: unknown) => ctx.output.error(`analysing ${uri.fsPath}: ${String(e)}`));
    }
    for (const [k, uri] of [...tracked]) {
      if (open.has(k)) continue;
      tracked.delete(k);
      ctx.diagnostics.delete(uri);
      traces.forget(uri);
    }
  };
  const schedule = () => {
    running = running.then(check).catch((e: unknown) => ctx.output.error(`big trace tabs: ${String(e)}`));
  };
  ctx.track(vscode.window.tabGroups.onDidChangeTabs(schedule));
  schedule();
}

/** A file on disk above VS Code's sync limit that is a trace by its extension or (setting) its first lines. */
export async function isUnsyncedTrace(ctx: LocktraceContext, uri: vscode.Uri): Promise<boolean> {
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    return false;
  }
  if (size < SYNC_LIMIT) return false;
  if (TRACE_EXTENSIONS.test(uri.path)) return true;
  if (!ctx.settings(uri).get<boolean>('files.detectByContent', true)) return false;
  const head = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    const fd = await fsp.open(uri.fsPath, 'r');
    try {
      n = (await fd.read(head, 0, head.length, 0)).bytesRead;
    } finally {
      await fd.close();
    }
  } catch {
    return false;
  }
  const lines = head.toString('utf8', 0, n).split(/\r?\n/).slice(0, 40);
  const fmt = detectFormat(lines);
  return fmt !== null && (fmt !== 'jsonl' || lines.some((l) => /"format"\s*:\s*"locktrace"/.test(l)));
}

function toDiagnostics(
  ctx: LocktraceContext,
  doc: vscode.TextDocument | undefined,
  r: TraceResult,
  readme: vscode.Uri,
): vscode.Diagnostic[] {
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
  const guarded = cfg.get<SeverityName>('findings.guardedSeverity', 'information');
  for (const f of r.findings) {
    // an inversion a gate lock makes safe has its own severity (locktrace.findings.guardedSeverity)
    const sev = f.kind === 'inversion' && f.guardedBy?.length ? guarded : (severities[f.kind] ?? 'warning');
    if (sev === 'off') continue;
    const d = new vscode.Diagnostic(findingRange(doc, f), messageOf(f), SEVERITY[sev] ?? vscode.DiagnosticSeverity.Warning);
    d.source = PREFIX;
    // the code is the cycle's id where there is one (the same across runs, formats and trace lengths;
    // suppressions and SARIF use it too), else the kind; either way it links to the kind's explanation
    d.code = { value: f.cycleId ?? f.kind, target: readme.with({ fragment: f.kind }) };
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
  // the cycle's id says which deadlock this is across runs (suppressions and SARIF use it too)
  const id = f.cycleId ? `\ncycle ${f.cycleId}${f.component && f.component !== f.cycleId ? ` in component ${f.component}` : ''}` : '';
  return `${f.message}${f.occurrences > 1 ? `\n(seen ${f.occurrences} times)` : ''}${id}`;
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
      out.push(
        new vscode.DiagnosticRelatedInformation(
          loc(span.exitLine),
          `${span.name} returned to userspace here still holding ${e.from} (taken at line ${e.fromLine})`,
        ),
      );
    }
  }
  return out;
}
