// Where a kernel log's stack frame is in source, without VS Code: a symbolized frame's `file:line`
// found under source roots (a kernel tree; build paths such as `/build/linux-6.1/fs/ioctl.c` are
// matched by their tail), or `func+0xOFF/0xSIZE [module]` looked up in a kernel image (`vmlinux`)
// or module (`.ko`) with debug info: the symbol's address from `readelf -sW` (the one whose size
// is the frame's, when several static functions share the name), then `addr2line -f -i` (GNU
// binutils) or `llvm-symbolizer`. A module's functions are section-relative (`addr2line -j`).
// Used by the extension (src/vscode/kernelSource.ts) for the debugger's frames and the editor's
// links; everything is cached per file (path, size and mtime).

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import type { StackFrame } from '../core';

/** A source location: an absolute (or build-time) path and a 1-based line, with the function there. */
export interface SymbolLocation {
  file: string;
  line: number;
  fn?: string;
}

/** Tails of a path to look for under a source root, longest first: `a/b/c.c`, `b/c.c`, `c.c`. */
export function pathTails(file: string): string[] {
  const parts = file
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p && p !== '.');
  // a build tree's own path components (`/build/linux-6.1/`) are dropped one by one
  const out: string[] = [];
  for (let k = 0; k < parts.length; k++) {
    if (parts[k] === '..') continue;
    out.push(parts.slice(k).join('/'));
  }
  return out;
}

/**
 * The file under one of `roots` a log's or a symbolizer's path names: the path itself when it
 * exists, else its longest tail that exists under a root (the first root wins on a tie). Only tails
 * with a directory part are tried under roots, unless `bareNames` (a file name alone is too weak).
 */
export function findUnderRoots(file: string, roots: readonly string[], bareNames = false): string | undefined {
  if (path.isAbsolute(file) && isFile(file)) return file;
  for (const tail of pathTails(file)) {
    if (!bareNames && !tail.includes('/')) break;
    for (const root of roots) {
      const p = path.join(root, tail);
      if (isFile(p)) return p;
    }
  }
  return undefined;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

interface Symbol {
  value: bigint;
  size: bigint;
  /** Section name (`.text`, `.init.text`), for relocatable modules. */
  section: string;
}

interface ElfInfo {
  stamp: string;
  relocatable: boolean;
  /** FUNC symbols by name. */
  symbols: Map<string, Symbol[]>;
}

/** The tools: `addr2line` (GNU, default) or `llvm-symbolizer`, and `readelf` (or `llvm-readelf`). */
export interface SymbolizerTools {
  symbolizer?: string;
  readelf?: string;
}

const execFileAsync = promisify(execFile);

async function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileAsync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs });
  return stdout;
}

/** `ET_REL` (a module or object file) by the ELF header, or undefined when the file is no ELF. */
function elfIsRelocatable(file: string): boolean | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(20);
    if (fs.readSync(fd, b, 0, 20, 0) < 20 || b.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const type = b[5] === 2 ? b.readUInt16BE(16) : b.readUInt16LE(16);
    return type === 1;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses `readelf -SW` (section names by index) and `readelf -sW` (FUNC symbols). */
export function parseReadelf(sections: string, symbols: string): Map<string, Symbol[]> {
  const names = new Map<string, string>();
  for (const m of sections.matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)/gm)) names.set(m[1], m[2]);
  const out = new Map<string, Symbol[]>();
  for (const m of symbols.matchAll(/^\s*\d+:\s+([0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+|\d+)\s+FUNC\s+\S+\s+\S+\s+(\d+)\s+(\S+)\s*$/gm)) {
    const name = m[4].replace(/@.*$/, '');
    const list = out.get(name) ?? [];
    list.push({ value: BigInt(`0x${m[1]}`), size: BigInt(m[2]), section: names.get(m[3]) ?? '.text' });
    out.set(name, list);
  }
  return out;
}

/** Parses `addr2line -a -f -i` output: per address, its inlined chain innermost first. */
export function parseAddr2line(out: string): SymbolLocation[][] {
  const res: SymbolLocation[][] = [];
  let cur: SymbolLocation[] | undefined;
  const lines = out.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k].trim();
    if (/^0x[0-9a-fA-F]+$/.test(l)) {
      res.push((cur = []));
      continue;
    }
    if (!cur || l === '') continue;
    const loc = lines[k + 1]?.trim() ?? '';
    k++;
    const m = /^(.*?):(\d+)(?::\d+)?(?: \(discriminator \d+\))?$/.exec(loc);
    if (m && m[1] !== '??' && Number(m[2]) > 0) cur.push({ file: m[1], line: Number(m[2]), ...(l !== '??' ? { fn: l } : {}) });
  }
  return res;
}

/** Parses `llvm-symbolizer` output: blocks separated by blank lines, function then `file:line:col` per inlined frame. */
export function parseLlvmSymbolizer(out: string, count: number): SymbolLocation[][] {
  const blocks = out.replace(/\r/g, '').split(/\n\s*\n/);
  const res: SymbolLocation[][] = [];
  for (let k = 0; k < count; k++) {
    const lines = (blocks[k] ?? '').split('\n').filter((l) => l.trim() !== '');
    const chain: SymbolLocation[] = [];
    for (let j = 0; j + 1 < lines.length; j += 2) {
      const m = /^(.*?):(\d+)(?::\d+)?$/.exec(lines[j + 1].trim());
      if (m && m[1] !== '??' && Number(m[2]) > 0) chain.push({ file: m[1], line: Number(m[2]), fn: lines[j].trim() });
    }
    res.push(chain);
  }
  return res;
}

/**
 * Looks frames up in debug-info files. `debugInfo`: a kernel image (`vmlinux`, or any ELF that is
 * not a `.ko`), module files (`name.ko`, `name.ko.debug`), or folders holding them (searched for
 * `MODULE.ko`, `-` and `_` alike, a few levels deep).
 */
export class KernelSymbolizer {
  private readonly elves = new Map<string, Promise<ElfInfo | undefined>>();
  private readonly modules = new Map<string, string | null>();
  private readonly results = new Map<string, SymbolLocation[] | null>();
  /** Why the last lookup failed (a missing tool, an unreadable file), for the log. */
  lastError: string | undefined;

  constructor(
    private readonly debugInfo: readonly string[],
    private readonly tools: SymbolizerTools = {},
  ) {}

  /** The debug-info file for a frame's module (undefined: the kernel image), or undefined when none is configured. */
  elfFor(module: string | undefined): string | undefined {
    const key = module ?? '';
    if (this.modules.has(key)) return this.modules.get(key) ?? undefined;
    let found: string | undefined;
    const norm = (s: string) => s.replace(/-/g, '_');
    const want = module ? [`${norm(module)}.ko`, `${norm(module)}.ko.debug`] : [];
    const isModuleFile = (f: string) => /\.ko(?:\.debug)?$/.test(f);
    const matches = (f: string) => (module ? want.includes(norm(path.basename(f))) : !isModuleFile(f) && !f.endsWith('.c'));
    for (const entry of this.debugInfo) {
      let st: fs.Stats;
      try {
        st = fs.statSync(entry);
      } catch {
        continue;
      }
      if (st.isFile() && matches(entry)) found = entry;
      else if (st.isDirectory())
        found = module ? findFile(entry, (f) => matches(f), 6) : findFile(entry, (f) => /^vmlinux(?:\.debug)?$/.test(path.basename(f)), 1);
      if (found) break;
    }
    this.modules.set(key, found ?? null);
    return found;
  }

  /** Source locations of frames (the inlined chain, innermost first), or undefined per frame that cannot be looked up. */
  async locate(frames: readonly StackFrame[]): Promise<(SymbolLocation[] | undefined)[]> {
    const out: (SymbolLocation[] | undefined)[] = frames.map(() => undefined);
    // one symbolizer run per ELF file (and section, for modules)
    const groups = new Map<string, { elf: string; section: string | null; addrs: bigint[]; keys: string[]; idx: number[][] }>();
    for (const [k, f] of frames.entries()) {
      if (!f.offset || f.fn.startsWith('0x')) continue;
      const elf = this.elfFor(f.module);
      if (!elf) continue;
      const key = `${elf}\u0000${f.fn}+${f.offset}/${f.size ?? ''}`;
      const cached = this.results.get(key);
      if (cached !== undefined) {
        out[k] = cached ?? undefined;
        continue;
      }
      const info = await this.elf(elf);
      if (!info) continue;
      const sym = pickSymbol(info.symbols.get(f.fn), f.size);
      if (!sym) {
        this.results.set(key, null);
        continue;
      }
      const addr = sym.value + BigInt(f.offset);
      const section = info.relocatable ? sym.section : null;
      const g = `${elf}\u0000${section ?? ''}`;
      let grp = groups.get(g);
      if (!grp) groups.set(g, (grp = { elf, section, addrs: [], keys: [], idx: [] }));
      const at = grp.keys.indexOf(key);
      if (at >= 0) grp.idx[at].push(k);
      else {
        grp.addrs.push(addr);
        grp.keys.push(key);
        grp.idx.push([k]);
      }
    }
    for (const grp of groups.values()) {
      let chains: SymbolLocation[][];
      try {
        chains = await this.symbolize(grp.elf, grp.section, grp.addrs);
      } catch (e) {
        this.lastError = (e as Error).message;
        continue;
      }
      grp.keys.forEach((key, j) => {
        const chain = chains[j]?.length ? chains[j] : undefined;
        this.results.set(key, chain ?? null);
        for (const k of grp.idx[j]) out[k] = chain;
      });
    }
    return out;
  }

  private symbolizer(): { cmd: string; llvm: boolean } {
    const cmd = this.tools.symbolizer || 'addr2line';
    return { cmd, llvm: /llvm-symbolizer/.test(path.basename(cmd)) };
  }

  private async symbolize(elf: string, section: string | null, addrs: bigint[]): Promise<SymbolLocation[][]> {
    const hex = addrs.map((a) => `0x${a.toString(16)}`);
    const { cmd, llvm } = this.symbolizer();
    if (llvm) {
      // llvm-symbolizer takes a module's addresses as offsets into its sections (one .text)
      const out = await run(cmd, ['--functions=linkage', '--inlining', `--obj=${elf}`, ...hex]);
      return parseLlvmSymbolizer(out, addrs.length);
    }
    const out = await run(cmd, ['-a', '-f', '-i', ...(section ? ['-j', section] : []), '-e', elf, ...hex]);
    return parseAddr2line(out);
  }

  private elf(file: string): Promise<ElfInfo | undefined> {
    let stamp: string;
    try {
      const st = fs.statSync(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      return Promise.resolve(undefined);
    }
    const key = `${file}\u0000${stamp}`;
    let p = this.elves.get(key);
    if (!p) {
      p = this.readElf(file, stamp).catch((e: unknown) => {
        this.lastError = `${file}: ${(e as Error).message}`;
        return undefined;
      });
      this.elves.set(key, p);
    }
    return p;
  }

  private async readElf(file: string, stamp: string): Promise<ElfInfo | undefined> {
    const relocatable = elfIsRelocatable(file);
    if (relocatable === undefined) throw new Error('not an ELF file');
    const readelf = this.tools.readelf || 'readelf';
    const [sections, symbols] = await Promise.all([run(readelf, ['-SW', file]), run(readelf, ['-sW', file])]);
    return { stamp, relocatable, symbols: parseReadelf(sections, symbols) };
  }
}

/** The symbol a frame means: the only one of its name, or the one whose size is the frame's `/0xSIZE`. */
function pickSymbol(list: Symbol[] | undefined, size: string | undefined): Symbol | undefined {
  if (!list?.length) return undefined;
  if (list.length === 1 || !size) return list[0];
  const want = BigInt(size);
  return list.find((s) => s.size === want) ?? list[0];
}

/** The first file under `dir` (breadth first, `depth` levels) that `pred` accepts. */
function findFile(dir: string, pred: (f: string) => boolean, depth: number): string | undefined {
  let level = [dir];
  let seen = 0;
  for (let d = 0; d <= depth && level.length; d++) {
    const next: string[] = [];
    for (const dd of level) {
      let ents: fs.Dirent[];
      try {
        ents = fs.readdirSync(dd, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of ents) {
        if (++seen > 50_000) return undefined;
        const p = path.join(dd, e.name);
        if (e.isFile() && pred(p)) return p;
        if (e.isDirectory()) next.push(p);
      }
    }
    level = next;
  }
  return undefined;
}
