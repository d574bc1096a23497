// TraceService: the one place the extension turns a trace document into an analysis, shared by
// diagnostics, hovers, navigation, commands and other features (C/C++ source annotations build on
// it too). It caches by URI + document version (+ format and read-lock rule), analyses small
// traces in-process and big ones in a worker thread (out/analysisWorker.js) with a cancellable
// progress notification, applies the `locktrace.findings.kinds` setting and `.locktrace.json`
// suppressions, and tracks the *active trace* (the one being debugged, or the last one opened or
// checked) with the debugger's position in it (from the adapter's `locktraceState` events).
// Also owns the status bar item and the `locktrace.selectActiveTrace` command.
// May import: vscode, ./context, src/core, src/editor, src/protocol, src/load, Node built-ins.
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as vscode from 'vscode';
import {
  Analysis,
  FINDING_KINDS,
  Finding,
  FindingKind,
  FormatOption,
  ReadLockRule,
  Replay,
  TraceError,
  analyze,
  parseTrace,
} from '../core';
import { SUPPRESSIONS_FILE, SuppressedFinding, SuppressionRule, applySuppressions, parseSuppressions } from '../core/suppress';
import { TraceIndex } from '../editor/traceIndex';
import { unpackAnalysis } from '../load/transfer';
import { ANALYSIS_WORKER_VERSION, AnalyzeRequest, WorkerMessage } from '../load/messages';
import { REPLAY_STATE_EVENT, ReplayStateBody } from '../protocol/replayState';
import { LocktraceContext, PREFIX } from './context';

export const LANGUAGE_ID = PREFIX;
export const SELECT_ACTIVE_TRACE_COMMAND = `${PREFIX}.selectActiveTrace`;
const DEBUG_TYPE = PREFIX;
/** Default size above which a trace is analysed in the worker (`locktrace.analysis.workerThreshold`). */
const DEFAULT_WORKER_THRESHOLD = 2 * 1024 * 1024;

// --- line bases: trace lines are 1-based, vscode.Position lines 0-based. Convert only here. ---

/** The editor line (0-based) of a 1-based trace line. */
export function editorLine(traceLine: number): number {
  return Math.max(0, traceLine - 1);
}

/** The 1-based trace line of an editor position. */
export function traceLine(position: vscode.Position): number {
  return position.line + 1;
}

/** The range of a 1-based trace line in a document, without leading/trailing blanks (whole line when unknown). */
export function traceLineRange(doc: vscode.TextDocument | undefined, line: number): vscode.Range {
  const l = editorLine(line);
  if (!doc || l >= doc.lineCount) return new vscode.Range(l, 0, l, 0);
  const t = doc.lineAt(l);
  return new vscode.Range(l, t.firstNonWhitespaceCharacterIndex, l, t.range.end.character);
}

/** An analysed trace (or why it could not be read) as seen with the current settings. */
export interface TraceResult {
  uri: vscode.Uri;
  /** Document version analysed (-1: read from disk). */
  version: number;
  /** Undefined when the file is not a readable trace (see `error`). */
  analysis?: Analysis;
  /** Lookup tables for editor features (undefined with `analysis`). */
  index?: TraceIndex;
  /** Replay engine over the analysis (created on first use, shared). */
  readonly replay?: Replay;
  /** Findings to report: kinds enabled in the settings, suppressions applied. */
  findings: Finding[];
  /** Findings a `.locktrace.json` rule accepted. */
  suppressed: SuppressedFinding[];
  /** The suppression file used, and its problems. */
  suppressionsFile?: vscode.Uri;
  suppressionErrors: string[];
  /** The input is not a trace (TraceError: 1-based line, 0 = not tied to a line) or could not be read. */
  error?: { message: string; line: number; cancelled?: boolean };
  /** True when it was analysed in the worker thread. */
  inWorker: boolean;
}

/** Where the debugger is in the active trace. */
export interface TracePosition {
  uri: vscode.Uri;
  /** Event index and its 1-based line. */
  index: number;
  line: number;
}

interface Raw {
  analysis?: Analysis;
  index?: TraceIndex;
  replay?: Replay;
  error?: TraceResult['error'];
  inWorker: boolean;
}

interface CacheEntry {
  key: string;
  raw: Promise<Raw>;
  derived?: { generation: number; result: Promise<TraceResult> };
  last?: TraceResult;
}

export class TraceService implements vscode.Disposable {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped when settings or suppression files change: derived results are recomputed. */
  private generation = 0;
  private activeUri: vscode.Uri | undefined;
  private position: TracePosition | undefined;
  private readonly activeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  private readonly positionEmitter = new vscode.EventEmitter<TracePosition | undefined>();
  private readonly resultEmitter = new vscode.EventEmitter<TraceResult>();
  private readonly invalidateEmitter = new vscode.EventEmitter<void>();
  private readonly status: vscode.StatusBarItem;
  private debugSession: vscode.DebugSession | undefined;

  /** The active trace changed (undefined: none). */
  readonly onDidChangeActive = this.activeEmitter.event;
  /** The debugger moved in the active trace (undefined: the session ended). */
  readonly onDidChangePosition = this.positionEmitter.event;
  /** A trace was (re)analysed or its findings re-derived. */
  readonly onDidAnalyze = this.resultEmitter.event;
  /** Settings or suppressions changed: results should be fetched again. */
  readonly onDidInvalidate = this.invalidateEmitter.event;

  constructor(private readonly ctx: LocktraceContext) {
    this.status = vscode.window.createStatusBarItem('locktrace.activeTrace', vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'locktrace: active trace';
    this.status.command = SELECT_ACTIVE_TRACE_COMMAND;
    const subs: vscode.Disposable[] = [this.activeEmitter, this.positionEmitter, this.resultEmitter, this.invalidateEmitter, this.status];
    subs.push(
      vscode.commands.registerCommand(SELECT_ACTIVE_TRACE_COMMAND, (uri?: vscode.Uri | string) => this.selectActive(uri)),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && e.document.languageId === LANGUAGE_ID && !this.debugSession) this.setActive(e.document.uri);
      }),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (d.languageId === LANGUAGE_ID && !this.activeUri && !this.debugSession) this.setActive(d.uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // keep the last result (the active trace may be closed), drop others
        if (d.uri.toString() !== this.activeUri?.toString()) this.cache.delete(d.uri.toString());
      }),
      vscode.debug.onDidStartDebugSession((s) => {
        const program = programOf(s);
        if (s.type !== DEBUG_TYPE || !program) return;
        this.debugSession = s;
        this.setActive(program);
      }),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== REPLAY_STATE_EVENT) return;
        const body = e.body as ReplayStateBody;
        const uri = programOf(e.session);
        if (!uri || !body || typeof body.index !== 'number') return;
        this.debugSession = e.session;
        if (this.activeUri?.toString() !== uri.toString()) this.setActive(uri);
        this.position = { uri, index: body.index, line: body.line };
        this.positionEmitter.fire(this.position);
        this.updateStatus();
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id !== this.debugSession?.id) return;
        this.debugSession = undefined;
        this.position = undefined;
        this.positionEmitter.fire(undefined);
        this.updateStatus();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(PREFIX)) this.invalidate();
      }),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${SUPPRESSIONS_FILE}`);
    subs.push(
      watcher,
      watcher.onDidChange(() => this.invalidate()),
      watcher.onDidCreate(() => this.invalidate()),
      watcher.onDidDelete(() => this.invalidate()),
    );
    for (const d of subs) ctx.track(d);
    const ed = vscode.window.activeTextEditor;
    if (ed?.document.languageId === LANGUAGE_ID) this.setActive(ed.document.uri);
  }

  // --- the active trace -------------------------------------------------------------------

  /** The trace being debugged, or the last one opened or checked. */
  get active(): vscode.Uri | undefined {
    return this.activeUri;
  }

  /** The debugger's position in the active trace (undefined when it is not being debugged). */
  get activeIndex(): number | undefined {
    return this.position && this.position.uri.toString() === this.activeUri?.toString() ? this.position.index : undefined;
  }

  get activePosition(): TracePosition | undefined {
    return this.activeIndex === undefined ? undefined : this.position;
  }

  setActive(uri: vscode.Uri | undefined): void {
    if (uri?.toString() === this.activeUri?.toString()) return;
    this.activeUri = uri;
    this.activeEmitter.fire(uri);
    this.updateStatus();
    if (uri)
      void this.get(uri).then(
        () => this.updateStatus(),
        () => undefined,
      );
  }

  private async selectActive(arg?: vscode.Uri | string): Promise<vscode.Uri | undefined> {
    if (arg) {
      const uri = typeof arg === 'string' ? vscode.Uri.parse(arg) : arg;
      this.setActive(uri);
      return uri;
    }
    const seen = new Map<string, vscode.Uri>();
    for (const d of vscode.workspace.textDocuments) if (d.languageId === LANGUAGE_ID) seen.set(d.uri.toString(), d.uri);
    for (const key of this.cache.keys()) seen.set(key, vscode.Uri.parse(key));
    for (const u of await vscode.workspace.findFiles('**/*.{trace,ftrace,ltrace}', '**/node_modules/**', 200)) seen.set(u.toString(), u);
    const items = [...seen.values()].map((u) => ({
      label: path.basename(u.path),
      description: vscode.workspace.asRelativePath(u),
      detail: u.toString() === this.activeUri?.toString() ? 'active' : undefined,
      uri: u,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: 'locktrace: select the active trace', matchOnDescription: true });
    if (!pick) return undefined;
    this.setActive(pick.uri);
    await vscode.window.showTextDocument(pick.uri, { preview: true });
    return pick.uri;
  }

  private updateStatus(): void {
    const uri = this.activeUri;
    if (!uri) {
      this.status.hide();
      return;
    }
    const last = this.cache.get(uri.toString())?.last;
    const name = path.basename(uri.path);
    const count = last ? (last.error ? 'not a trace' : `${last.findings.length} finding${last.findings.length === 1 ? '' : 's'}`) : '…';
    const pos = this.activePosition ? ` · line ${this.activePosition.line}` : '';
    this.status.text = `$(${last && last.findings.length ? 'warning' : 'lock'}) ${name}: ${count}${pos}`;
    const md = new vscode.MarkdownString(`**Active lock trace:** ${vscode.workspace.asRelativePath(uri)}\n\n`);
    if (last?.error) md.appendMarkdown(`Not a trace: ${last.error.message}\n\n`);
    else if (last)
      md.appendMarkdown(`${last.findings.length} finding(s)${last.suppressed.length ? `, ${last.suppressed.length} suppressed` : ''}\n\n`);
    md.appendMarkdown('Click to choose another trace.');
    this.status.tooltip = md;
    this.status.show();
  }

  // --- results ----------------------------------------------------------------------------

  /** Drops derived results (settings or suppressions changed) and tells listeners. */
  invalidate(): void {
    this.generation++;
    this.invalidateEmitter.fire();
    this.updateStatus();
  }

  /** Drops the cached analysis of a URI that is no longer open (kept for the active trace). */
  forget(uri: vscode.Uri): void {
    if (uri.toString() !== this.activeUri?.toString()) this.cache.delete(uri.toString());
  }

  /** The last result computed for a URI, without waiting (hovers use `get`). */
  peek(uri: vscode.Uri): TraceResult | undefined {
    return this.cache.get(uri.toString())?.last;
  }

  /**
   * Parses and analyses a trace (the open document's text when it is open, else the file),
   * cached by URI and document version. Never rejects for bad input: `error` says why. Rejects with
   * vscode.CancellationError when `token` is cancelled (the shared analysis keeps running).
   */
  async get(target: vscode.Uri | vscode.TextDocument, token?: vscode.CancellationToken): Promise<TraceResult> {
    const uri = target instanceof vscode.Uri ? target : target.uri;
    const doc = target instanceof vscode.Uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : target;
    const format = this.ctx.settings(uri).get<FormatOption>('format', 'auto');
    const readLocks = this.ctx.settings(uri).get<ReadLockRule>('readLocks', 'non-recursive');
    let version = -1;
    let stamp = '';
    if (doc) version = doc.version;
    else if (uri.scheme === 'file') {
      try {
        const st = await vscode.workspace.fs.stat(uri);
        stamp = `${st.mtime}:${st.size}`;
      } catch {
        stamp = 'missing';
      }
    }
    const key = `${version}|${stamp}|${format}|${readLocks}`;
    const k = uri.toString();
    let entry = this.cache.get(k);
    if (!entry || entry.key !== key) {
      const previous = entry;
      entry = { key, raw: this.analyse(uri, doc, format, readLocks), last: previous?.last };
      this.cache.set(k, entry);
    }
    const generation = this.generation;
    let derived = entry.derived;
    if (!derived || derived.generation !== generation) {
      const e = entry;
      const result = e.raw.then((raw) => this.derive(uri, version, raw));
      derived = e.derived = { generation, result };
      void result.then((r) => {
        if (this.cache.get(k) !== e) return;
        e.last = r;
        if (r.error?.cancelled) this.cache.delete(k); // ask again next time
        this.resultEmitter.fire(r);
        if (uri.toString() === this.activeUri?.toString()) this.updateStatus();
      });
    }
    const result = derived.result;
    if (!token) return result;
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    return new Promise<TraceResult>((resolve, reject) => {
      const sub = token.onCancellationRequested(() => {
        sub.dispose();
        reject(new vscode.CancellationError());
      });
      // settle with result's own value or reason, after the cancellation listener is gone
      result
        .finally(() => {
          sub.dispose();
        })
        .then(resolve, reject);
    });
  }

  private async analyse(
    uri: vscode.Uri,
    doc: vscode.TextDocument | undefined,
    format: FormatOption,
    readLocks: ReadLockRule,
  ): Promise<Raw> {
    const name = uri.scheme === 'file' ? uri.fsPath : uri.toString();
    const threshold = this.ctx.settings(uri).get<number>('analysis.workerThreshold', DEFAULT_WORKER_THRESHOLD);
    try {
      let size: number;
      if (doc) size = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
      else size = (await vscode.workspace.fs.stat(uri)).size;
      if (size >= threshold) {
        const req: AnalyzeRequest = { type: 'analyze', version: ANALYSIS_WORKER_VERSION, file: name, format, readLocks };
        if (uri.scheme === 'file' && (!doc || !doc.isDirty)) req.path = uri.fsPath;
        else req.text = doc ? doc.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        return await this.inWorker(req, path.basename(uri.path));
      }
      const bytes = doc ? doc.getText() : await vscode.workspace.fs.readFile(uri);
      const store = parseTrace(bytes, { file: name, format });
      const analysis = analyze(store, { readLocks });
      return { analysis, index: new TraceIndex(analysis), inWorker: false };
    } catch (e) {
      if (e instanceof TraceError) return { error: { message: e.message, line: e.line }, inWorker: false };
      const message = e instanceof Error ? e.message : String(e);
      this.ctx.output.error(`analysing ${name}: ${message}`);
      return { error: { message, line: 0 }, inWorker: false };
    }
  }

  /** Runs one analysis in a worker thread under a cancellable progress notification. */
  private inWorker(req: AnalyzeRequest, label: string): Promise<Raw> {
    const script = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'out', 'analysisWorker.js').fsPath;
    return new Promise<Raw>((resolve) => {
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `locktrace: analysing ${label}`, cancellable: true },
        (progress, token) =>
          new Promise<void>((done) => {
            const started = Date.now();
            const worker = new Worker(script);
            let reported = 0;
            let finished = false;
            let analysed = false;
            const finish = (raw: Raw) => {
              if (finished) return;
              finished = true;
              void worker.terminate();
              resolve(raw);
              done();
            };
            token.onCancellationRequested(() => {
              this.ctx.output.debug(`analysis of ${req.file} cancelled`);
              finish({ error: { message: 'analysis cancelled', line: 0, cancelled: true }, inWorker: true });
            });
            worker.on('message', (msg: WorkerMessage) => {
              switch (msg.type) {
                case 'progress': {
                  const pct = Math.min(100, Math.round(msg.percent));
                  if (pct > reported) {
                    progress.report({ message: `${msg.message} ${pct}%`, increment: pct - reported });
                    reported = pct;
                  }
                  return;
                }
                case 'done': {
                  const analysis = unpackAnalysis(msg.analysis);
                  this.ctx.output.debug(
                    `analysed ${req.file} in a worker: ${analysis.store.length} events, ${analysis.findings.length} finding(s), ${Date.now() - started} ms`,
                  );
                  // the editor's index of a big trace is built here in slices, so the host never freezes;
                  // the worker exits meanwhile (that is not a failure any more), Cancel stops the build
                  analysed = true;
                  progress.report({ message: 'indexing for hovers and navigation' });
                  const pause = () => (finished ? Promise.reject(new Error('cancelled')) : new Promise<void>((r) => setTimeout(r, 0)));
                  TraceIndex.build(analysis, undefined, pause).then(
                    (index) => finish({ analysis, index, inWorker: true }),
                    (e: unknown) => finish({ error: { message: `indexing failed: ${String(e)}`, line: 0 }, inWorker: true }),
                  );
                  return;
                }
                case 'error':
                  finish({ error: { message: msg.message, line: msg.traceError?.line ?? 0 }, inWorker: true });
                  return;
                default: {
                  const never: never = msg;
                  void never;
                }
              }
            });
            worker.on('error', (e) => finish({ error: { message: `analysis worker failed: ${e.message}`, line: 0 }, inWorker: true }));
            worker.on('exit', (code) => {
              if (!finished && !analysed) finish({ error: { message: `analysis worker exited (${code})`, line: 0 }, inWorker: true });
            });
            worker.postMessage(req);
          }),
      );
    });
  }

  private async derive(uri: vscode.Uri, version: number, raw: Raw): Promise<TraceResult> {
    const kinds = new Set(this.ctx.settings(uri).get<FindingKind[]>('findings.kinds', [...FINDING_KINDS]));
    const base = raw.analysis ? raw.analysis.findings.filter((f) => kinds.has(f.kind)) : [];
    const sup = this.ctx.settings(uri).get<boolean>('suppressions.enabled', true) ? await this.suppressionsFor(uri) : undefined;
    const applied = sup ? applySuppressions(base, sup.rules, sup.relativePath) : { kept: base, suppressed: [] };
    const result: TraceResult = {
      uri,
      version,
      analysis: raw.analysis,
      index: raw.index,
      get replay() {
        if (!raw.analysis) return undefined;
        raw.replay ??= new Replay(raw.analysis);
        return raw.replay;
      },
      findings: applied.kept,
      suppressed: applied.suppressed,
      suppressionsFile: sup?.file,
      suppressionErrors: sup?.errors ?? [],
      error: raw.error,
      inWorker: raw.inWorker,
    };
    return result;
  }

  /**
   * The `.locktrace.json` for a trace: next to it, then each parent folder up to its workspace
   * folder; for a trace outside the workspace, its folder, then the workspace folders.
   */
  async suppressionsFor(
    uri: vscode.Uri,
  ): Promise<{ file: vscode.Uri; rules: SuppressionRule[]; errors: string[]; relativePath: string } | undefined> {
    const candidates: vscode.Uri[] = [];
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    let dir = vscode.Uri.joinPath(uri, '..');
    if (folder) {
      for (let k = 0; k < 64; k++) {
        candidates.push(vscode.Uri.joinPath(dir, SUPPRESSIONS_FILE));
        if (dir.toString() === folder.uri.toString() || !dir.path.startsWith(folder.uri.path)) break;
        dir = vscode.Uri.joinPath(dir, '..');
      }
    } else {
      candidates.push(vscode.Uri.joinPath(dir, SUPPRESSIONS_FILE));
      for (const f of vscode.workspace.workspaceFolders ?? []) candidates.push(vscode.Uri.joinPath(f.uri, SUPPRESSIONS_FILE));
    }
    for (const file of candidates) {
      let bytes: Uint8Array;
      try {
        bytes = await vscode.workspace.fs.readFile(file);
      } catch {
        continue;
      }
      const parsed = parseSuppressions(new TextDecoder().decode(bytes));
      for (const e of parsed.errors) this.ctx.output.warn(`${file.fsPath || file.toString()}: ${e}`);
      const base = vscode.Uri.joinPath(file, '..').path;
      const relativePath = path.posix.relative(base, uri.path);
      return { file, rules: parsed.rules, errors: parsed.errors, relativePath };
    }
    return undefined;
  }

  dispose(): void {
    this.cache.clear();
  }
}

function programOf(s: vscode.DebugSession): vscode.Uri | undefined {
  const p: unknown = s.configuration.program;
  return typeof p === 'string' && p ? vscode.Uri.file(p) : undefined;
}
