// Where the frames of a kernel log's stacks are in source, for the debugger's call stack and the
// editor's go to definition on frame lines. In order: a symbolized frame's `file:line` in the
// workspace's kernel tree (the workspace folders and `locktrace.kernelLog.sourceRoots`, matched by
// the path's tail, so build paths work too); else `func+0xOFF` looked up with addr2line or
// llvm-symbolizer in the `vmlinux` or module `.ko` files of `locktrace.kernelLog.debugInfo`; else
// the function's definition found by the C-source scanner (src/source) in open C files and the
// workspace's C files (read lazily, each once, within a time budget per lookup). The pure-Node
// lookups are src/adapter/kernelSymbols.ts.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { KernelSymbolizer, findUnderRoots, pathTails } from '../adapter/kernelSymbols';
import type { StackFrame } from '../core';
import { frameFunction } from '../core/kernelLog';
import { scanSource } from '../source';
import { LocktraceContext } from './context';

/** Workspace C files read per function lookup at most, and for how long. */
const SCAN_FILES_PER_LOOKUP = 4000;
const SCAN_BUDGET_MS = 4000;
const C_FILES = '**/*.{c,h}';
const EXCLUDE = '**/{node_modules,.git,out}/**';

/** How a frame was found: for the log and for tests. */
export type FrameSourceHow = 'file:line' | 'debug info' | 'definition';

export interface FrameSource {
  location: vscode.Location;
  how: FrameSourceHow;
}

/** Expands `${workspaceFolder}`, `${workspaceFolder:name}` and `~` in a setting's path. */
function expand(p: string, base: vscode.Uri | undefined): string {
  const folders = vscode.workspace.workspaceFolders ?? [];
  let s = p.replace(/\$\{workspaceFolder(?::([^}]+))?\}/g, (_m, name: string | undefined) => {
    const f = name ? folders.find((x) => x.name === name) : ((base && vscode.workspace.getWorkspaceFolder(base)) ?? folders[0]);
    return f?.uri.fsPath ?? '';
  });
  if (s.startsWith('~/')) s = path.join(process.env.HOME ?? '', s.slice(2));
  if (!path.isAbsolute(s) && folders[0]) s = path.join(folders[0].uri.fsPath, s);
  return s;
}

export class KernelSourceResolver {
  private symbolizer: { key: string; sym: KernelSymbolizer } | undefined;
  /** Function definitions found so far (name → where), and the workspace C files not read yet. */
  private readonly definitions = new Map<string, vscode.Location>();
  private unread: vscode.Uri[] | undefined;
  private listing: Promise<void> | undefined;
  private readonly absent = new Set<string>();
  private readonly byTail = new Map<string, string | null>();

  constructor(private readonly ctx: LocktraceContext) {
    ctx.onDidChangeSettings((e) => {
      if (e.affectsConfiguration('locktrace.kernelLog')) {
        this.symbolizer = undefined;
        this.byTail.clear();
      }
    });
    const w = vscode.workspace.createFileSystemWatcher(C_FILES);
    const reset = () => {
      this.unread = undefined;
      this.listing = undefined;
      this.definitions.clear();
      this.absent.clear();
      this.byTail.clear();
    };
    ctx.track(w);
    ctx.track(w.onDidCreate(reset));
    ctx.track(w.onDidDelete(reset));
    ctx.track(vscode.workspace.onDidChangeWorkspaceFolders(reset));
  }

  /** Source roots for `file:line`: the settings' roots, then the workspace folders. */
  private roots(log: vscode.Uri | undefined): string[] {
    const cfg = this.ctx.settings(log);
    const own = cfg.get<string[]>('kernelLog.sourceRoots', []).map((p) => expand(p, log));
    return [...own, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)];
  }

  private symbolizerFor(log: vscode.Uri | undefined): KernelSymbolizer | undefined {
    const cfg = this.ctx.settings(log);
    const files = cfg.get<string[]>('kernelLog.debugInfo', []).map((p) => expand(p, log));
    if (!files.length) return undefined;
    const tool = cfg.get<string>('kernelLog.symbolizer', '') || undefined;
    const key = JSON.stringify([files, tool]);
    if (this.symbolizer?.key !== key) {
      const readelf = tool && /llvm-symbolizer/.test(path.basename(tool)) ? 'llvm-readelf' : undefined;
      this.symbolizer = { key, sym: new KernelSymbolizer(files, { symbolizer: tool, readelf }) };
    }
    return this.symbolizer.sym;
  }

  /** Where each frame is in source (undefined where nothing says), for a log at `log`. */
  async resolve(log: vscode.Uri | undefined, frames: readonly StackFrame[]): Promise<(FrameSource | undefined)[]> {
    const out: (FrameSource | undefined)[] = frames.map(() => undefined);
    const roots = this.roots(log);
    // 1. file:line printed by a symbolizer
    for (const [k, f] of frames.entries()) {
      if (!f.source) continue;
      const file = await this.findFile(f.source.file, roots);
      if (file) out[k] = { location: at(file, f.source.line), how: 'file:line' };
    }
    // 2. func+0xOFF in the configured debug info
    const sym = this.symbolizerFor(log);
    if (sym) {
      const todo = frames.map((f, k) => ({ f, k })).filter((x) => !out[x.k] && x.f.offset);
      const found = await sym.locate(todo.map((x) => x.f));
      if (sym.lastError) this.ctx.output.debug(`kernel debug info: ${sym.lastError}`);
      for (const [j, x] of todo.entries()) {
        const loc = found[j]?.[0];
        if (!loc) continue;
        const file = await this.findFile(loc.file, roots);
        if (file) out[x.k] = { location: at(file, loc.line), how: 'debug info' };
      }
    }
    // 3. the function's definition in the workspace
    for (const [k, f] of frames.entries()) {
      if (out[k] || f.fn.startsWith('0x')) continue;
      const def = await this.definition(frameFunction(f));
      if (def) out[k] = { location: def, how: 'definition' };
    }
    return out;
  }

  /** A path a log or symbolizer printed, in the workspace: under a root by its tail, else by file name among the workspace's files. */
  private async findFile(file: string, roots: string[]): Promise<string | undefined> {
    const direct = findUnderRoots(file, roots);
    if (direct) return direct;
    const key = `${file}\u0000${roots.join('\u0000')}`;
    if (this.byTail.has(key)) return this.byTail.get(key) ?? undefined;
    // a tree in a subfolder of the workspace: the files with that name, the longest matching tail wins
    const base = path.basename(file);
    let best: string | undefined;
    let bestLen = 0;
    const tails = pathTails(file);
    for (const u of await vscode.workspace.findFiles(`**/${base}`, EXCLUDE, 200)) {
      const p = u.fsPath.replace(/\\/g, '/');
      const len = tails.find((t) => p.endsWith(`/${t}`))?.length ?? 0;
      // a bare file name alone is too weak, unless it is the only one
      if (len > bestLen && (tails.some((t) => t.includes('/') && p.endsWith(`/${t}`)) || tails.length === 1)) {
        best = u.fsPath;
        bestLen = len;
      }
    }
    this.byTail.set(key, best ?? null);
    return best;
  }

  /** A function's definition: open C documents first, then the workspace's C files, each read once. */
  async definition(name: string): Promise<vscode.Location | undefined> {
    const known = this.definitions.get(name);
    if (known) return known;
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.languageId !== 'c' && doc.languageId !== 'cpp') continue;
      const fn = scanSource(doc.getText()).functions.find((f) => f.name === name && f.bodyStart >= 0);
      if (fn) return new vscode.Location(doc.uri, new vscode.Position(fn.pos.line0, fn.pos.col0));
    }
    if (this.absent.has(name)) return undefined;
    this.listing ??= Promise.resolve(vscode.workspace.findFiles(C_FILES, EXCLUDE, 100_000)).then((files) => {
      // .c before .h: definitions live there
      this.unread = files.sort((a, b) => Number(a.path.endsWith('.h')) - Number(b.path.endsWith('.h')));
    });
    await this.listing;
    const unread = this.unread ?? [];
    const started = Date.now();
    const word = new RegExp(`\\b${name.replace(/[^\w]/g, '')}\\s*\\(`);
    for (let n = 0; unread.length && n < SCAN_FILES_PER_LOOKUP && Date.now() - started < SCAN_BUDGET_MS; n++) {
      const u = unread.shift() as vscode.Uri;
      let text: string;
      try {
        text = await fs.promises.readFile(u.fsPath, 'utf8');
      } catch {
        continue;
      }
      // every definition of the file is remembered, so each file is read once in a session
      if (!/\w\s*\([^;]*\)\s*\{/.test(text)) continue;
      for (const fn of scanSource(text).functions)
        if (fn.bodyStart >= 0 && !this.definitions.has(fn.name))
          this.definitions.set(fn.name, new vscode.Location(u, new vscode.Position(fn.pos.line0, fn.pos.col0)));
      if (word.test(text) && this.definitions.has(name)) break;
    }
    const def = this.definitions.get(name);
    if (!def && unread.length === 0) this.absent.add(name);
    return def;
  }
}

function at(file: string, line: number): vscode.Location {
  return new vscode.Location(vscode.Uri.file(file), new vscode.Position(Math.max(0, line - 1), 0));
}
