// Editor features for trace documents, built on the TraceService: hovers on locks and syscalls,
// go to definition (where the live hold was acquired), references (every acquire/release of a
// class), document symbols (tasks → syscalls), folding per syscall, CodeLens on findings, language
// detection by content and by the `locktrace.files.associations` globs, and the commands Check
// Trace, Export Findings, Debug to Line and Reveal Line. The Markdown and lookups are pure
// (src/editor); this file only maps them to VS Code objects.
import * as vscode from 'vscode';
import { detectFormat, toJsonReport, toSarif } from '../core';
import { findLockingReport } from '../core/kernelLog';
import { HoverLinks, acquiringLine, findingTitle, lockHover, syscallHover } from '../editor/hover';
import { tokenAt } from '../editor/tokens';
import { SEEK_REQUEST } from '../protocol/replayState';
import { LocktraceContext } from './context';
import { registerDiagnostics } from './diagnostics';
import { Commands, DEBUG_TYPE, LANGUAGE_ID, PREFIX } from './ids';
import { isKernelLog, kernelLogDefinition, kernelLogFolds, kernelLogHover, kernelLogReferences, kernelLogSymbols } from './kernelLogs';
import { KernelSourceResolver } from './kernelSource';
import { TraceResult, TraceService, editorLine, traceLine, traceLineRange } from './traces';

const SELECTOR: vscode.DocumentSelector = [{ language: LANGUAGE_ID }];
/** Languages whose documents are looked at for trace or kernel-log content (`.txt`, no extension, `.log`). */
const CONTENT_DETECTED = new Set(['plaintext', 'log']);
/**
 * Outline: every task, and under each the first syscalls, about this many in all (big traces have
 * tens of thousands per task; tens of thousands of symbols cost the extension host and the
 * workbench seconds on every request, and an outline that long is no help).
 */
const SYSCALL_SYMBOLS = 5000;

/** Command-URI links for hovers: the pure hover code only knows `HoverLinks`. */
function linksFor(uri: vscode.Uri): HoverLinks {
  const cmd = (id: string, line: number) => `command:${id}?${encodeURIComponent(JSON.stringify([uri.toString(), line]))}`;
  return { reveal: (line) => cmd(Commands.revealLine, line), debug: (line) => cmd(Commands.debugToLine, line) };
}

function asUri(u: vscode.Uri | string | undefined): vscode.Uri | undefined {
  if (u instanceof vscode.Uri) return u;
  if (typeof u === 'string' && u)
    return /^[a-z][\w+.-]*:/i.test(u) && !/^[A-Za-z]:[\\/]/.test(u) ? vscode.Uri.parse(u) : vscode.Uri.file(u);
  return undefined;
}

/** The analysed trace, the 1-based trace line and the lock or syscall token at an editor position. */
async function tokenUnder(traces: TraceService, doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken) {
  const r = await traces.get(doc, token);
  if (!r.index || !r.replay) return undefined;
  const line = traceLine(pos);
  const tok = tokenAt(r.index, line, doc.lineAt(pos.line).text, pos.character);
  return tok ? { r: r as typeof r & { index: NonNullable<typeof r.index>; replay: NonNullable<typeof r.replay> }, line, tok } : undefined;
}

/** `kernelSources`: where kernel logs' frames are in source (shared with the debugger). */
export function registerEditor(ctx: LocktraceContext, traces: TraceService, kernelSources = new KernelSourceResolver(ctx)): void {
  const t = <T extends vscode.Disposable>(d: T) => ctx.track(d);
  registerDiagnostics(ctx, traces);

  t(
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(doc, pos, token) {
        const log = await traces.get(doc, token);
        if (isKernelLog(log)) return kernelLogHover(kernelSources, log, doc, pos);
        const under = await tokenUnder(traces, doc, pos, token);
        if (!under) return undefined;
        const { r, line, tok } = under;
        const links = linksFor(doc.uri);
        let text: string;
        if (tok.kind === 'lock') text = lockHover(r.index, r.replay, r.findings, tok.className, line, links, tok.lockId);
        else {
          text = syscallHover(r.index, tok.span, links);
          const s = r.index.store;
          for (const id of tok.lockIds) text += `\n\n---\n\n${lockHover(r.index, r.replay, r.findings, s.className(id), line, links, id)}`;
        }
        const md = new vscode.MarkdownString(text);
        md.isTrusted = { enabledCommands: [Commands.revealLine, Commands.debugToLine] };
        return new vscode.Hover(md, new vscode.Range(pos.line, tok.start, pos.line, tok.end));
      },
    }),
  );

  t(
    vscode.languages.registerDefinitionProvider(SELECTOR, {
      async provideDefinition(doc, pos, token) {
        const log = await traces.get(doc, token);
        if (isKernelLog(log)) return kernelLogDefinition(kernelSources, log, doc, pos);
        const under = await tokenUnder(traces, doc, pos, token);
        if (!under) return undefined;
        const { r, line, tok } = under;
        if (tok.kind === 'syscall') {
          const l = tok.span.entryLine >= 0 ? tok.span.entryLine : tok.span.exitLine;
          return l >= 0 ? new vscode.Location(doc.uri, traceLineRange(doc, l)) : undefined;
        }
        const acq = acquiringLine(r.index, r.replay, tok.className, line, tok.lockId);
        return acq !== undefined ? new vscode.Location(doc.uri, traceLineRange(doc, acq)) : undefined;
      },
    }),
  );

  t(
    vscode.languages.registerReferenceProvider(SELECTOR, {
      async provideReferences(doc, pos, _context, token) {
        const log = await traces.get(doc, token);
        if (isKernelLog(log)) return kernelLogReferences(log, doc, pos);
        const under = await tokenUnder(traces, doc, pos, token);
        if (!under || under.tok.kind !== 'lock') return undefined;
        const { r, tok } = under;
        return r.index.referenceLines(tok.className).map((x) => new vscode.Location(doc.uri, traceLineRange(doc, x.line)));
      },
    }),
  );

  t(
    vscode.languages.registerDocumentSymbolProvider(
      SELECTOR,
      {
        async provideDocumentSymbols(doc, token) {
          const r = await traces.get(doc, token);
          if (isKernelLog(r)) return kernelLogSymbols(r, doc);
          const index = r.index;
          if (!index) return [];
          const out: vscode.DocumentSymbol[] = [];
          const perTask = Math.max(20, Math.floor(SYSCALL_SYMBOLS / Math.max(1, index.tasks.filter((t) => t.spanCount).length)));
          for (const task of index.tasks) {
            if (task.lastLine === 0) continue;
            const range = new vscode.Range(
              editorLine(task.firstLine),
              0,
              editorLine(task.lastLine),
              doc.lineAt(Math.min(editorLine(task.lastLine), doc.lineCount - 1)).text.length,
            );
            const sym = new vscode.DocumentSymbol(
              `${task.comm}/${task.pid}`,
              `${task.spanCount} syscall(s)`,
              vscode.SymbolKind.Class,
              range,
              traceLineRange(doc, task.firstLine),
            );
            // big traces: the first syscalls of each task, read from the index's columns
            for (let k = 0; k < task.spanCount && k < perTask; k++) {
              const id = index.taskSpanId(task.taskId, k);
              const entry = index.entryLine(id);
              const exit = index.exitLine(id);
              const first = entry >= 0 ? entry : exit;
              const last = exit >= 0 ? exit : first;
              if (first < 0) continue;
              const ret = index.returnValue(id);
              const detail = `${ret !== null ? `= ${ret}` : 'no exit'}${index.leaksKernelLock(id) ? ' · leaks a lock' : ''}`;
              const srange = traceLineRange(doc, first).union(traceLineRange(doc, last));
              sym.children.push(
                new vscode.DocumentSymbol(index.syscallName(id), detail, vscode.SymbolKind.Function, srange, traceLineRange(doc, first)),
              );
            }
            out.push(sym);
          }
          return out;
        },
      },
      { label: PREFIX },
    ),
  );

  t(
    vscode.languages.registerFoldingRangeProvider(SELECTOR, {
      async provideFoldingRanges(doc, _context, token) {
        const r = await traces.get(doc, token);
        if (isKernelLog(r)) return kernelLogFolds(r);
        const index = r.index;
        if (!index) return [];
        // VS Code shows at most `editor.foldingMaximumRegions` regions: compute and send no more than that
        const max = vscode.workspace.getConfiguration('editor', doc).get<number>('foldingMaximumRegions', 5000);
        const out: vscode.FoldingRange[] = [];
        for (let id = 0; id < index.spanCount && out.length < max; id++) {
          const entry = index.entryLine(id);
          const exit = index.exitLine(id);
          if (entry < 0 || exit <= entry) continue;
          out.push(new vscode.FoldingRange(editorLine(entry), editorLine(exit), vscode.FoldingRangeKind.Region));
        }
        return out;
      },
    }),
  );

  const lensChanged = t(new vscode.EventEmitter<void>());
  t(traces.onDidAnalyze(() => lensChanged.fire()));
  t(
    vscode.languages.registerCodeLensProvider(SELECTOR, {
      onDidChangeCodeLenses: lensChanged.event,
      async provideCodeLenses(doc, token) {
        const r = await traces.get(doc, token);
        const lenses: vscode.CodeLens[] = [];
        for (const f of r.findings) {
          const range = traceLineRange(doc, f.line);
          lenses.push(
            new vscode.CodeLens(range, {
              title: `$(debug-alt) Debug to here`,
              tooltip: `Replay ${doc.uri.path.split('/').pop()} and stop at line ${f.line} (${findingTitle(f)})`,
              command: Commands.debugToLine,
              arguments: [doc.uri.toString(), f.line],
            }),
            new vscode.CodeLens(range, {
              title: '$(layers) Show in lock panel',
              tooltip: 'Open the lock panel on this trace',
              command: Commands.showFindingInPanel,
              arguments: [doc.uri.toString(), f.line],
            }),
          );
        }
        return lenses;
      },
    }),
  );

  registerCommands(ctx, traces);
  registerLanguageDetection(ctx);
}

function registerCommands(ctx: LocktraceContext, traces: TraceService): void {
  const reg = (id: string, fn: (...args: never[]) => unknown) =>
    ctx.track(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));

  const targetOf = (arg?: vscode.Uri | string): vscode.Uri | undefined => {
    const explicit = asUri(arg);
    if (explicit) return explicit;
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document.languageId === LANGUAGE_ID) return ed.document.uri;
    return traces.active;
  };

  reg(Commands.checkTrace, async (arg?: vscode.Uri | string) => {
    const uri = targetOf(arg);
    if (!uri) {
      void vscode.window.showErrorMessage('locktrace: open a trace file to check it.');
      return undefined;
    }
    traces.invalidate(); // re-read .locktrace.json and settings
    const r = await traces.get(uri);
    traces.setActive(uri);
    const name = uri.path.split('/').pop();
    const summary = {
      uri: uri.toString(),
      findings: r.findings.length,
      suppressed: r.suppressed.length,
      lines: r.findings.map((f) => f.line),
      error: r.error?.message,
    };
    if (r.error) void vscode.window.showErrorMessage(`locktrace: ${name} is not a readable trace: ${r.error.message}`);
    else
      void vscode.window.showInformationMessage(
        `locktrace: ${name}: ${r.findings.length} finding(s)${r.suppressed.length ? `, ${r.suppressed.length} suppressed` : ''}`,
      );
    ctx.output.debug(`checked ${uri.fsPath || uri.toString()}: ${JSON.stringify(summary)}`);
    return summary;
  });

  reg(Commands.exportFindings, async (arg?: vscode.Uri | string, target?: vscode.Uri | string, format?: 'json' | 'sarif') => {
    const uri = targetOf(arg);
    if (!uri) {
      void vscode.window.showErrorMessage('locktrace: open a trace file to export its findings.');
      return undefined;
    }
    let dest = asUri(target);
    if (!dest) {
      dest = await vscode.window.showSaveDialog({
        defaultUri: uri.with({ path: `${uri.path}.sarif` }),
        filters: { SARIF: ['sarif'], JSON: ['json'] },
        title: 'locktrace: export findings',
      });
      if (!dest) return undefined;
    }
    const r = await traces.get(uri);
    if (!r.analysis) {
      void vscode.window.showErrorMessage(`locktrace: cannot export: ${r.error?.message ?? 'not a trace'}`);
      return undefined;
    }
    const kind = format ?? (dest.path.endsWith('.json') ? 'json' : 'sarif');
    const file = uri.scheme === 'file' ? uri.fsPath : uri.toString();
    const body =
      kind === 'json'
        ? toJsonReport(r.analysis, file, r.findings)
        : toSarif(r.analysis, uri.scheme === 'file' ? uri.toString() : file, r.findings);
    await vscode.workspace.fs.writeFile(dest, new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`));
    ctx.output.debug(`exported ${r.findings.length} finding(s) of ${file} as ${kind} to ${dest.fsPath || dest.toString()}`);
    if (!target)
      void vscode.window.showInformationMessage(
        `locktrace: exported ${r.findings.length} finding(s) to ${vscode.workspace.asRelativePath(dest)}`,
      );
    return dest.toString();
  });

  reg(Commands.revealLine, async (arg: vscode.Uri | string, line: number) => {
    const uri = asUri(arg);
    if (!uri || typeof line !== 'number') return;
    const doc = await vscode.workspace.openTextDocument(uri);
    const ed = await vscode.window.showTextDocument(doc, { preview: true });
    const range = traceLineRange(doc, line);
    ed.selection = new vscode.Selection(range.start, range.start);
    ed.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });

  reg(Commands.debugToLine, async (arg: vscode.Uri | string, line: number) => debugToLine(ctx, traces, asUri(arg), line));

  reg(Commands.showFindingInPanel, async (arg: vscode.Uri | string, line?: number) => {
    const uri = asUri(arg);
    if (!uri) return;
    // the panel moves its debug session, or itself, to the line
    await vscode.commands.executeCommand(Commands.showPanel, uri, line);
  });
}

/**
 * Starts a locktrace debug session on the trace (or reuses the running one) and stops at `line`:
 * the session stops on entry, then a `locktraceSeek` moves it (stopped event + state event follow).
 */
async function debugToLine(ctx: LocktraceContext, traces: TraceService, uri: vscode.Uri | undefined, line: number): Promise<boolean> {
  if (!uri || uri.scheme !== 'file' || typeof line !== 'number') {
    void vscode.window.showErrorMessage('locktrace: Debug to here needs a trace file on disk.');
    return false;
  }
  let session = vscode.debug.activeDebugSession;
  if (!(session?.type === DEBUG_TYPE && session.configuration.program === uri.fsPath)) {
    const ready = new Promise<vscode.DebugSession | undefined>((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(undefined);
      }, 30_000);
      const sub = ctx.onReplayState((s) => {
        if (s.configuration.program !== uri.fsPath) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      });
    });
    const started = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), {
      type: DEBUG_TYPE,
      request: 'launch',
      name: `Debug to line ${line}`,
      program: uri.fsPath,
      stopOnEntry: true,
    });
    if (!started) return false;
    session = await ready;
    if (!session) {
      ctx.output.error(`debug to line ${line}: the session did not stop on entry`);
      return false;
    }
  }
  traces.setActive(uri);
  await session.customRequest(SEEK_REQUEST, { line });
  return true;
}

/**
 * Trace files are recognised by `firstLine` (package.json), by extension, by the
 * `locktrace.files.associations` globs, and by content for plain-text and log files
 * (`locktrace.files.detectByContent`): the same detection as the parser's, on the first 40 lines,
 * for traces; a kernel log (dmesg, a console or fuzzer log: its first lines are boot or fuzzer
 * lines) when it holds a lockdep or other locking report anywhere, so logs without one, kernel
 * logs included, stay what they are.
 */
function registerLanguageDetection(ctx: LocktraceContext): void {
  const check = (doc: vscode.TextDocument) => {
    if (doc.languageId === LANGUAGE_ID || doc.isClosed) return;
    const cfg = ctx.settings(doc.uri);
    const globs = cfg.get<string[]>('files.associations', []);
    let match = globs.some((g) => vscode.languages.match({ pattern: g }, doc) > 0);
    if (!match && CONTENT_DETECTED.has(doc.languageId) && cfg.get<boolean>('files.detectByContent', true)) {
      const lines: string[] = [];
      for (let k = 0; k < Math.min(doc.lineCount, 40); k++) lines.push(doc.lineAt(k).text);
      const fmt = detectFormat(lines);
      if (fmt === null || fmt === 'kernel-log') match = findLockingReport(doc.getText()) !== null;
      // the parser takes any `{` line for JSONL; a plain-text file needs locktrace's header for that
      else match = doc.languageId === 'plaintext' && (fmt !== 'jsonl' || lines.some((l) => /"format"\s*:\s*"locktrace"/.test(l)));
    }
    if (match) void vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
  };
  ctx.track(vscode.workspace.onDidOpenTextDocument(check));
  ctx.onDidChangeSettings((e) => {
    if (e.affectsConfiguration(`${PREFIX}.files`)) for (const d of vscode.workspace.textDocuments) check(d);
  });
  for (const d of vscode.workspace.textDocuments) check(d);
}

export type { TraceResult };
