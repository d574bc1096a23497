// The trace view: a read-only custom editor (`locktrace.traceView`) that shows a trace of any size
// — VS Code gives extensions no document for files above 50 MB, so the text editor's hovers,
// navigation and CodeLens never reach the traces real lockdep kernels produce. The view's
// documents are `locktrace-view:` URIs of trace files; the webview (media/src/traceView/) asks for
// the lines on screen and this host reads them at their byte offsets through the analysis'
// index (src/editor/traceLines.ts), so opening a 1 GB trace after its analysis reads a few
// kilobytes. The analysis is the TraceService's, of the file on disk (the debugger's too).
//
// What leads there: a big trace opened in a text editor tab is reopened in the view
// (`locktrace.traceView.openBigTraces`); the debugger's stack frames and output of a big trace
// name the view's URI (the inline adapter's `clientPath`); hover links, the lock panel and
// **locktrace: Open in Trace View** reveal lines in it. The view follows the debugger's position
// and the focused stack frame, decorates findings, answers hovers with src/editor/hover.ts's
// Markdown, and reports its first paint and scroll frame timings (`testing` API, output channel).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { FindingKind } from '../core';
import { findingTitle, tokenHover } from '../editor/hover';
import { ByteReader, TraceLines } from '../editor/traceLines';
import { tokenAt } from '../editor/tokens';
import { panelHtml } from '../panel/html';
import {
  FindingSeverity,
  GrammarBody,
  ScrollStats,
  TRACE_VIEW_MAX_LINES,
  TRACE_VIEW_MAX_LINE_CHARS,
  TRACE_VIEW_PROTOCOL_VERSION,
  TraceViewFinding,
  TraceViewHostMessage,
  TraceViewMessage,
  isTraceViewMessage,
  traceViewHostMessage,
  viewLink,
} from '../protocol/traceView';
import { LocktraceContext } from './context';
import { DEFAULT_SEVERITY, SYNC_LIMIT, isUnsyncedTrace } from './diagnostics';
import { Commands, DEBUG_TYPE, TRACE_VIEW_SCHEME, TRACE_VIEW_TYPE } from './ids';
import { newNonce } from './nonce';
import { TraceResult, TraceService } from './traces';

/** The view's URI of a trace file. */
export function traceViewUri(file: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: TRACE_VIEW_SCHEME, path: file.path });
}

/** The trace file of a view URI (a file URI is its own). */
export function traceFileOf(uri: vscode.Uri): vscode.Uri {
  return uri.scheme === TRACE_VIEW_SCHEME ? vscode.Uri.from({ scheme: 'file', path: uri.path }) : uri;
}

/** The trace file of the active editor tab when it is a trace view. */
export function activeTraceView(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === TRACE_VIEW_TYPE ? traceFileOf(input.uri) : undefined;
}

/** Whether a file is too big for VS Code to give extensions a document of it (its lines then go to the trace view). */
export async function tooBigForDocuments(uri: vscode.Uri): Promise<boolean> {
  if (uri.scheme !== 'file') return false;
  try {
    return (await fs.promises.stat(uri.fsPath)).size >= SYNC_LIMIT;
  } catch {
    return false;
  }
}

/** What the integration tests read of each open trace view (`activate().testing.traceViews`). */
export interface TraceViewReport {
  file: string;
  lineCount: number;
  events: number;
  bytes: number;
  /** ms from the analysis being ready (the TraceService's answer) to the webview's first lines on screen. */
  paintAfterAnalysisMs: number | null;
  /** ms from the webview's `ready` to the first lines on screen. */
  paintAfterReadyMs: number | null;
  /** ms from asking the TraceService to its answer (the analysis, or the cached one). */
  analysisMs: number | null;
  /** The debugger's line as last sent, and the last revealed line. */
  position: number | null;
  revealed: number | null;
  /** Every scroll gesture's frame timings, oldest first. */
  scrolls: ScrollStats[];
  /** Host time of each hover answer (ms), and what it was about. */
  hovers: { line: number; ms: number; found: boolean }[];
  /** Line requests answered and lines sent. */
  lineRequests: number;
  linesSent: number;
}

export interface TraceViewProbe {
  views(): TraceViewReport[];
}

/** Reads the trace file at byte offsets (one handle per view). */
class FileReader implements ByteReader {
  private constructor(
    private readonly handle: fs.promises.FileHandle,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<FileReader> {
    const handle = await fs.promises.open(file, 'r');
    try {
      return new FileReader(handle, (await handle.stat()).size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - offset)));
    if (!buf.length) return buf;
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  }

  close(): void {
    void this.handle.close().catch(() => undefined);
  }
}

/** Registers the trace view: the custom editor, its commands, big text tabs reopened in it. */
export function registerTraceView(ctx: LocktraceContext, traces: TraceService): TraceViewProbe {
  const views = new TraceViews(ctx, traces);
  ctx.track(views);
  ctx.track(
    vscode.window.registerCustomEditorProvider(TRACE_VIEW_TYPE, views, {
      // the webview keeps only what is on screen: cheap to keep while its tab is hidden
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: false,
    }),
  );
  ctx.track(
    vscode.commands.registerCommand(
      Commands.openTraceView,
      async (arg?: vscode.Uri | string, line?: number, options?: { viewColumn?: vscode.ViewColumn; preserveFocus?: boolean }) => {
        const uri = targetOf(arg, traces);
        if (!uri || traceFileOf(uri).scheme !== 'file') {
          void vscode.window.showErrorMessage('locktrace: open a trace file (on disk) to show it in the trace view.');
          return false;
        }
        await views.open(traceFileOf(uri), typeof line === 'number' ? line : undefined, options ?? {});
        return true;
      },
    ),
  );
  ctx.track(vscode.commands.registerCommand(Commands.traceViewGoToLine, () => views.goToLine()));
  registerBigTextTabs(ctx, views);
  return views.probe;
}

function targetOf(arg: vscode.Uri | string | undefined, traces: TraceService): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return /^[a-z][\w+.-]+:/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputText) return tab.uri;
  if (tab instanceof vscode.TabInputCustom) return tab.uri;
  return vscode.window.activeTextEditor?.document.uri ?? traces.active;
}

/**
 * A big trace opened in a text editor tab (a file VS Code will not give extensions, see
 * diagnostics.ts's isUnsyncedTrace) is reopened in the trace view in its place.
 */
function registerBigTextTabs(ctx: LocktraceContext, views: TraceViews): void {
  const busy = new Set<string>();
  const consider = async (tab: vscode.Tab) => {
    const input = tab.input;
    if (!(input instanceof vscode.TabInputText) || input.uri.scheme !== 'file') return;
    const k = input.uri.toString();
    if (busy.has(k) || !ctx.settings(input.uri).get<boolean>('traceView.openBigTraces', true)) return;
    busy.add(k);
    try {
      if (!(await isUnsyncedTrace(ctx, input.uri))) return;
      ctx.output.info(`${input.uri.fsPath} is too big for the text editor's trace features: showing it in the trace view`);
      await views.open(input.uri, undefined, { viewColumn: tab.group.viewColumn, preview: tab.isPreview, preserveFocus: !tab.isActive });
      // the text tab, unless opening the view replaced it (a preview tab)
      for (const g of vscode.window.tabGroups.all)
        for (const t of g.tabs)
          if (t.input instanceof vscode.TabInputText && t.input.uri.toString() === k) await vscode.window.tabGroups.close(t, true);
    } catch (e) {
      ctx.output.error(`reopening ${input.uri.fsPath} in the trace view: ${String(e)}`);
    } finally {
      busy.delete(k);
    }
  };
  ctx.track(
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const t of [...e.opened, ...e.changed]) void consider(t);
    }),
  );
  for (const g of vscode.window.tabGroups.all) for (const t of g.tabs) void consider(t);
}

interface TraceViewDocument extends vscode.CustomDocument {
  readonly file: vscode.Uri;
}

/** Every open trace view, and what follows the debugger into them. */
class TraceViews implements vscode.CustomReadonlyEditorProvider<TraceViewDocument>, vscode.Disposable {
  private readonly open_ = new Set<TraceViewPanel>();
  /** Lines to reveal in views that are being opened, by trace file. */
  private readonly pendingReveal = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];
  private grammar: Promise<GrammarBody> | undefined;
  /** Per debug session: frame id → line, of the stack frames VS Code was given since the last stop. */
  private readonly frameLines = new Map<string, Map<number, number>>();

  readonly probe: TraceViewProbe = { views: () => [...this.open_].map((v) => v.report()) };

  constructor(
    private readonly ctx: LocktraceContext,
    private readonly traces: TraceService,
  ) {
    this.subscriptions = [
      traces.onDidChangePosition((p) => {
        for (const v of this.open_) if (!p || sameFile(v.file, p.uri)) v.setPosition(p ? p.line : null);
      }),
      traces.onDidChangeOnDisk((uri) => {
        for (const v of this.open_) if (sameFile(v.file, uri)) void v.load();
      }),
      traces.onDidInvalidate(() => {
        for (const v of this.open_) void v.load();
      }),
      vscode.debug.onDidChangeActiveStackItem((item) => this.followFrame(item)),
      // the lines of the frames VS Code itself asked for: a focused frame is one of those (the
      // adapter numbers frames per request, so asking again would not name the same ones)
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: {
            type?: string;
            command?: string;
            event?: string;
            body?: { stackFrames?: { id: number; line: number }[] };
          }) => {
            if (m.type === 'event' && m.event === 'stopped') this.frameLines.delete(session.id);
            if (m.type !== 'response' || m.command !== 'stackTrace' || !m.body?.stackFrames) return;
            let lines = this.frameLines.get(session.id);
            if (!lines) this.frameLines.set(session.id, (lines = new Map<number, number>()));
            for (const f of m.body.stackFrames) lines.set(f.id, f.line);
          },
          onExit: () => this.frameLines.delete(session.id),
        }),
      }),
    ];
  }

  openCustomDocument(uri: vscode.Uri): TraceViewDocument {
    return { uri, file: traceFileOf(uri), dispose: () => undefined };
  }

  resolveCustomEditor(document: TraceViewDocument, panel: vscode.WebviewPanel): void {
    const view = new TraceViewPanel(this.ctx, this.traces, this, document.file, panel);
    const k = document.file.toString();
    const line = this.pendingReveal.get(k);
    if (line !== undefined) {
      this.pendingReveal.delete(k);
      view.reveal(line, 'select');
    }
    this.open_.add(view);
    panel.onDidDispose(() => this.open_.delete(view));
  }

  grammarBody(): Promise<GrammarBody> {
    this.grammar ??= (async () => {
      const file = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'syntaxes', 'locktrace.tmLanguage.json');
      return JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file))) as GrammarBody;
    })();
    return this.grammar;
  }

  /** Opens (or shows) the view of a trace file, at a line when given. */
  async open(
    file: vscode.Uri,
    line?: number,
    options: { viewColumn?: vscode.ViewColumn; preview?: boolean; preserveFocus?: boolean } = {},
  ): Promise<void> {
    const existing = [...this.open_].find((v) => sameFile(v.file, file));
    if (line !== undefined) {
      if (existing) existing.reveal(line, 'select');
      else this.pendingReveal.set(file.toString(), line);
    }
    await vscode.commands.executeCommand('vscode.openWith', traceViewUri(file), TRACE_VIEW_TYPE, {
      viewColumn: options.viewColumn ?? existing?.column ?? vscode.ViewColumn.Active,
      preview: options.preview ?? false,
      preserveFocus: options.preserveFocus ?? false,
    });
  }

  async goToLine(): Promise<void> {
    const view = [...this.open_].find((v) => v.active) ?? [...this.open_].find((v) => v.visible);
    if (!view) {
      void vscode.window.showInformationMessage('locktrace: no trace view is open.');
      return;
    }
    const max = view.lineCount;
    const input = await vscode.window.showInputBox({
      title: `Go to line in ${path.basename(view.file.path)}`,
      prompt: max ? `Line number, 1 to ${max.toLocaleString('en-US')}` : 'Line number',
      validateInput: (v) => (/^\s*\d+\s*$/.test(v) && Number(v) >= 1 ? undefined : 'a line number'),
    });
    if (input) view.reveal(Number(input), 'select');
  }

  /** A stack frame focused in the Call Stack view: its line is shown in the views of its trace. */
  private followFrame(item: vscode.DebugThread | vscode.DebugStackFrame | undefined): void {
    if (!(item instanceof vscode.DebugStackFrame) || item.session.type !== DEBUG_TYPE) return;
    const program: unknown = item.session.configuration.program;
    if (typeof program !== 'string') return;
    // the adapter and VS Code both count lines from 1: a DAP line is the trace line
    const line = this.frameLines.get(item.session.id)?.get(item.frameId);
    if (line === undefined || line < 1) return;
    for (const v of this.open_) if (v.file.scheme === 'file' && v.file.fsPath === program) v.reveal(line, 'frame');
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

function sameFile(a: vscode.Uri, b: vscode.Uri): boolean {
  return a.toString() === b.toString();
}

/** One open trace view: its webview, the analysis it shows, its file handle. */
class TraceViewPanel {
  private reader: FileReader | undefined;
  private lines: TraceLines | undefined;
  private result: TraceResult | undefined;
  private ready = false;
  private generation = 0;
  private pending: { line: number; mark: 'select' | 'frame' } | undefined;
  private position: number | null;
  private readonly pin: vscode.Disposable;
  private readonly listeners: vscode.Disposable[] = [];
  private readyAt = 0;
  private analysedAt = 0;
  private painted = false;
  private readonly stats: Omit<TraceViewReport, 'file' | 'lineCount' | 'events' | 'bytes'> = {
    paintAfterAnalysisMs: null,
    paintAfterReadyMs: null,
    analysisMs: null,
    position: null,
    revealed: null,
    scrolls: [],
    hovers: [],
    lineRequests: 0,
    linesSent: 0,
  };

  constructor(
    private readonly ctx: LocktraceContext,
    private readonly traces: TraceService,
    private readonly owner: TraceViews,
    readonly file: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
  ) {
    const pos = traces.activePosition;
    this.position = pos && sameFile(pos.uri, file) ? pos.line : null;
    this.pin = traces.pin(file);
    const media = vscode.Uri.joinPath(ctx.extension.extensionUri, 'out', 'media');
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [media] };
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'traceView.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'traceView.css')).toString(),
      title: `Trace view: ${path.basename(file.path)}`,
    });
    this.listeners.push(
      webview.onDidReceiveMessage((msg: unknown) => {
        if (!isTraceViewMessage(msg)) return;
        this.handle(msg).catch((e: unknown) => this.ctx.output.error(`trace view ${file.fsPath}: ${String(e)}`));
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get active(): boolean {
    return this.panel.active;
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  get column(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  get lineCount(): number {
    return this.lines?.lineCount ?? 0;
  }

  private post(msg: TraceViewHostMessage): void {
    void this.panel.webview.postMessage(msg);
  }

  report(): TraceViewReport {
    const a = this.result?.analysis;
    return {
      file: this.file.fsPath,
      lineCount: this.lineCount,
      events: a?.store.length ?? 0,
      bytes: this.reader?.size ?? 0,
      ...this.stats,
      scrolls: [...this.stats.scrolls],
      hovers: [...this.stats.hovers],
    };
  }

  /** Analyses the trace (or takes the TraceService's analysis) and sends it to the webview. */
  async load(): Promise<void> {
    if (!this.ready) return;
    const gen = ++this.generation;
    const name = path.basename(this.file.path);
    this.post(traceViewHostMessage('status', { message: `Analysing ${name}…` }));
    const asked = performance.now();
    const r = await this.traces.get(this.file, undefined, { fromDisk: true });
    if (gen !== this.generation) return;
    this.analysedAt = performance.now();
    this.stats.analysisMs = Math.round(this.analysedAt - asked);
    this.result = r;
    if (!r.analysis || !r.index) {
      const cancelled = !!r.error?.cancelled;
      this.post(
        traceViewHostMessage('error', {
          message: cancelled
            ? `The analysis of ${name} was cancelled.`
            : `${name} is not a readable trace: ${r.error?.message ?? 'no events'}`,
          retry: true,
        }),
      );
      return;
    }
    this.reader?.close();
    this.reader = undefined;
    const reader = await FileReader.open(this.file.fsPath);
    if (gen !== this.generation) {
      reader.close();
      return;
    }
    this.reader = reader;
    this.lines = await TraceLines.open(r.index, reader, { maxLineChars: TRACE_VIEW_MAX_LINE_CHARS });
    if (gen !== this.generation) return;
    const grammar = await this.owner.grammarBody();
    const reveal = this.pending;
    this.pending = undefined;
    this.painted = false;
    this.post(
      traceViewHostMessage('init', {
        trace: {
          path: this.file.fsPath,
          name,
          bytes: reader.size,
          lineCount: this.lines.lineCount,
          events: r.analysis.store.length,
          format: r.analysis.store.format,
        },
        grammar,
        findings: this.findings(r),
        position: this.position,
        reveal: reveal?.mark === 'select' ? reveal.line : null,
      }),
    );
    if (reveal?.mark === 'frame') this.post(traceViewHostMessage('reveal', { line: reveal.line, mark: 'frame' }));
    this.ctx.output.debug(
      `trace view ${this.file.fsPath}: ${this.lines.lineCount} lines, ${r.analysis.store.length} events, analysis ready after ${this.stats.analysisMs} ms`,
    );
  }

  /** The reported findings with the severities of `locktrace.findings.severity` (`off` ones left out). */
  private findings(r: TraceResult): TraceViewFinding[] {
    const severities = {
      ...DEFAULT_SEVERITY,
      ...this.ctx.settings(this.file).get<Partial<Record<FindingKind, string>>>('findings.severity', {}),
    };
    const out: TraceViewFinding[] = [];
    r.findings.forEach((f, id) => {
      const sev = severities[f.kind] ?? 'warning';
      if (sev === 'off') return;
      out.push({
        id,
        line: f.line,
        kind: f.kind,
        severity: sev as FindingSeverity,
        title: findingTitle(f),
        message: f.message,
        locks: [...f.locks],
      });
    });
    return out;
  }

  reveal(line: number, mark: 'select' | 'frame'): void {
    this.stats.revealed = line;
    if (!this.lines) {
      this.pending = { line, mark };
      return;
    }
    this.post(traceViewHostMessage('reveal', { line, mark }));
  }

  setPosition(line: number | null): void {
    this.position = line;
    this.stats.position = line;
    if (this.lines) this.post(traceViewHostMessage('position', { line }));
  }

  private async handle(msg: TraceViewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        if (msg.version !== TRACE_VIEW_PROTOCOL_VERSION) {
          this.ctx.output.error(`trace view: webview protocol ${msg.version}, host ${TRACE_VIEW_PROTOCOL_VERSION}`);
          return;
        }
        this.ready = true;
        this.readyAt = performance.now();
        // a webview loaded again (a window reload) restores its own position from its saved state
        await this.load();
        return;
      case 'requestLines': {
        const lines = this.lines;
        if (!lines) return;
        const w = await lines.lines(msg.from, Math.min(msg.count, TRACE_VIEW_MAX_LINES));
        if (lines !== this.lines) return;
        this.stats.lineRequests++;
        this.stats.linesSent += w.texts.length;
        this.post(traceViewHostMessage('lines', { requestId: msg.requestId, from: w.from, texts: w.texts, cut: w.cut }));
        return;
      }
      case 'hover': {
        const t = performance.now();
        const markdown = this.hover(msg.line, msg.character, msg.text);
        this.stats.hovers.push({ line: msg.line, ms: Math.round((performance.now() - t) * 10) / 10, found: !!markdown });
        if (this.stats.hovers.length > 200) this.stats.hovers.shift();
        this.post(traceViewHostMessage('hover', { requestId: msg.requestId, line: msg.line, ...markdown }));
        return;
      }
      case 'debugToLine':
        await vscode.commands.executeCommand(Commands.debugToLine, this.file.toString(), msg.line);
        return;
      case 'showInPanel':
        await vscode.commands.executeCommand(Commands.showFindingInPanel, this.file.toString(), msg.line);
        return;
      case 'retry':
        await this.load();
        return;
      case 'painted': {
        if (this.painted) return;
        this.painted = true;
        const now = performance.now();
        this.stats.paintAfterAnalysisMs = Math.round(now - this.analysedAt);
        this.stats.paintAfterReadyMs = Math.round(now - this.readyAt);
        this.ctx.output.info(
          `trace view ${path.basename(this.file.path)}: lines ${msg.line}–${msg.line + msg.lines - 1} on screen ${this.stats.paintAfterAnalysisMs} ms after the analysis was ready`,
        );
        return;
      }
      case 'scrolled':
        this.stats.scrolls.push(msg.stats);
        if (this.stats.scrolls.length > 200) this.stats.scrolls.shift();
        this.ctx.output.debug(`trace view scroll: ${JSON.stringify(msg.stats)}`);
        return;
      default: {
        const never: never = msg;
        this.ctx.output.warn(`trace view: unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  /** The hover Markdown at a character of a line, with the token's range; nulls when nothing is there. */
  private hover(line: number, character: number, text: string): { markdown: string | null; start: number; end: number } {
    const r = this.result;
    const replay = r?.replay;
    if (!r?.index || !replay) return { markdown: null, start: 0, end: 0 };
    const tok = tokenAt(r.index, line, text, character);
    if (!tok) return { markdown: null, start: 0, end: 0 };
    return { markdown: tokenHover(r.index, replay, r.findings, tok, line, viewLink), start: tok.start, end: tok.end };
  }

  private dispose(): void {
    this.generation++;
    this.reader?.close();
    this.pin.dispose();
    for (const d of this.listeners.splice(0)) d.dispose();
  }
}
