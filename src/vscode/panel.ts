// The lock-state panel in VS Code: the `locktrace.showPanel` command (any trace file, no debug
// session needed: the panel parses and analyzes the file itself), opening beside the editor when a
// `locktrace` debug session starts, following the adapter's `locktraceState` events, sending
// clicks back as `locktraceSeek` requests and revealing the trace line, and restoring the panel
// after a window reload (WebviewPanelSerializer). The conversation itself lives in
// src/panel/controller.ts; this file only wires it to VS Code. During a debug session the panel's
// model works on the session's own analysis (InlineReplays from ./debug), not a second one.
// May import: vscode, ./context, ./nonce, ./debug (types), src/panel, src/protocol, src/core, src/cli/readFile.
import * as vscode from 'vscode';
import { readTraceFile } from '../cli/readFile';
import { EventStore, ReadLockRule, analyze, parseTrace } from '../core';
import { PanelController, PanelHostPort } from '../panel/controller';
import { panelHtml } from '../panel/html';
import { PanelModel } from '../panel/model';
import { PANEL_PROTOCOL_VERSION, PanelPersistedState, hostMessage, isWebviewMessage } from '../protocol/panel';
import { ReplayStateBody, SEEK_REQUEST, SeekArguments } from '../protocol/replayState';
import { LocktraceContext } from './context';
import type { InlineReplays } from './debug';
import { Commands, DEBUG_TYPE, PANEL_VIEW_TYPE } from './ids';
import { newNonce } from './nonce';

/** Trace lines are 1-based; editor positions are 0-based. The one place that converts. */
export function tracePosition(traceLine: number): vscode.Position {
  return new vscode.Position(Math.max(0, traceLine - 1), 0);
}

export function registerPanel(ctx: LocktraceContext, replays?: InlineReplays): void {
  const panels = new LockPanels(ctx, replays);
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

  constructor(
    private readonly ctx: LocktraceContext,
    private readonly replays?: InlineReplays,
  ) {}

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
    void this.controller.then((c) => c?.onSessionState(body));
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
        this.controller = Promise.resolve(undefined);
        for (const d of this.listeners.splice(0)) d.dispose();
      }),
    );
  }

  private async load(uri: vscode.Uri, session: vscode.DebugSession | undefined, index: number): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const gen = ++this.loadGeneration;
    const wasReady = this.uri !== undefined;
    const sameTrace = !!this.uri && this.uri.toString() === uri.toString();
    const previousP = this.controller;
    // set synchronously: state events that arrive while loading chain onto the new controller
    this.uri = uri;
    this.session = session;
    panel.title = `Lock state: ${uri.path.split('/').pop() ?? ''}`;
    this.controller = (async () => {
      const previous = await previousP;
      try {
        const model = sameTrace && previous ? previous.model : await this.loadModel(uri, session);
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
    // a debug session of this extension host already analysed the trace: share it (read-only)
    const shared = session && (await this.replays?.analysisOf(session));
    if (shared && uri.scheme === 'file' && shared.program === uri.fsPath) {
      this.ctx.output.info(`lock panel: using the analysis of debug session ${session.name}`);
      return new PanelModel(shared.analysis, shared.program);
    }
    const cfg = session?.configuration;
    const readLocks = (cfg?.readLocks as ReadLockRule | undefined) ?? this.ctx.settings(uri).get<ReadLockRule>('readLocks');
    const format = cfg?.format as 'auto' | undefined;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'locktrace: analyzing trace for the lock panel' },
      async () => {
        let store: EventStore;
        if (uri.scheme === 'file') store = await readTraceFile(uri.fsPath, { format });
        else store = parseTrace(await vscode.workspace.fs.readFile(uri), { file: uri.toString(), format });
        return new PanelModel(analyze(store, { readLocks }), uri.scheme === 'file' ? uri.fsPath : uri.toString());
      },
    );
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.listeners.splice(0)) d.dispose();
  }
}

/** Shows a 1-based trace line in an editor next to the panel, without taking focus from it. */
async function revealLine(uri: vscode.Uri, traceLine: number): Promise<void> {
  const pos = tracePosition(traceLine);
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor =
    visible ?? (await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, preview: true }));
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
