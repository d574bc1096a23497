// A small ELF64 little-endian reader for the recorder: program headers (load bias, PT_INTERP),
// the dynamic section (DT_NEEDED, RPATH/RUNPATH), and the symbol tables (.symtab, .dynsym with
// GNU symbol versions), so probe offsets and lock names come from the binaries themselves.
import * as fs from 'fs';

export interface ElfSymbol {
  name: string;
  /** Virtual address as linked (add the load bias for a runtime address). */
  value: bigint;
  size: bigint;
  /** STT_* (1 object, 2 func, 6 tls). */
  type: number;
  /** STB_* (0 local, 1 global, 2 weak). */
  bind: number;
  shndx: number;
  /** Symbol version name (`GLIBC_2.34`), when the table has versions. */
  version?: string;
  /** False for non-default (`name@VER`, hidden) versions; true for `name@@VER` and unversioned. */
  defaultVersion: boolean;
  fromDynsym: boolean;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_TLS = 6;

interface Section {
  name: string;
  nameOff: number;
  type: number;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  entsize: bigint;
}

export class ElfError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ElfError';
  }
}

/** A parsed ELF64 file. Read once, then query. */
export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly entry: bigint;
  readonly segments: ElfSegment[] = [];
  readonly interp?: string;
  readonly needed: string[] = [];
  readonly runpath: string[] = [];
  readonly symbols: ElfSymbol[] = [];
  readonly hasSymtab: boolean;
  private readonly sections: Section[] = [];

  constructor(
    readonly path: string,
    private readonly buf: Buffer,
  ) {
    if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(path, 'not an ELF file');
    if (buf[4] !== 2) throw new ElfError(path, 'not a 64-bit ELF file (only ELF64 is supported)');
    if (buf[5] !== 1) throw new ElfError(path, 'not a little-endian ELF file');
    this.type = buf.readUInt16LE(16);
    this.machine = buf.readUInt16LE(18);
    this.entry = buf.readBigUInt64LE(24);
    const phoff = Number(buf.readBigUInt64LE(32));
    const shoff = Number(buf.readBigUInt64LE(40));
    const phentsize = buf.readUInt16LE(54);
    const phnum = buf.readUInt16LE(56);
    const shentsize = buf.readUInt16LE(58);
    const shnum = buf.readUInt16LE(60);
    const shstrndx = buf.readUInt16LE(62);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      if (o + 56 > buf.length) break;
      const seg: ElfSegment = {
        type: buf.readUInt32LE(o),
        flags: buf.readUInt32LE(o + 4),
        offset: buf.readBigUInt64LE(o + 8),
        vaddr: buf.readBigUInt64LE(o + 16),
        filesz: buf.readBigUInt64LE(o + 32),
        memsz: buf.readBigUInt64LE(o + 40),
      };
      this.segments.push(seg);
      if (seg.type === PT_INTERP) this.interp = this.cstr(Number(seg.offset));
    }
    if (shoff > 0 && shoff + shnum * shentsize <= buf.length) {
      for (let i = 0; i < shnum; i++) {
        const o = shoff + i * shentsize;
        this.sections.push({
          name: '',
          type: buf.readUInt32LE(o + 4),
          addr: buf.readBigUInt64LE(o + 16),
          offset: buf.readBigUInt64LE(o + 24),
          size: buf.readBigUInt64LE(o + 32),
          link: buf.readUInt32LE(o + 40),
          info: buf.readUInt32LE(o + 44),
          entsize: buf.readBigUInt64LE(o + 56),
          nameOff: buf.readUInt32LE(o),
        });
      }
      const shstr = this.sections[shstrndx];
      if (shstr) for (const s of this.sections) s.name = this.cstr(Number(shstr.offset) + s.nameOff);
    }
    this.readDynamic();
    const symtab = this.sections.find((s) => s.type === 2);
    this.hasSymtab = symtab !== undefined;
    if (symtab) this.readSymbols(symtab, false);
    const dynsym = this.sections.find((s) => s.type === 11);
    if (dynsym) this.readSymbols(dynsym, true);
  }

  static read(path: string): ElfFile {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(path);
    } catch (e) {
      throw new ElfError(path, (e as Error).message);
    }
    return new ElfFile(path, buf);
  }

  /** True when the file is a dynamically linked program or library. */
  get dynamic(): boolean {
    return this.segments.some((s) => s.type === PT_DYNAMIC);
  }

  /** File offset of a linked virtual address (what uprobe_events wants), via the PT_LOAD segments. */
  fileOffset(vaddr: bigint): bigint | undefined {
    for (const s of this.segments) {
      if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
    }
    return undefined;
  }

  /**
   * The function symbol a program linking against this library would get for `name`: the default
   * version (`name@@VER`) or an unversioned one, preferring .dynsym (what the dynamic linker binds).
   */
  findFunction(name: string): ElfSymbol | undefined {
    const cands = this.symbols.filter((s) => s.name === name && s.type === STT_FUNC && s.shndx !== 0 && s.value !== 0n);
    return cands.find((s) => s.fromDynsym && s.defaultVersion) ?? cands.find((s) => s.defaultVersion) ?? cands[0];
  }

  /** The data object covering a linked virtual address, for naming locks. */
  objectAt(vaddr: bigint): ElfSymbol | undefined {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.type !== STT_OBJECT || s.shndx === 0) continue;
      const end = s.value + (s.size > 0n ? s.size : 1n);
      if (vaddr >= s.value && vaddr < end && (!best || s.size < best.size)) best = s;
    }
    return best;
  }

  private cstr(off: number): string {
    let end = off;
    while (end < this.buf.length && this.buf[end] !== 0) end++;
    return this.buf.toString('utf8', off, end);
  }

  private readDynamic(): void {
    const dyn = this.sections.find((s) => s.type === 6);
    if (!dyn) return;
    const strtab = this.sections[dyn.link];
    if (!strtab) return;
    const names: { tag: bigint; val: bigint }[] = [];
    for (let o = Number(dyn.offset); o + 16 <= Number(dyn.offset + dyn.size); o += 16) {
      const tag = this.buf.readBigInt64LE(o);
      if (tag === 0n) break;
      names.push({ tag, val: this.buf.readBigUInt64LE(o + 8) });
    }
    for (const { tag, val } of names) {
      const str = (): string => this.cstr(Number(strtab.offset + val));
      if (tag === 1n)
        this.needed.push(str()); // DT_NEEDED
      else if (tag === 15n || tag === 29n) this.runpath.push(...str().split(':').filter(Boolean)); // RPATH, RUNPATH
    }
  }

  private readSymbols(sec: Section, fromDynsym: boolean): void {
    const strtab = this.sections[sec.link];
    if (!strtab) return;
    const ent = Number(sec.entsize) || 24;
    const count = Math.floor(Number(sec.size) / ent);
    // GNU versions apply to .dynsym only: .gnu.version (one u16 per symbol) + .gnu.verdef names.
    let versym: number | undefined;
    const verNames = new Map<number, string>();
    if (fromDynsym) {
      const vs = this.sections.find((s) => s.type === 0x6fffffff);
      if (vs) versym = Number(vs.offset);
      const vd = this.sections.find((s) => s.type === 0x6ffffffd);
      if (vd) {
        const vstr = this.sections[vd.link];
        let o = Number(vd.offset);
        for (let i = 0; i < vd.info && vstr; i++) {
          const ndx = this.buf.readUInt16LE(o + 4);
          const aux = this.buf.readUInt32LE(o + 12);
          const next = this.buf.readUInt32LE(o + 16);
          verNames.set(ndx, this.cstr(Number(vstr.offset) + this.buf.readUInt32LE(o + aux)));
          if (next === 0) break;
          o += next;
        }
      }
    }
    for (let i = 1; i < count; i++) {
      const o = Number(sec.offset) + i * ent;
      const info = this.buf[o + 4];
      const name = this.cstr(Number(strtab.offset) + this.buf.readUInt32LE(o));
      if (!name) continue;
      let version: string | undefined;
      let defaultVersion = true;
      if (versym !== undefined) {
        const v = this.buf.readUInt16LE(versym + i * 2);
        defaultVersion = (v & 0x8000) === 0;
        version = verNames.get(v & 0x7fff);
      }
      // .symtab names may carry the version inline (`foo@@GLIBC_2.2.5`, `foo@GLIBC_2.2.5`).
      let plain = name;
      const at = name.indexOf('@');
      if (at > 0) {
        plain = name.slice(0, at);
        defaultVersion = name.startsWith('@@', at);
        version = name.slice(at + (defaultVersion ? 2 : 1));
      }
      this.symbols.push({
        name: plain,
        value: this.buf.readBigUInt64LE(o + 8),
        size: this.buf.readBigUInt64LE(o + 16),
        type: info & 0xf,
        bind: info >> 4,
        shndx: this.buf.readUInt16LE(o + 6),
        version,
        defaultVersion,
        fromDynsym,
      });
    }
  }
}
