// Lock annotations in C/C++ sources, driven by the active trace: hovers on lock expressions and
// annotations (class, acquisitions, ordering edges, holders at the debugger's position, findings),
// diagnostics at the source sites of inversions and leaked locks (exact recorded call sites, else
// every matching site in open files, marked "possible site"), CodeLens above functions that take or
// are annotated with locks, and `locktrace.showLockInTrace`. The scanning and matching live in
// src/source (pure); this file only translates them to VS Code objects.
// Lazy by design: only open C/C++ documents and files named by the active trace's call sites are
// read; nothing is indexed on activation.
import * as vscode from 'vscode';
import { Analysis, EdgeOrigin, EventKind, Finding, Replay } from '../core';
import { ClassIndex, LockSite, RecordedSite, SiteMatch, SourceScan, basename, scanSource } from '../source';
import { LocktraceContext } from './context';
import { Commands, PREFIX } from './ids';

/** Commands of other features the hover links to (src/vscode/editor.ts, panel.ts). */

const SELECTOR: vscode.DocumentSelector = [{ language: 'c' }, { language: 'cpp' }];
const LANGUAGES = new Set(['c', 'cpp']);
const MAX_LIST = 8;

/** What this feature needs from the TraceService (src/vscode/traces.ts); structural, so tests can fake it. */
export interface ActiveTraces {
  readonly active: vscode.Uri | undefined;
  /** The debugger's event index in the active trace, when it is being debugged. */
  readonly activeIndex: number | undefined;
  readonly onDidChangeActive: vscode.Event<vscode.Uri | undefined>;
  readonly onDidChangePosition: vscode.Event<unknown>;
  readonly onDidAnalyze: vscode.Event<{ uri: vscode.Uri }>;
  readonly onDidInvalidate: vscode.Event<void>;
  get(uri: vscode.Uri): Promise<{ analysis?: Analysis; readonly replay?: Replay; findings: Finding[] }>;
  setActive(uri: vscode.Uri | undefined): void;
}

// --- line bases: the core's trace lines and recorded site lines are 1-based; vscode.Position 0-based.
const toEditorLine = (line1: number): number => Math.max(0, line1 - 1);

/** The active trace, ready for source matching. */
interface Model {
  uri: vscode.Uri;
  analysis: Analysis;
  replay?: Replay;
  findings: Finding[];
  index: ClassIndex;
}

export function registerSource(ctx: LocktraceContext, traces: ActiveTraces): void {
  const feature = new SourceFeature(ctx, traces);
  ctx.track(feature);
}

class SourceFeature implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(`${PREFIX}.source`);
  private readonly scans = new Map<string, { version: number; scan: SourceScan }>();
  private readonly indexes = new WeakMap<Analysis, ClassIndex>();
  private readonly lensEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.lensEmitter];
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: LocktraceContext,
    private readonly traces: ActiveTraces,
  ) {
    const d = this.disposables;
    d.push(
      vscode.languages.registerHoverProvider(SELECTOR, { provideHover: (doc, pos, token) => this.hover(doc, pos, token) }),
      vscode.languages.registerCodeLensProvider(SELECTOR, {
        onDidChangeCodeLenses: this.lensEmitter.event,
        provideCodeLenses: (doc) => this.codeLenses(doc),
      }),
      vscode.commands.registerCommand(Commands.showLockInTrace, (className?: string) => this.showLockInTrace(className)),
      traces.onDidChangeActive(() => this.changed()),
      traces.onDidAnalyze((r) => {
        if (r.uri.toString() === traces.active?.toString()) this.changed();
      }),
      traces.onDidInvalidate(() => this.changed()),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (LANGUAGES.has(doc.languageId)) this.schedule();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (LANGUAGES.has(e.document.languageId)) this.schedule();
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.scans.delete(doc.uri.toString());
      }),
    );
    if (traces.active) this.schedule();
  }

  // --- the active trace --------------------------------------------------------------------

  private async model(): Promise<Model | undefined> {
    const uri = this.traces.active;
    if (!uri) return undefined;
    const r = await this.traces.get(uri);
    if (!r.analysis) return undefined;
    let index = this.indexes.get(r.analysis);
    if (!index) {
      index = new ClassIndex(r.analysis.store.classes.values, recordedSites(r.analysis));
      this.indexes.set(r.analysis, index);
    }
    return { uri, analysis: r.analysis, replay: r.replay, findings: r.findings, index };
  }

  private scan(doc: vscode.TextDocument): SourceScan {
    const k = doc.uri.toString();
    const cached = this.scans.get(k);
    if (cached && cached.version === doc.version) return cached.scan;
    const scan = scanSource(doc.getText());
    this.scans.set(k, { version: doc.version, scan });
    return scan;
  }

  private changed(): void {
    this.lensEmitter.fire();
    this.schedule(0);
  }

  /** Recomputes diagnostics soon (debounced: typing in a C file rescans once). */
  private schedule(delayMs = 300): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshing = this.refreshing
        .then(() => this.refreshDiagnostics())
        .catch((e) => this.ctx.output.error(`source diagnostics: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    }, delayMs);
  }

  // --- diagnostics -------------------------------------------------------------------------

  private async refreshDiagnostics(): Promise<void> {
    const model = await this.model();
    const out = new Map<string, { uri: vscode.Uri; list: vscode.Diagnostic[] }>();
    const add = (uri: vscode.Uri, d: vscode.Diagnostic) => {
      const k = uri.toString();
      let e = out.get(k);
      if (!e) out.set(k, (e = { uri, list: [] }));
      if (!e.list.some((x) => x.range.isEqual(d.range) && x.message === d.message)) e.list.push(d);
    };
    if (model) {
      const store = model.analysis.store;
      for (const f of model.findings) {
        if (f.kind === 'inversion' && f.cycle?.length) {
          const related = f.cycle.flatMap((e) => edgeRelated(model.uri, e));
          const exact: { ev: number; message: string }[] = [];
          for (const e of f.cycle) {
            exact.push({ ev: e.eventIndex, message: `takes ${e.to} while holding ${e.from}` });
            exact.push({ ev: e.fromEventIndex, message: `takes ${e.from}, then ${e.to} under it` });
          }
          const cycleText = [...f.cycle.map((e) => e.from), f.cycle[0].from].join(' → ');
          const head = `lock-order inversion${f.order ? ` (${f.order})` : ''}: ${cycleText}`;
          const placed = await this.placeExact(
            model,
            exact.filter((x) => store.sites.has(x.ev)),
            (m) => `${head}: ${m} (trace line ${f.line}, ${f.comm}/${f.pid}${f.syscall ? ` in ${f.syscall}` : ''})`,
            related,
            add,
          );
          if (!placed) {
            this.placePossible(
              model,
              new Set(f.locks),
              (cls) => `possible site: takes ${cls}, part of a ${head} (trace line ${f.line})`,
              related,
              add,
            );
          }
        } else if (f.kind === 'held-across-syscall') {
          const cls = f.locks[0];
          const acq = this.acquisitionOf(model, f, cls);
          const related = [
            new vscode.DiagnosticRelatedInformation(
              new vscode.Location(model.uri, new vscode.Position(toEditorLine(f.line), 0)),
              `${f.syscall ?? 'the syscall'} returned to userspace with ${cls} held`,
            ),
          ];
          if (acq)
            related.push(
              new vscode.DiagnosticRelatedInformation(
                new vscode.Location(model.uri, new vscode.Position(toEditorLine(acq.line), 0)),
                `${cls} acquired here`,
              ),
            );
          const head = `${cls} held across a syscall boundary: ${f.comm}/${f.pid} returned from ${f.syscall ?? 'a syscall'} with it held (trace line ${f.line})`;
          const placed =
            acq && store.sites.has(acq.ev)
              ? await this.placeExact(model, [{ ev: acq.ev, message: 'acquired here' }], (m) => `${head}; ${m}`, related, add)
              : false;
          if (!placed) this.placePossible(model, new Set([cls]), () => `possible site: ${head}`, related, add);
        }
      }
    }
    this.diagnostics.clear();
    for (const { uri, list } of out.values()) this.diagnostics.set(uri, list);
  }

  /** The acquisition (event and line) of the lock a held-across-syscall finding leaked. */
  private acquisitionOf(model: Model, f: Finding, cls: string): { ev: number; line: number } | undefined {
    const replay = model.replay;
    if (!replay) return undefined;
    const held = replay.holdersOfClass(cls, f.eventIndex).find((h) => h.task.pid === f.pid);
    return held ? { ev: held.held.eventIndex, line: held.held.line } : undefined;
  }

  /** Diagnostics at recorded call sites; false when none of them could be placed in a file. */
  private async placeExact(
    model: Model,
    events: { ev: number; message: string }[],
    message: (m: string) => string,
    related: vscode.DiagnosticRelatedInformation[],
    add: (uri: vscode.Uri, d: vscode.Diagnostic) => void,
  ): Promise<boolean> {
    let placed = false;
    for (const { ev, message: m } of events) {
      const site = model.analysis.store.sites.get(ev);
      if (!site?.file || !site.line) continue;
      const doc = await this.openSiteFile(site.file, model.uri);
      if (!doc) continue;
      const line0 = toEditorLine(site.line);
      const range = this.rangeOnLine(doc, line0);
      const d = new vscode.Diagnostic(range, message(m), vscode.DiagnosticSeverity.Warning);
      d.source = PREFIX;
      d.code = 'inversion';
      d.relatedInformation = related;
      add(doc.uri, d);
      placed = true;
    }
    return placed;
  }

  /** Diagnostics at every acquisition site in open C/C++ files that matches one of `classes`. */
  private placePossible(
    model: Model,
    classes: Set<string>,
    message: (cls: string) => string,
    related: vscode.DiagnosticRelatedInformation[],
    add: (uri: vscode.Uri, d: vscode.Diagnostic) => void,
  ): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (!LANGUAGES.has(doc.languageId)) continue;
      const scan = this.scan(doc);
      for (const site of scan.sites) {
        if (site.kind !== 'acquire' && site.kind !== 'wait') continue;
        const m = model.index.match(site, scan, doc.uri.fsPath || doc.uri.path);
        if (m.ambiguous) continue;
        for (const cls of m.classes) {
          if (!classes.has(cls)) continue;
          const d = new vscode.Diagnostic(siteRange(doc, site), message(cls), vscode.DiagnosticSeverity.Warning);
          d.source = PREFIX;
          d.relatedInformation = related;
          add(doc.uri, d);
        }
      }
    }
  }

  /** The lock call on a line (its whole call), else the line's text. */
  private rangeOnLine(doc: vscode.TextDocument, line0: number): vscode.Range {
    if (line0 >= doc.lineCount) return new vscode.Range(line0, 0, line0, 0);
    const scan = this.scan(doc);
    const sites = scan.sitesOnLine(line0).filter((s) => s.kind === 'acquire' || s.kind === 'wait');
    if (sites.length) return siteRange(doc, sites[0]);
    const l = doc.lineAt(line0);
    return new vscode.Range(line0, l.firstNonWhitespaceCharacterIndex, line0, l.range.end.character);
  }

  /** Opens (without showing) a file named by a recorded call site: absolute, open by path suffix, or under the trace's folder / workspace folders. */
  private async openSiteFile(file: string, traceUri: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    const norm = file.replace(/\\/g, '/');
    const open = vscode.workspace.textDocuments.find(
      (d) => d.uri.scheme === 'file' && (d.uri.fsPath === file || d.uri.path.endsWith(`/${norm.replace(/^\/+/, '')}`)),
    );
    if (open) return open;
    const candidates: vscode.Uri[] = [];
    if (norm.startsWith('/')) candidates.push(vscode.Uri.file(file));
    else {
      candidates.push(vscode.Uri.joinPath(traceUri, '..', norm));
      for (const f of vscode.workspace.workspaceFolders ?? []) candidates.push(vscode.Uri.joinPath(f.uri, norm));
    }
    for (const c of candidates) {
      try {
        await vscode.workspace.fs.stat(c);
        return await vscode.workspace.openTextDocument(c);
      } catch {
        // try the next place
      }
    }
    return undefined;
  }

  // --- hover -------------------------------------------------------------------------------

  private async hover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const scan = this.scan(doc);
    const site = scan.sitesAt(doc.offsetAt(pos))[0];
    if (!site) return undefined;
    const model = await this.model();
    if (!model || token.isCancellationRequested) return undefined;
    const m = model.index.match(site, scan, doc.uri.fsPath || doc.uri.path);
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: [Commands.revealLine, Commands.debugToLine, Commands.showLockInTrace, Commands.showPanel] };
    md.supportHtml = false;
    const traceName = basename(model.uri.path);
    if (!m.classes.length) {
      md.appendMarkdown(
        `**locktrace** · \`${site.callee}\`: no lock class of *${escapeMd(traceName)}* matches ${code(site.expr?.text ?? site.argText)}`,
      );
      if (m.detail !== 'no class in the trace matches') md.appendMarkdown(` (${m.detail})`);
      return new vscode.Hover(md, siteRange(doc, site));
    }
    if (m.ambiguous) {
      md.appendMarkdown(
        `**locktrace** · ${code(site.expr?.text ?? site.argText)} is **ambiguous** in *${escapeMd(traceName)}*: ${m.detail}\n\n`,
      );
      for (const c of m.classes)
        md.appendMarkdown(
          `- ${code(c)} — ${acquisitions(model.analysis, c)} acquisitions · ${commandLink('show in trace', Commands.showLockInTrace, [c])}\n`,
        );
      return new vscode.Hover(md, siteRange(doc, site));
    }
    for (const cls of m.classes) this.describeClass(md, model, cls, m, site);
    return new vscode.Hover(md, siteRange(doc, site));
  }

  private describeClass(md: vscode.MarkdownString, model: Model, cls: string, m: SiteMatch, site: LockSite): void {
    const g = model.analysis.graph;
    const trace = model.uri.toString();
    const lineLink = (line: number) => commandLink(`line ${line}`, Commands.revealLine, [trace, line]);
    md.appendMarkdown(
      `**locktrace** · lock class ${code(cls)} · ${site.kind === 'acquire' ? `${site.try ? 'try' : ''}${site.read ? 'read ' : ''}acquisition` : site.kind.replace('annotate-', '')} · matched ${howText(m)}\n\n`,
    );
    const attrs = g.hasNode(cls) ? g.getNodeAttributes(cls) : undefined;
    md.appendMarkdown(
      `Taken **${attrs?.acquisitions ?? 0}** time${attrs?.acquisitions === 1 ? '' : 's'} in *${escapeMd(basename(model.uri.path))}*${attrs?.contentions ? `, contended ${attrs.contentions}×` : ''}${attrs ? ` (first at ${lineLink(model.analysis.store.line[attrs.firstEvent])})` : ''}\n\n`,
    );
    if (attrs) {
      const inbound: { other: string; a: EdgeOrigin & { count: number } }[] = [];
      const outbound: { other: string; a: EdgeOrigin & { count: number } }[] = [];
      g.forEachInEdge(cls, (_k, a, src) => inbound.push({ other: src, a }));
      g.forEachOutEdge(cls, (_k, a, _s, dst) => outbound.push({ other: dst, a }));
      const edge = (e: { other: string; a: EdgeOrigin & { count: number } }) =>
        `- ${code(e.other)} — ${e.a.count}×, first ${lineLink(e.a.line)} by ${escapeMd(e.a.comm)}/${e.a.pid}${e.a.syscall ? ` in \`${e.a.syscall}\`` : ''}${e.a.crossSyscall ? ` (held across a syscall boundary${e.a.fromSyscall ? ` since \`${e.a.fromSyscall}\`` : ''})` : ''}\n`;
      if (inbound.length) {
        md.appendMarkdown(`**Held when it was taken** (A → ${code(cls)}):\n\n`);
        for (const e of sortEdges(inbound).slice(0, MAX_LIST)) md.appendMarkdown(edge(e));
        if (inbound.length > MAX_LIST) md.appendMarkdown(`- … ${inbound.length - MAX_LIST} more\n`);
        md.appendMarkdown('\n');
      }
      if (outbound.length) {
        md.appendMarkdown(`**Taken under it** (${code(cls)} → B):\n\n`);
        for (const e of sortEdges(outbound).slice(0, MAX_LIST)) md.appendMarkdown(edge(e));
        if (outbound.length > MAX_LIST) md.appendMarkdown(`- … ${outbound.length - MAX_LIST} more\n`);
        md.appendMarkdown('\n');
      }
      if (!inbound.length && !outbound.length) md.appendMarkdown('No ordering edges: never held together with another lock.\n\n');
    }
    const idx = this.traces.activeIndex;
    if (idx !== undefined && model.replay) {
      const holders = model.replay.holdersOfClass(cls, idx);
      const at = model.analysis.store.line[Math.max(0, Math.min(idx, model.analysis.store.length - 1))];
      md.appendMarkdown(
        holders.length
          ? `**At the debugger's position** (line ${at}): ${holders.map((h) => `${escapeMd(h.task.comm)}/${h.task.pid} ${h.held.pending ? 'waits for it' : 'holds it'} since ${lineLink(h.held.line)}${h.held.syscall ? ` (\`${h.held.syscall}\`)` : ''}`).join('; ')}\n\n`
          : `**At the debugger's position** (line ${at}): nobody holds it.\n\n`,
      );
    }
    const findings = model.findings.filter((f) => f.locks.includes(cls));
    if (findings.length) {
      md.appendMarkdown('**Findings:**\n\n');
      for (const f of findings.slice(0, MAX_LIST)) {
        md.appendMarkdown(
          `- ${f.kind}${f.order ? ` (${f.order})` : ''}: ${escapeMd(f.locks.join(', '))} at ${lineLink(f.line)} by ${escapeMd(f.comm)}/${f.pid}${f.syscall ? ` in \`${f.syscall}\`` : ''} · ${commandLink('debug to here', Commands.debugToLine, [trace, f.line])}\n`,
        );
      }
      md.appendMarkdown('\n');
    }
    md.appendMarkdown(
      `${commandLink('$(references) Show lock in trace', Commands.showLockInTrace, [cls])} · ${commandLink('$(layers) Lock panel', Commands.showPanel, [trace])}\n\n`,
    );
  }

  // --- CodeLens ----------------------------------------------------------------------------

  private async codeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const model = await this.model();
    if (!model) return [];
    const scan = this.scan(doc);
    const file = doc.uri.fsPath || doc.uri.path;
    const lenses: vscode.CodeLens[] = [];
    const recordedLines = model.index.recordedLines(file);
    for (const fn of scan.functions) {
      const end = fn.bodyEnd >= 0 ? fn.bodyEnd : fn.paramsEnd;
      const sites = scan.sites.filter(
        (s) =>
          s.start >= fn.start &&
          s.start < end &&
          (s.kind === 'acquire' || s.kind === 'wait' || s.kind === 'annotate-acquires' || s.kind === 'assert'),
      );
      const annotated = sites.some((s) => s.kind === 'annotate-acquires' || s.callee.startsWith('__must_hold'));
      if (!sites.length || (fn.bodyStart < 0 && !annotated)) continue;
      const classes: string[] = [];
      for (const s of sites) {
        const m = model.index.match(s, scan, file);
        if (m.ambiguous) continue;
        for (const c of m.classes) if (!classes.includes(c)) classes.push(c);
      }
      const range = new vscode.Range(fn.pos.line0, 0, fn.pos.line0, 0);
      for (const cls of classes) {
        const attrs = model.analysis.graph.hasNode(cls) ? model.analysis.graph.getNodeAttributes(cls) : undefined;
        const under: string[] = [];
        if (attrs) model.analysis.graph.forEachInEdge(cls, (_k, _a, src) => void under.push(src));
        const leaked = new Set<string>();
        for (const f of model.findings) if (f.kind === 'held-across-syscall' && f.locks.includes(cls) && f.syscall) leaked.add(f.syscall);
        let here = '';
        if (recordedLines) {
          const endLine0 = fn.bodyEnd >= 0 && Number.isFinite(fn.bodyEnd) ? scan.lines.pos(fn.bodyEnd).line0 : fn.pos.line0;
          let n = 0;
          for (const [line1, byClass] of recordedLines) {
            if (line1 - 1 >= fn.pos.line0 && line1 - 1 <= endLine0)
              n += (byClass.get(cls) ?? []).filter((ev) => model.analysis.store.kind[ev] === EventKind.Acquire).length;
          }
          if (n) here = ` (${n} here)`;
        }
        const parts = [`${cls}: taken ${attrs?.acquisitions ?? 0}× in trace${here}`];
        if (under.length) parts.push(`under: ${under.slice(0, 4).join(', ')}${under.length > 4 ? ', …' : ''}`);
        if (leaked.size) parts.push(`held across syscall: ${[...leaked].join(', ')}`);
        lenses.push(
          new vscode.CodeLens(range, {
            title: parts.join('; '),
            command: Commands.showLockInTrace,
            arguments: [cls],
            tooltip: `Show the acquisitions of ${cls} in ${basename(model.uri.path)}`,
          }),
        );
      }
    }
    return lenses;
  }

  // --- command -----------------------------------------------------------------------------

  /**
   * Reveals the acquisitions of a class in the active trace as references and shows the lock panel.
   * Without an argument, the lock expression under the cursor. Returns the locations (for tests).
   */
  private async showLockInTrace(className?: string): Promise<vscode.Location[] | undefined> {
    const model = await this.model();
    if (!model) {
      void vscode.window.showInformationMessage('locktrace: no active trace. Open or debug a trace first.');
      return undefined;
    }
    let cls = typeof className === 'string' ? className : undefined;
    if (!cls) {
      const ed = vscode.window.activeTextEditor;
      if (ed && LANGUAGES.has(ed.document.languageId)) {
        const scan = this.scan(ed.document);
        const site = scan.sitesAt(ed.document.offsetAt(ed.selection.active))[0];
        const m = site ? model.index.match(site, scan, ed.document.uri.fsPath) : undefined;
        if (m?.classes.length === 1) cls = m.classes[0];
        else if (m && m.classes.length > 1)
          cls = await vscode.window.showQuickPick(m.classes, { title: m.ambiguous ? `Ambiguous: ${m.detail}` : 'Lock class' });
      }
      cls ??= await vscode.window.showQuickPick(model.analysis.graph.nodes().sort(), { title: 'locktrace: show which lock class?' });
    }
    if (!cls) return undefined;
    const store = model.analysis.store;
    const classId = store.classes.lookup(cls);
    const locations: vscode.Location[] = [];
    if (classId !== undefined) {
      for (let i = 0; i < store.length && locations.length < 5000; i++) {
        if (store.kind[i] === EventKind.Acquire && store.locks[store.ref[i]].classId === classId)
          locations.push(new vscode.Location(model.uri, new vscode.Position(toEditorLine(store.line[i]), 0)));
      }
    }
    if (!locations.length) {
      void vscode.window.showInformationMessage(`locktrace: ${cls} is never acquired in ${basename(model.uri.path)}.`);
      return locations;
    }
    const doc = await vscode.workspace.openTextDocument(model.uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    await vscode.commands.executeCommand('editor.action.showReferences', model.uri, locations[0].range.start, locations);
    try {
      await vscode.commands.executeCommand(Commands.showPanel, model.uri);
    } catch (e) {
      this.ctx.output.warn(`show lock in trace: lock panel: ${e instanceof Error ? e.message : String(e)}`);
    }
    return locations;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Recorded call sites of lock events (recorded traces), for exact file:line matching. */
function recordedSites(analysis: Analysis): RecordedSite[] {
  const s = analysis.store;
  const out: RecordedSite[] = [];
  for (const [ev, site] of s.sites) {
    if (!site.file || !site.line) continue;
    const k = s.kind[ev];
    if (k !== EventKind.Acquire && k !== EventKind.Acquired && k !== EventKind.Release && k !== EventKind.AcquireFailed) continue;
    out.push({ file: site.file, line: site.line, className: s.className(s.ref[ev]), eventIndex: ev });
  }
  return out;
}

function edgeRelated(trace: vscode.Uri, e: EdgeOrigin): vscode.DiagnosticRelatedInformation[] {
  const out = [
    new vscode.DiagnosticRelatedInformation(
      new vscode.Location(trace, new vscode.Position(toEditorLine(e.line), 0)),
      `${e.from} -> ${e.to} made here by ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ''}`,
    ),
  ];
  if (e.fromLine !== e.line) {
    out.push(
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(trace, new vscode.Position(toEditorLine(e.fromLine), 0)),
        `${e.from} acquired here by ${e.comm}/${e.pid}${e.fromSyscall ? ` in ${e.fromSyscall}` : ''}`,
      ),
    );
  }
  return out;
}

function siteRange(doc: vscode.TextDocument, site: LockSite): vscode.Range {
  return new vscode.Range(doc.positionAt(site.start), doc.positionAt(site.end));
}

function acquisitions(a: Analysis, cls: string): number {
  return a.graph.hasNode(cls) ? a.graph.getNodeAttribute(cls, 'acquisitions') : 0;
}

function sortEdges<T extends { a: EdgeOrigin }>(list: T[]): T[] {
  return list.sort((x, y) => x.a.eventIndex - y.a.eventIndex);
}

function howText(m: SiteMatch): string {
  return m.detail;
}

function commandLink(label: string, command: string, args: unknown[]): string {
  return `[${label}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

/** An inline code span (no escaping inside code spans in Markdown). */
function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`);
}
