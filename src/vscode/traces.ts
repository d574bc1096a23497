// TraceService: the one owner of analyses in the extension. Diagnostics, hovers, navigation,
// commands, the lock panel, C/C++ source annotations and the inline debug adapter all ask it, and
// get the same analysis object for the same trace and options, computed once. It loads through
// src/load (small traces in-process, big ones in the analysis worker with a cancellable progress
// notification, so the extension host's thread never analyses a big trace), applies the
// `locktrace.findings.kinds` setting and `.locktrace.json` suppressions (src/load's
// selectFindings), caches by source (the file on disk by mtime and size, or an editor's unsaved
// text by version) and options, and drops what a change on disk made stale (file watchers), so
// every feature reads the new content. It also tracks the *active trace* (the one being debugged,
// or the last one opened or checked) with the debugger's position in it (from the adapter's
// `locktraceState` events), and owns the status bar item and `locktrace.selectActiveTrace`.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Analysis, FINDING_KINDS, Finding, FindingKind, FormatOption, ReadLockRule, Replay, TraceError, analysisProbe } from '../core';
import { SUPPRESSIONS_FILE, SuppressedFinding, parseSuppressions } from '../core/suppress';
import { TraceIndex } from '../editor/traceIndex';
import {
  DEFAULT_WORKER_THRESHOLD,
  LoadProgress,
  LoadedAnalysis,
  Suppressions,
  TraceSource,
  isCancelled,
  loadAnalysis,
  selectFindings,
} from '../load';
import { LocktraceContext } from './context';
import { Commands, DEBUG_TYPE, LANGUAGE_ID, PREFIX, STATUS_BAR_ITEMS } from './ids';
/** A burst of change events while a file is being written becomes one re-read. */
const DISK_CHANGE_DELAY_MS = 200;

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

/** Options of one analysis; unset ones come from the trace's `locktrace.*` settings. */
export interface TraceRequest {
  format?: FormatOption;
  readLocks?: ReadLockRule;
  /**
   * Analyse the file on disk even when an editor holds unsaved changes (the debugger reads event
   * lines from the file, so its analysis must be the file's).
   */
  fromDisk?: boolean;
}

/** An analysed trace (or why it could not be read) as seen with the current settings. */
export interface TraceResult {
  uri: vscode.Uri;
  /** Version of the open document when asked (-1: no document). */
  version: number;
  /** Undefined when the file is not a readable trace (see `error`). Its `findings` are the reported ones. */
  analysis?: LoadedAnalysis;
  /** Lookup tables for editor features (undefined with `analysis`). */
  index?: TraceIndex;
  /** Replay engine over the analysis (created on first use, shared). */
  readonly replay?: Replay;
  /** Findings to report: kinds enabled in the settings, suppressions applied (`analysis.findings`). */
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

/**
 * What the integration tests read through the extension's API (`exports.testing`): every analysis
 * the analyzer started on the extension host's own thread, and every load the service made.
 */
export interface TraceServiceProbe {
  /** Analyses run on the extension host's thread (trace name, events, bytes), oldest first. */
  hostAnalyses(): { file: string; events: number; bytes: number }[];
  /** Loads made by the service (trace name, options, where it ran), oldest first. */
  loads(): { file: string; format: FormatOption; readLocks: ReadLockRule; source: 'disk' | 'text'; inWorker: boolean }[];
  reset(): void;
}

/** An analysis as loaded, before the finding kinds and suppressions of a generation are applied. */
interface Raw {
  analysis?: LoadedAnalysis;
  index?: TraceIndex;
  error?: TraceResult['error'];
  inWorker: boolean;
}

/** A TraceResult without the per-call `version`. */
type Derived = Omit<TraceResult, 'version' | 'replay'>;

interface CacheEntry {
  uri: vscode.Uri;
  slot: 'disk' | 'text';
  /** What was read: `mtime:size` of the file, or the document version of unsaved text. */
  stamp: string;
  raw: Promise<Raw>;
  derived?: { generation: number; result: Promise<Derived> };
}

const PROBE_LIMIT = 200;

export class TraceService implements vscode.Disposable {
  /** Analyses by `uri|format|readLocks|slot`. */
  private readonly cache = new Map<string, CacheEntry>();
  /** The last result per URI (any options), for the status bar and `peek`. */
  private readonly last = new Map<string, TraceResult>();
  private readonly watchers = new Map<string, vscode.Disposable>();
  private readonly diskTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly replays = new WeakMap<Analysis, Replay>();
  /** URIs a feature shows without an editor (the lock panel): kept like the active trace. */
  private readonly pinned = new Map<string, number>();
  /** Bumped when settings or suppression files change: derived results are recomputed. */
  private generation = 0;
  private activeUri: vscode.Uri | undefined;
  private position: TracePosition | undefined;
  private readonly activeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  private readonly positionEmitter = new vscode.EventEmitter<TracePosition | undefined>();
  private readonly resultEmitter = new vscode.EventEmitter<TraceResult>();
  private readonly invalidateEmitter = new vscode.EventEmitter<void>();
  private readonly diskEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly status: vscode.StatusBarItem;
  private debugSession: vscode.DebugSession | undefined;
  private readonly hostAnalyses: ReturnType<TraceServiceProbe['hostAnalyses']> = [];
  private readonly loadLog: ReturnType<TraceServiceProbe['loads']> = [];

  /** The active trace changed (undefined: none). */
  readonly onDidChangeActive = this.activeEmitter.event;
  /** The debugger moved in the active trace (undefined: the session ended). */
  readonly onDidChangePosition = this.positionEmitter.event;
  /** A trace was (re)analysed or its findings re-derived. */
  readonly onDidAnalyze = this.resultEmitter.event;
  /** Settings or suppressions changed: results should be fetched again. */
  readonly onDidInvalidate = this.invalidateEmitter.event;
  /** A trace file changed on disk: its cached analyses are gone, the next `get` reads it again. */
  readonly onDidChangeOnDisk = this.diskEmitter.event;

  /** For the integration tests only (see TraceServiceProbe). */
  readonly probe: TraceServiceProbe = {
    hostAnalyses: () => [...this.hostAnalyses],
    loads: () => [...this.loadLog],
    reset: () => {
      this.hostAnalyses.length = 0;
      this.loadLog.length = 0;
    },
  };

  constructor(private readonly ctx: LocktraceContext) {
    this.status = vscode.window.createStatusBarItem(STATUS_BAR_ITEMS.activeTrace, vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'locktrace: active trace';
    this.status.command = Commands.selectActiveTrace;
    // the analyzer says when it starts on this thread (the worker's analyses run in another module instance)
    analysisProbe.started = (store) => {
      this.hostAnalyses.push({ file: store.file, events: store.length, bytes: store.bytes });
      if (this.hostAnalyses.length > PROBE_LIMIT) this.hostAnalyses.shift();
    };
    const subs: vscode.Disposable[] = [
      this.activeEmitter,
      this.positionEmitter,
      this.resultEmitter,
      this.invalidateEmitter,
      this.diskEmitter,
      this.status,
      { dispose: () => (analysisProbe.started = undefined) },
    ];
    subs.push(
      vscode.commands.registerCommand(Commands.selectActiveTrace, (uri?: vscode.Uri | string) => this.selectActive(uri)),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && e.document.languageId === LANGUAGE_ID && !this.debugSession) this.setActive(e.document.uri);
      }),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (d.languageId === LANGUAGE_ID && !this.activeUri && !this.debugSession) this.setActive(d.uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // keep the last result (the active trace may be closed), drop others
        this.forget(d.uri);
      }),
      vscode.debug.onDidStartDebugSession((s) => {
        const program = programOf(s);
        if (s.type !== DEBUG_TYPE || !program) return;
        this.debugSession = s;
        this.setActive(program);
      }),
      this.ctx.onReplayState((session, body) => {
        const uri = programOf(session);
        if (!uri) return;
        this.debugSession = session;
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
    for (const e of this.cache.values()) seen.set(e.uri.toString(), e.uri);
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
    const last = this.last.get(uri.toString());
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

  /**
   * Keeps a trace's analyses, and the watch on its file, while the returned disposable is not
   * disposed, even when no editor shows it (the lock panel pins its trace).
   */
  pin(uri: vscode.Uri): vscode.Disposable {
    const k = uri.toString();
    this.pinned.set(k, (this.pinned.get(k) ?? 0) + 1);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const n = (this.pinned.get(k) ?? 1) - 1;
        if (n > 0) this.pinned.set(k, n);
        else this.pinned.delete(k);
      },
    };
  }

  /** Drops the cached analyses of a URI that is no longer open (kept for the active trace and pinned ones). */
  forget(uri: vscode.Uri): void {
    const k = uri.toString();
    if (k === this.activeUri?.toString() || this.pinned.has(k)) return;
    this.drop(k, () => true);
    this.last.delete(k);
  }

  /** The last result computed for a URI, without waiting (hovers use `get`). */
  peek(uri: vscode.Uri): TraceResult | undefined {
    return this.last.get(uri.toString());
  }

  /**
   * Parses and analyses a trace (an open document's unsaved text when it has any, else the file),
   * cached by source and options. Never rejects for bad input: `error` says why. Rejects with
   * vscode.CancellationError when `token` is cancelled (the shared analysis keeps running).
   */
  async get(target: vscode.Uri | vscode.TextDocument, token?: vscode.CancellationToken, request: TraceRequest = {}): Promise<TraceResult> {
    const uri = target instanceof vscode.Uri ? target : target.uri;
    const doc = target instanceof vscode.Uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : target;
    const format = request.format ?? this.ctx.settings(uri).get<FormatOption>('format', 'auto');
    const readLocks = request.readLocks ?? this.ctx.settings(uri).get<ReadLockRule>('readLocks', 'non-recursive');
    const version = doc ? doc.version : -1;
    const useText = !!doc && !request.fromDisk && (doc.isDirty || uri.scheme !== 'file');
    const slot = useText ? 'text' : 'disk';
    const stamp = useText ? `v${version}` : await this.diskStamp(uri);
    const k = `${uri.toString()}|${format}|${readLocks}|${slot}`;
    let entry = this.cache.get(k);
    if (!entry || entry.stamp !== stamp) {
      entry = { uri, slot, stamp, raw: this.load(uri, useText ? doc : undefined, format, readLocks) };
      this.cache.set(k, entry);
      if (slot === 'disk' && uri.scheme === 'file') this.watch(uri);
    }
    const generation = this.generation;
    let derived = entry.derived;
    if (!derived || derived.generation !== generation) {
      const e = entry;
      const result = e.raw.then((raw) => this.derive(uri, raw));
      derived = e.derived = { generation, result };
      void result.then((d) => {
        if (this.cache.get(k) !== e) return;
        if (d.error?.cancelled) this.cache.delete(k); // ask again next time
        const r = this.view(d, version);
        this.last.set(uri.toString(), r);
        this.resultEmitter.fire(r);
        if (uri.toString() === this.activeUri?.toString()) this.updateStatus();
      });
    }
    const result = derived.result.then((d) => this.view(d, version));
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

  /**
   * The analysis of a trace file for the debugger (the file on disk, the given options, the
   * settings' finding kinds and suppressions): the same object the other features get. Throws with
   * the reason (a TraceError's message names the file and line) when it cannot be read.
   */
  async analysisFor(uri: vscode.Uri, request: Omit<TraceRequest, 'fromDisk'>): Promise<LoadedAnalysis> {
    const r = await this.get(uri, undefined, { ...request, fromDisk: true });
    if (!r.analysis) throw new Error(r.error?.message ?? 'not a trace');
    return r.analysis;
  }

  private view(d: Derived, version: number): TraceResult {
    const replays = this.replays;
    return {
      ...d,
      version,
      get replay() {
        const a = d.analysis;
        if (!a) return undefined;
        let r = replays.get(a);
        if (!r) replays.set(a, (r = new Replay(a)));
        return r;
      },
    };
  }

  private async diskStamp(uri: vscode.Uri): Promise<string> {
    try {
      if (uri.scheme === 'file') {
        const st = await fs.promises.stat(uri.fsPath);
        return `${st.mtimeMs}:${st.size}`;
      }
      const st = await vscode.workspace.fs.stat(uri);
      return `${st.mtime}:${st.size}`;
    } catch {
      return 'missing';
    }
  }

  /** Loads a trace through src/load: the worker for big ones, under a cancellable progress notification. */
  private async load(uri: vscode.Uri, doc: vscode.TextDocument | undefined, format: FormatOption, readLocks: ReadLockRule): Promise<Raw> {
    const name = uri.scheme === 'file' ? uri.fsPath : uri.toString();
    const threshold = this.ctx.settings(uri).get<number>('analysis.workerThreshold', DEFAULT_WORKER_THRESHOLD);
    const abort = new AbortController();
    let notification: ProgressNotification | undefined;
    const started = Date.now();
    try {
      let source: TraceSource;
      if (doc) source = { text: doc.getText(), name };
      else if (uri.scheme === 'file') source = { path: uri.fsPath, name };
      else source = { text: await vscode.workspace.fs.readFile(uri), name };
      const analysis = await loadAnalysis(
        source,
        {
          format,
          readLocks,
          workerThreshold: threshold,
          workerScript: vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'out', 'analysisWorker.js').fsPath,
        },
        {
          signal: abort.signal,
          onProgress: (p: LoadProgress) => {
            if (!p.inWorker) return;
            notification ??= new ProgressNotification(`locktrace: analysing ${path.basename(uri.path)}`, () => {
              this.ctx.output.debug(`analysis of ${name} cancelled`);
              abort.abort();
            });
            notification.report(`${p.message} ${Math.min(100, Math.round(p.percent))}%`, p.percent);
          },
        },
      );
      this.loadLog.push({ file: name, format, readLocks, source: doc ? 'text' : 'disk', inWorker: analysis.inWorker });
      if (this.loadLog.length > PROBE_LIMIT) this.loadLog.shift();
      if (!analysis.inWorker) return { analysis, index: new TraceIndex(analysis), inWorker: false };
      this.ctx.output.debug(
        `analysed ${name} in a worker: ${analysis.store.length} events, ${analysis.all.findings.length} finding(s), ${Date.now() - started} ms`,
      );
      // the editor's index of a big trace is built here in slices, so the host never freezes; Cancel stops it
      notification?.report('indexing for hovers and navigation');
      const pause = () => (abort.signal.aborted ? Promise.reject(new Error('cancelled')) : new Promise<void>((r) => setTimeout(r, 0)));
      try {
        const index = await TraceIndex.build(analysis, undefined, pause);
        return { analysis, index, inWorker: true };
      } catch (e) {
        if (abort.signal.aborted) return { error: { message: 'analysis cancelled', line: 0, cancelled: true }, inWorker: true };
        return { error: { message: `indexing failed: ${String(e)}`, line: 0 }, inWorker: true };
      }
    } catch (e) {
      if (isCancelled(e)) return { error: { message: 'analysis cancelled', line: 0, cancelled: true }, inWorker: true };
      if (e instanceof TraceError) return { error: { message: e.message, line: e.line }, inWorker: false };
      const message = e instanceof Error ? e.message : String(e);
      this.ctx.output.error(`analysing ${name}: ${message}`);
      return { error: { message, line: 0 }, inWorker: false };
    } finally {
      notification?.done();
    }
  }

  /** Applies the finding kinds and suppressions of now to a loaded analysis. */
  private async derive(uri: vscode.Uri, raw: Raw): Promise<Derived> {
    const kinds = this.ctx.settings(uri).get<FindingKind[]>('findings.kinds', [...FINDING_KINDS]);
    const sup = this.ctx.settings(uri).get<boolean>('suppressions.enabled', true) ? await this.suppressionsFor(uri) : undefined;
    const analysis = raw.analysis
      ? selectFindings(
          raw.analysis,
          {
            kinds,
            suppressions: sup && {
              file: sup.file.toString(),
              rules: sup.rules,
              errors: sup.errors,
              relativePath: sup.relativePath,
              hierarchy: sup.hierarchy,
            },
          },
          raw.inWorker,
        )
      : undefined;
    return {
      uri,
      analysis,
      index: raw.index,
      findings: analysis?.findings ?? [],
      suppressed: analysis?.suppressed ?? [],
      suppressionsFile: sup?.file,
      suppressionErrors: sup?.errors ?? [],
      error: raw.error,
      inWorker: raw.inWorker,
    };
  }

  /**
   * The `.locktrace.json` for a trace: next to it, then each parent folder up to its workspace
   * folder; for a trace outside the workspace, its folder, then the workspace folders.
   */
  async suppressionsFor(uri: vscode.Uri): Promise<(Omit<Suppressions, 'file'> & { file: vscode.Uri }) | undefined> {
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
      return { file, rules: parsed.rules, errors: parsed.errors, relativePath, hierarchy: parsed.hierarchy };
    }
    return undefined;
  }

  // --- changes on disk --------------------------------------------------------------------

  /** Watches a trace file the cache holds an analysis of (inside or outside the workspace). */
  private watch(uri: vscode.Uri): void {
    const k = uri.toString();
    if (this.watchers.has(k)) return;
    const w = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)),
    );
    const changed = () => this.changedOnDisk(uri);
    this.watchers.set(k, vscode.Disposable.from(w, w.onDidChange(changed), w.onDidCreate(changed), w.onDidDelete(changed)));
  }

  private changedOnDisk(uri: vscode.Uri): void {
    const k = uri.toString();
    clearTimeout(this.diskTimers.get(k));
    this.diskTimers.set(
      k,
      setTimeout(() => {
        this.diskTimers.delete(k);
        // analyses of the file are stale; unsaved text in an editor is not
        const dropped = this.drop(k, (e) => e.slot === 'disk', false);
        if (!dropped) return;
        this.ctx.output.info(`${uri.fsPath} changed on disk: reading it again`);
        this.diskEmitter.fire(uri);
        // whoever shows it (diagnostics, the status bar, the lock panel, source features) gets the new result
        if (this.last.has(k)) void this.get(uri).catch(() => undefined);
      }, DISK_CHANGE_DELAY_MS),
    );
  }

  /** Drops the cache entries of a URI that `which` accepts; the watcher goes when none is left. */
  private drop(k: string, which: (e: CacheEntry) => boolean, unwatch = true): boolean {
    let dropped = false;
    for (const [key, e] of this.cache) {
      if (e.uri.toString() !== k || !which(e)) continue;
      this.cache.delete(key);
      dropped = true;
    }
    if (unwatch && ![...this.cache.values()].some((e) => e.uri.toString() === k && e.slot === 'disk')) {
      this.watchers.get(k)?.dispose();
      this.watchers.delete(k);
    }
    return dropped;
  }

  dispose(): void {
    this.cache.clear();
    this.last.clear();
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
    for (const t of this.diskTimers.values()) clearTimeout(t);
  }
}

/** A cancellable progress notification opened on demand; reports before VS Code runs the task are kept. */
class ProgressNotification {
  private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  private pending: { message: string; percent?: number } | undefined;
  private reported = 0;
  private finish: () => void = () => undefined;
  private finished = false;

  constructor(title: string, onCancel: () => void) {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      token.onCancellationRequested(onCancel);
      this.progress = progress;
      if (this.pending) this.report(this.pending.message, this.pending.percent);
      return this.finished ? Promise.resolve() : new Promise<void>((r) => (this.finish = r));
    });
  }

  report(message: string, percent?: number): void {
    if (!this.progress) {
      this.pending = { message, percent };
      return;
    }
    const pct = percent === undefined ? this.reported : Math.min(100, Math.round(percent));
    if (percent !== undefined && pct <= this.reported) return;
    this.progress.report({ message, increment: pct - this.reported });
    this.reported = pct;
  }

  done(): void {
    this.finished = true;
    this.finish();
  }
}

function programOf(s: vscode.DebugSession): vscode.Uri | undefined {
  const p: unknown = s.configuration.program;
  return typeof p === 'string' && p ? vscode.Uri.file(p) : undefined;
}
