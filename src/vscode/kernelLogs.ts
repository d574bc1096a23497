// Editor features of kernel logs (a document whose analysis has `store.kernelLog`), called by the
// trace providers of ./editor.ts when the document is a log: hovers on lock classes (the chains a
// class takes part in, each edge with its context) and on stack frames (where the frame is in
// source), go to definition on frames (the kernel tree, debug info or the function's definition:
// ./kernelSource.ts), references (every line printing a class), the outline (reports, their chain
// entries, held lists and backtraces) and folding per report. The logic is src/editor/kernelLog.ts.
import * as vscode from 'vscode';
import type { Analysis, StackFrame } from '../core';
import type { KernelLog } from '../core/kernelLog';
import { frameLabel } from '../core/kernelLog';
import { classLines, framesByLine, kernelClassAt, kernelClassHover, kernelFrameAt, kernelOutline } from '../editor/kernelLog';
import { Commands } from './ids';
import { KernelSourceResolver } from './kernelSource';
import type { TraceResult } from './traces';

const frameIndexes = new WeakMap<Analysis, Map<number, StackFrame[]>>();

function framesOf(a: Analysis): Map<number, StackFrame[]> {
  let m = frameIndexes.get(a);
  if (!m) frameIndexes.set(a, (m = framesByLine(a.store.kernelLog as KernelLog)));
  return m;
}

/** A trace result whose analysis is a kernel log's. */
export type KernelLogResult = TraceResult & { analysis: NonNullable<TraceResult['analysis']> };

/** Whether a result is a kernel log's. */
export function isKernelLog(r: TraceResult): r is KernelLogResult {
  return !!r.analysis?.store.kernelLog;
}

const cmd = (id: string, args: unknown[]) => `command:${id}?${encodeURIComponent(JSON.stringify(args))}`;

/** Hover of a class or a frame on a kernel log line. */
export async function kernelLogHover(
  resolver: KernelSourceResolver,
  r: KernelLogResult,
  doc: vscode.TextDocument,
  pos: vscode.Position,
): Promise<vscode.Hover | undefined> {
  const text = doc.lineAt(pos.line).text;
  const a = r.analysis;
  const uri = doc.uri.toString();
  const tok = kernelClassAt(a.store.classes.values, text, pos.character);
  if (tok) {
    const md = new vscode.MarkdownString(
      kernelClassHover(a, r.findings, tok.className, {
        reveal: (line) => cmd(Commands.revealLine, [uri, line]),
        debug: (line) => cmd(Commands.debugToLine, [uri, line]),
        panel: (line) => cmd(Commands.showFindingInPanel, [uri, line]),
      }),
    );
    md.isTrusted = { enabledCommands: [Commands.revealLine, Commands.debugToLine, Commands.showFindingInPanel] };
    return new vscode.Hover(md, new vscode.Range(pos.line, tok.start, pos.line, tok.end));
  }
  const f = await frameAt(resolver, r, doc, pos);
  if (!f) return undefined;
  const { source: src } = f;
  const md = new vscode.MarkdownString(`**\`${frameLabel(f.frame)}\`**${f.frame.unreliable ? ' (unreliable: `?` frame)' : ''}`);
  if (src) {
    const target = src.location.uri.with({ fragment: `L${src.location.range.start.line + 1}` });
    const how =
      src.how === 'file:line' ? 'the log' : src.how === 'debug info' ? 'the debug info' : 'the function definition in the workspace';
    md.appendMarkdown(
      `\n\n[${vscode.workspace.asRelativePath(src.location.uri)}:${src.location.range.start.line + 1}](${target.toString()}) (from ${how})`,
    );
  } else md.appendMarkdown('\n\nNot found in the workspace (see `locktrace.kernelLog.sourceRoots` and `locktrace.kernelLog.debugInfo`).');
  return new vscode.Hover(md, new vscode.Range(pos.line, f.start, pos.line, f.end));
}

/** Go to definition on a frame: its source. */
export async function kernelLogDefinition(
  resolver: KernelSourceResolver,
  r: KernelLogResult,
  doc: vscode.TextDocument,
  pos: vscode.Position,
): Promise<vscode.Location | undefined> {
  return (await frameAt(resolver, r, doc, pos))?.source?.location;
}

/** The backtrace frame under the cursor (not on a class name) and its source, if one is found. */
async function frameAt(resolver: KernelSourceResolver, r: KernelLogResult, doc: vscode.TextDocument, pos: vscode.Position) {
  const text = doc.lineAt(pos.line).text;
  if (kernelClassAt(r.analysis.store.classes.values, text, pos.character)) return undefined;
  const f = kernelFrameAt(framesOf(r.analysis), pos.line + 1, text, pos.character);
  if (!f) return undefined;
  const [source] = await resolver.resolve(doc.uri, [f.frame]);
  return { ...f, source };
}

/** Every line of the log printing the class under the cursor. */
export function kernelLogReferences(r: KernelLogResult, doc: vscode.TextDocument, pos: vscode.Position): vscode.Location[] | undefined {
  const tok = kernelClassAt(r.analysis.store.classes.values, doc.lineAt(pos.line).text, pos.character);
  if (!tok) return undefined;
  const lines: string[] = [];
  for (let k = 0; k < doc.lineCount; k++) lines.push(doc.lineAt(k).text);
  return classLines(lines, tok.className).map(
    (x) => new vscode.Location(doc.uri, new vscode.Range(x.line - 1, x.start, x.line - 1, x.end)),
  );
}

function lineRange(doc: vscode.TextDocument, first: number, last: number): vscode.Range {
  const l0 = Math.min(Math.max(0, first - 1), doc.lineCount - 1);
  const l1 = Math.min(Math.max(l0, last - 1), doc.lineCount - 1);
  return new vscode.Range(l0, 0, l1, doc.lineAt(l1).text.length);
}

/** The outline: each report with its chain entries, held lists and backtrace. */
export function kernelLogSymbols(r: KernelLogResult, doc: vscode.TextDocument): vscode.DocumentSymbol[] {
  return kernelOutline(r.analysis.store.kernelLog as KernelLog).map((o) => {
    const sym = new vscode.DocumentSymbol(
      o.name,
      o.detail,
      vscode.SymbolKind.Event,
      lineRange(doc, o.line, o.endLine),
      lineRange(doc, o.line, o.line),
    );
    for (const c of o.children)
      sym.children.push(
        new vscode.DocumentSymbol(
          c.name,
          c.detail,
          c.detail === 'chain' ? vscode.SymbolKind.Key : c.detail === 'held' ? vscode.SymbolKind.Array : vscode.SymbolKind.Function,
          lineRange(doc, c.line, c.endLine),
          lineRange(doc, c.line, c.line),
        ),
      );
    return sym;
  });
}

/** Folding: each report, and each chain entry, held list and backtrace in it. */
export function kernelLogFolds(r: KernelLogResult): vscode.FoldingRange[] {
  const out: vscode.FoldingRange[] = [];
  for (const o of kernelOutline(r.analysis.store.kernelLog as KernelLog)) {
    if (o.endLine > o.line) out.push(new vscode.FoldingRange(o.line - 1, o.endLine - 1, vscode.FoldingRangeKind.Region));
    for (const c of o.children) if (c.endLine > c.line) out.push(new vscode.FoldingRange(c.line - 1, c.endLine - 1));
  }
  return out;
}
