// Turns runtime addresses of traced processes into names: lock addresses into the data symbols
// of the program or library they live in (`db_lock`), return addresses into function and
// file:line (addr2line on the DWARF of a -g build, else the nearest ELF function symbol).
// Load biases per process come from probe hits (the probed address minus the symbol's linked
// address) or from /proc/PID/maps.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ElfFile, PT_LOAD, STT_FUNC } from './elf';

export interface Site {
  addr: string;
  fn?: string;
  file?: string;
  line?: number;
}

interface Module {
  elf: ElfFile;
  bias: bigint;
  start: bigint;
  end: bigint;
}

export class Symbolizer {
  private readonly elves = new Map<string, ElfFile | null>();
  private readonly modules = new Map<number, Module[]>();
  private readonly siteCache = new Map<string, Site>();
  private readonly funcs = new Map<ElfFile, { value: bigint; end: bigint; name: string }[]>();
  addr2line = true;

  elf(path: string): ElfFile | undefined {
    if (!this.elves.has(path)) {
      try {
        this.elves.set(path, ElfFile.read(path));
      } catch {
        this.elves.set(path, null);
      }
    }
    return this.elves.get(path) ?? undefined;
  }

  /** Records that `path` is loaded in process `tgid` with load bias `bias`. */
  setBias(tgid: number, path: string, bias: bigint): void {
    const elf = this.elf(path);
    if (!elf) return;
    const mods = this.modules.get(tgid) ?? [];
    if (mods.some((m) => m.elf === elf && m.bias === bias)) return;
    let lo: bigint | undefined;
    let hi = 0n;
    for (const s of elf.segments) {
      if (s.type !== PT_LOAD) continue;
      if (lo === undefined || s.vaddr < lo) lo = s.vaddr;
      if (s.vaddr + s.memsz > hi) hi = s.vaddr + s.memsz;
    }
    const filtered = mods.filter((m) => m.elf !== elf);
    filtered.push({ elf, bias, start: (lo ?? 0n) + bias, end: hi + bias });
    this.modules.set(tgid, filtered);
  }

  /** A forked child starts with its parent's address space. */
  inherit(parent: number, child: number): void {
    const mods = this.modules.get(parent);
    if (mods && !this.modules.has(child)) this.modules.set(child, [...mods]);
  }

  /** exec replaces the address space. */
  reset(tgid: number): void {
    this.modules.delete(tgid);
  }

  /** Reads /proc/PID/maps for every ELF file mapped (used when attaching to a running process). */
  loadMaps(tgid: number): void {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${tgid}/maps`, 'utf8');
    } catch {
      return;
    }
    const done = new Set<string>();
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]+)-[0-9a-f]+ \S+ ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
      if (!m || done.has(m[3])) continue;
      const elf = this.elf(m[3]);
      if (!elf) continue;
      const start = BigInt(`0x${m[1]}`);
      const off = BigInt(`0x${m[2]}`);
      const seg = elf.segments.find((s) => s.type === PT_LOAD && off >= (s.offset & ~0xfffn) && off < s.offset + s.filesz);
      if (!seg) continue;
      // The mapping of file offset `off` starts at `start`; that offset's linked address is
      // off - seg.offset + seg.vaddr.
      this.setBias(tgid, m[3], start - (off - seg.offset + seg.vaddr));
      done.add(m[3]);
    }
  }

  private moduleAt(tgid: number, addr: bigint): Module | undefined {
    return this.modules.get(tgid)?.find((m) => addr >= m.start && addr < m.end);
  }

  /** Base name of the ELF file mapped at `addr` (`libc.so.6`), if known. */
  moduleName(tgid: number, addr: bigint): string | undefined {
    const m = this.moduleAt(tgid, addr);
    return m ? path.basename(m.elf.path) : undefined;
  }

  /** The data symbol holding a lock (`db_lock`, `table+64`), or undefined for heap/stack locks. */
  lockName(tgid: number, addr: bigint): string | undefined {
    const mod = this.moduleAt(tgid, addr);
    if (!mod) return undefined;
    const v = addr - mod.bias;
    const sym = mod.elf.objectAt(v);
    if (!sym) return undefined;
    const off = v - sym.value;
    return off === 0n ? sym.name : `${sym.name}+${off}`;
  }

  /** Function and source line of a call site, given the return address. */
  site(tgid: number, ra: bigint): Site {
    const site: Site = { addr: `0x${ra.toString(16)}` };
    const mod = this.moduleAt(tgid, ra);
    if (!mod) return site;
    // The call instruction is just before the return address.
    const v = ra - mod.bias - 1n;
    const key = `${mod.elf.path}:${v}`;
    const cached = this.siteCache.get(key);
    if (cached) return { ...cached, addr: site.addr };
    const fn = this.funcAt(mod.elf, v);
    if (fn) site.fn = fn;
    if (this.addr2line && mod.elf.hasSymtab) {
      try {
        const out = execFileSync('addr2line', ['-f', '-C', '-e', mod.elf.path, `0x${v.toString(16)}`], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).split('\n');
        if (out[0] && out[0] !== '??') site.fn = out[0];
        const fl = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(out[1] ?? '');
        if (fl && fl[1] !== '??' && Number(fl[2]) > 0) {
          site.file = fl[1];
          site.line = Number(fl[2]);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.addr2line = false;
      }
    }
    this.siteCache.set(key, site);
    return site;
  }

  private funcAt(elf: ElfFile, v: bigint): string | undefined {
    let list = this.funcs.get(elf);
    if (!list) {
      list = elf.symbols
        .filter((s) => s.type === STT_FUNC && s.shndx !== 0 && s.value !== 0n)
        .map((s) => ({ value: s.value, end: s.value + (s.size > 0n ? s.size : 1n), name: s.name }))
        .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      this.funcs.set(elf, list);
    }
    let lo = 0;
    let hi = list.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].value <= v) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 8; i--) if (v < list[i].end) return list[i].name;
    return undefined;
  }
}

/** `#define __NR_name nr` from the installed kernel headers; names fall back to `sys_<nr>`. */
export function syscallNames(): Map<number, string> {
  const names = new Map<number, string>(Object.entries(FALLBACK).map(([k, v]) => [Number(k), v]));
  for (const f of ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm/unistd_64.h']) {
    try {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)/gm)) names.set(Number(m[2]), m[1]);
      break;
    } catch {
      /* try the next */
    }
  }
  return names;
}

/** The x86-64 syscalls the recorder interprets, for machines without kernel headers. */
export const NR = {
  read: 0,
  write: 1,
  open: 2,
  close: 3,
  dup: 32,
  dup2: 33,
  fcntl: 72,
  flock: 73,
  openat: 257,
  dup3: 292,
  uretprobe: 335,
} as const;

const FALLBACK: Record<number, string> = Object.fromEntries(Object.entries(NR).map(([k, v]) => [v, k]));
