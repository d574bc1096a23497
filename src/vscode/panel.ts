// The lock-state panel in VS Code: the `locktrace.showPanel` command (any trace file, no debug
// session needed: the TraceService's analysis of it, the same the editor shows), opening beside
// the editor when a `locktrace` debug session starts, following the adapter's `locktraceState`
// events, sending clicks back as `locktraceSeek` requests and revealing the trace line, and
// restoring the panel after a window reload (WebviewPanelSerializer). The conversation itself
// lives in src/panel/controller.ts; this file only wires it to VS Code. During a debug session the
// panel's model works on the session's own analysis (InlineReplays from ./debug; a restart that
// loads a new one is followed), without one it follows the TraceService (a change on disk, an
// edit, new settings or suppressions show up in the panel). `locktrace.compareTraces` shows a trace's
// lock graph compared with another recording (the panel's diff view), kept up to date with both.
import * as vscode from 'vscode';
import { Analysis, FormatOption, ReadLockRule, diffAnalyses } from '../core';
import { PanelController, PanelHostPort } from '../panel/controller';
import { panelHtml } from '../panel/html';
import { PanelModel } from '../panel/model';
import { PANEL_PROTOCOL_VERSION, PanelPersistedState, hostMessage, isWebviewMessage } from '../protocol/panel';
import { ReplayStateBody, SEEK_REQUEST, SeekArguments } from '../protocol/replayState';
import { LocktraceContext } from './context';
import type { InlineReplays } from './debug';
import { Commands, DEBUG_TYPE, PANEL_VIEW_TYPE } from './ids';
import { newNonce } from './nonce';
import { tooBigForDocuments } from './traceView';
import type { TraceService } from './traces';

/** Trace lines are 1-based; editor positions are 0-based. The one place that converts. */
export function tracePosition(traceLine: number): vscode.Position {
  return new vscode.Position(Math.max(0, traceLine - 1), 0);
}

export function registerPanel(ctx: LocktraceContext, traces: TraceService, replays?: InlineReplays): void {
  const panels = new LockPanels(ctx, traces, replays);
  ctx.track(panels);
  ctx.track(
    vscode.commands.registerCommand(Commands.showPanel, async (resource?: vscode.Uri, line?: number) => {
      const session = vscode.debug.activeDebugSession?.type === DEBUG_TYPE ? vscode.debug.activeDebugSession : undefined;
      const uri = resource instanceof vscode.Uri ? resource : session ? programOf(session) : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        void vscode.window.showErrorMessage('locktrace: open a trace file to show its lock panel.');
        return;
      }
      await panels.show(uri, session && sameFile(programOf(session), uri) ? session : undefined, vscode.ViewColumn.Beside);
      // a 1-based trace line to show (e.g. a finding's CodeLens): moves the session or the panel there
      if (typeof line === 'number') await panels.seekLine(line);
    }),
  );
  ctx.track(
    vscode.debug.onDidStartDebugSession((s) => {
      if (s.type !== DEBUG_TYPE || !programOf(s)) return;
      void panels.show(programOf(s)!, s, vscode.ViewColumn.Beside, true);
    }),
  );
  ctx.track(
    vscode.commands.registerCommand(Commands.compareTraces, async (resource?: vscode.Uri, other?: vscode.Uri | vscode.Uri[]) => {
      // explorer: the right-clicked file is the newer recording, the other selected one the older;
      // otherwise the active trace, compared with a file picked now
      const newer = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
      if (!newer) {
        void vscode.window.showErrorMessage('locktrace: open a trace file to compare its lock graph with another.');
        return;
      }
      let older = other instanceof vscode.Uri ? other : Array.isArray(other) ? other.find((u) => !sameFile(u, newer)) : undefined;
      if (!older) {
        const picked = await vscode.window.showOpenDialog({
          title: `Compare the lock graph of ${newer.path.split('/').pop() ?? ''} with (an older recording)`,
          canSelectMany: false,
          defaultUri: vscode.Uri.joinPath(newer, '..'),
          openLabel: 'Compare',
        });
        older = picked?.[0];
      }
      if (!older) return;
      await panels.compare(newer, older);
    }),
  );
  ctx.track(ctx.onReplayState((session, state) => panels.onSessionState(session, state)));
  ctx.track(vscode.debug.onDidTerminateDebugSession((s) => panels.onSessionEnd(s)));
  ctx.track(
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const saved = state as Partial<PanelPersistedState> | undefined;
        if (!saved?.tracePath) {
          panel.dispose();
          return;
        }
        await panels.adopt(panel, traceUri(saved.tracePath), saved.index ?? 0);
      },
    }),
  );
}

function programOf(s: vscode.DebugSession): vscode.Uri | undefined {
  const p: unknown = s.configuration.program;
  return typeof p === 'string' && p ? vscode.Uri.file(p) : undefined;
}

/** The model names traces by fsPath (file scheme) or URI string (others); back to a Uri. */
function traceUri(p: string): vscode.Uri {
  return /^(\/|[A-Za-z]:[\\/])/.test(p) ? vscode.Uri.file(p) : vscode.Uri.parse(p);
}

function sameFile(a: vscode.Uri | undefined, b: vscode.Uri): boolean {
  return !!a && a.toString() === b.toString();
}

/** The one lock panel (a second trace replaces the first: the panel follows what is debugged). */
class LockPanels implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private controller: Promise<PanelController | undefined> = Promise.resolve(undefined);
  private uri: vscode.Uri | undefined;
  private session: vscode.DebugSession | undefined;
  private readonly listeners: vscode.Disposable[] = [];
  /** Messages that arrive while the trace is loading are handled once it is loaded. */
  private loadGeneration = 0;
  /** Keeps the shown trace's analysis (and the watch on its file) in the TraceService. */
  private pin: vscode.Disposable | undefined;
  /** One model per analysis: going back to an analysis reuses its summaries. */
  private readonly models = new WeakMap<Analysis, PanelModel>();
  /** The older recording the shown trace is compared with (locktrace.compareTraces), if any. */
  private compareWith: vscode.Uri | undefined;
  private comparePin: vscode.Disposable | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly ctx: LocktraceContext,
    private readonly traces: TraceService,
    private readonly replays?: InlineReplays,
  ) {
    this.subscriptions = [
      traces.onDidAnalyze((r) => void this.refresh(r.uri)),
      traces.onDidInvalidate(() => void this.refresh()),
      traces.onDidChangeOnDisk((uri) => void this.refresh(uri)),
    ];
  }

  /**
   * Without a session the panel shows the TraceService's current analysis of its trace: when that
   * is another one (the file changed on disk, an edit, settings, suppressions), load it, keeping
   * the position. A session-driven panel follows its session instead.
   */
  private async refresh(uri?: vscode.Uri): Promise<void> {
    const shown = this.uri;
    if (!this.panel || !shown || this.session || (uri && uri.toString() !== shown.toString())) return;
    const gen = this.loadGeneration;
    const current = await this.controller;
    const r = await this.traces.get(shown);
    if (gen !== this.loadGeneration || this.session || r.error?.cancelled || r.analysis === current?.model.analysis) return;
    this.ctx.output.debug(`lock panel: ${shown.fsPath || shown.toString()} has a new analysis, showing it`);
    await this.load(shown, undefined, current?.index ?? 0, false);
  }

  async show(uri: vscode.Uri, session: vscode.DebugSession | undefined, column: vscode.ViewColumn, preserveFocus = false): Promise<void> {
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        'Lock state',
        { viewColumn: column, preserveFocus },
        { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: this.resourceRoots() },
      );
      this.attach(panel);
    } else {
      this.panel.reveal(undefined, preserveFocus);
      // already showing this trace with this driver: keep the position
      if (this.uri && sameFile(this.uri, uri) && this.session?.id === session?.id) return;
    }
    await this.load(uri, session, 0);
  }

  /** Shows `newer` with its lock graph compared with `older`'s (the panel's diff view). */
  async compare(newer: vscode.Uri, older: vscode.Uri): Promise<void> {
    await this.show(newer, undefined, vscode.ViewColumn.Beside);
    this.comparePin?.dispose();
    this.compareWith = older;
    this.comparePin = this.traces.pin(older);
    await this.applyComparison(true);
  }

  /** Computes the comparison for the shown trace's controller (after every load of it). */
  private async applyComparison(announce = false): Promise<void> {
    const older = this.compareWith;
    const c = await this.controller;
    if (!older || !c || !this.uri) return;
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'locktrace: analyzing the trace to compare with' },
      () => this.traces.get(older),
    );
    if (!r.analysis) {
      void vscode.window.showErrorMessage(
        `locktrace: cannot compare with ${older.fsPath || older.toString()}: ${r.error?.message ?? 'not a trace'}`,
      );
      return;
    }
    if (older !== this.compareWith || c !== (await this.controller)) return;
    const name = older.path.split('/').pop() ?? older.toString();
    const d = diffAnalyses(r.analysis, c.model.analysis);
    c.setDiff(c.model.diffView(d, { name, path: older.scheme === 'file' ? older.fsPath : older.toString() }, true));
    const summary = `${name} → ${this.uri.path.split('/').pop() ?? ''}: edges ${d.edges.new.length} new, ${d.edges.gone.length} gone, ${d.edges.unchanged.length} unchanged; cycles ${d.cycles.new.length} new, ${d.cycles.gone.length} gone`;
    this.ctx.output.info(`compare: ${summary}`);
    for (const e of d.edges.new.slice(0, 50))
      this.ctx.output.info(
        `  new lock dependency ${e.from} -> ${e.to}: line ${e.new?.line} by ${e.new?.comm}/${e.new?.pid}${e.new?.syscall ? ` in ${e.new.syscall}` : ''}`,
      );
    if (announce) void vscode.window.showInformationMessage(`locktrace: ${summary}`);
  }

  async seekLine(line: number): Promise<void> {
    const c = await this.controller;
    await c?.seek({ line });
  }

  /** A panel restored by VS Code after a reload. */
  async adopt(panel: vscode.WebviewPanel, uri: vscode.Uri, index: number): Promise<void> {
    if (this.panel) this.panel.dispose();
    panel.webview.options = { enableScripts: true, localResourceRoots: this.resourceRoots() };
    this.attach(panel);
    const s = vscode.debug.activeDebugSession;
    await this.load(uri, s && s.type === DEBUG_TYPE && sameFile(programOf(s), uri) ? s : undefined, index);
  }

  onSessionState(session: vscode.DebugSession, body: ReplayStateBody): void {
    if (!this.panel) return;
    if (this.session?.id !== session.id) {
      // a session on the trace already shown takes over; another trace is shown by onDidStart.
      if (!this.uri || !sameFile(programOf(session), this.uri)) return;
      void this.load(this.uri, session, body.index);
      return;
    }
    void this.controller.then((c) => {
      // a restart loaded the trace again (it changed on disk): show the session's new analysis
      const now = this.replays?.currentAnalysis(session);
      if (c && now && now !== c.model.analysis && this.uri) return this.load(this.uri, session, body.index, false);
      c?.onSessionState(body);
    });
  }

  onSessionEnd(session: vscode.DebugSession): void {
    if (this.session?.id !== session.id || !this.uri) return;
    // keep the panel and its position, now driven by the panel itself
    void this.controller.then((c) => this.uri && this.load(this.uri, undefined, c?.index ?? 0));
  }

  private resourceRoots(): vscode.Uri[] {
    const ext = this.ctx.extension.extensionUri;
    return [vscode.Uri.joinPath(ext, 'out', 'media'), vscode.Uri.joinPath(ext, 'media')];
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    const webview = panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'out', 'media');
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
    this.listeners.push(
      webview.onDidReceiveMessage((msg: unknown) => {
        if (!isWebviewMessage(msg)) return;
        void this.controller.then((c) => c?.handle(msg)).catch((e) => this.ctx.output.error(`lock panel: ${String(e)}`));
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.session = undefined;
        this.uri = undefined;
        this.pin?.dispose();
        this.pin = undefined;
        this.compareWith = undefined;
        this.comparePin?.dispose();
        this.comparePin = undefined;
        this.controller = Promise.resolve(undefined);
        for (const d of this.listeners.splice(0)) d.dispose();
      }),
    );
  }

  /** Shows a trace at an event; `reuseModel`: keep the model when it is the same trace (a new driver, same analysis). */
  private async load(uri: vscode.Uri, session: vscode.DebugSession | undefined, index: number, reuseModel = true): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const gen = ++this.loadGeneration;
    const wasReady = this.uri !== undefined;
    const sameTrace = !!this.uri && this.uri.toString() === uri.toString();
    const previousP = this.controller;
    // set synchronously: state events that arrive while loading chain onto the new controller
    this.uri = uri;
    this.session = session;
    if (!sameTrace || !this.pin) {
      this.pin?.dispose();
      this.pin = this.traces.pin(uri);
    }
    if (!sameTrace && this.compareWith) {
      // another trace is shown: its own comparison, if any, comes with a new compare command
      this.compareWith = undefined;
      this.comparePin?.dispose();
      this.comparePin = undefined;
    }
    panel.title = `Lock state: ${uri.path.split('/').pop() ?? ''}`;
    this.controller = (async () => {
      const previous = await previousP;
      try {
        const model = reuseModel && sameTrace && previous ? previous.model : await this.loadModel(uri, session);
        if (gen !== this.loadGeneration) return undefined;
        const c = new PanelController(model, this.port(panel, uri, session), index);
        if (previous) {
          c.tasks = previous.tasks;
          c.selectedFindingId = previous.selectedFindingId;
        }
        // the webview said `ready` to the previous controller; say it again on its behalf
        if (wasReady) await c.handle({ type: 'ready', version: PANEL_PROTOCOL_VERSION });
        return c;
      } catch (e) {
        const message = `locktrace: cannot show the lock panel for ${uri.fsPath || uri.toString()}: ${e instanceof Error ? e.message : String(e)}`;
        this.ctx.output.error(message);
        void panel.webview.postMessage(hostMessage('error', { message }));
        return undefined;
      }
    })();
    await this.controller;
    if (this.compareWith && gen === this.loadGeneration) await this.applyComparison();
  }

  private port(panel: vscode.WebviewPanel, uri: vscode.Uri, session: vscode.DebugSession | undefined): PanelHostPort {
    return {
      post: (msg) => void panel.webview.postMessage(msg),
      reveal: (line: number) => void revealLine(uri, line),
      log: (m: string) => this.ctx.output.warn(m),
      seekSession: session
        ? async (args: SeekArguments) => (await session.customRequest(SEEK_REQUEST, args)) as ReplayStateBody | undefined
        : undefined,
    };
  }

  private async loadModel(uri: vscode.Uri, session: vscode.DebugSession | undefined): Promise<PanelModel> {
    // a debug session of this extension host already has the trace: share its analysis (read-only)
    const shared = session && (await this.replays?.analysisOf(session));
    if (shared && uri.scheme === 'file' && shared.program === uri.fsPath) {
      this.ctx.output.info(`lock panel: using the analysis of debug session ${session.name}`);
      return this.modelOf(shared.analysis, shared.program);
    }
    // no session, or one not running in this extension host: the TraceService's analysis, with the
    // session's options when there is one
    const cfg = session?.configuration;
    const request = cfg
      ? { format: cfg.format as FormatOption | undefined, readLocks: cfg.readLocks as ReadLockRule | undefined, fromDisk: true }
      : {};
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'locktrace: analyzing trace for the lock panel' },
      () => this.traces.get(uri, undefined, request),
    );
    if (!r.analysis) throw new Error(r.error?.message ?? 'not a trace');
    return this.modelOf(r.analysis, uri.scheme === 'file' ? uri.fsPath : uri.toString());
  }

  private modelOf(analysis: Analysis, tracePath: string): PanelModel {
    let m = this.models.get(analysis);
    if (!m || m.path !== tracePath) this.models.set(analysis, (m = new PanelModel(analysis, tracePath)));
    return m;
  }

  dispose(): void {
    this.panel?.dispose();
    this.pin?.dispose();
    this.comparePin?.dispose();
    for (const d of this.listeners.splice(0)) d.dispose();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

/** Shows a 1-based trace line in an editor next to the panel (the trace view for big traces), without taking focus from it. */
async function revealLine(uri: vscode.Uri, traceLine: number): Promise<void> {
  if (await tooBigForDocuments(uri)) {
    await vscode.commands.executeCommand(Commands.openTraceView, uri, traceLine, {
      viewColumn: vscode.ViewColumn.One,
      preserveFocus: true,
    });
    return;
  }
  const pos = tracePosition(traceLine);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor =
    visible ?? (await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, preview: true }));
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
