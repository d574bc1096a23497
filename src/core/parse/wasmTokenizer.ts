// The byte-level reader compiled to WebAssembly (wasm/tokenizer.ts, built to out/tokenizer.wasm),
// as the parallel parse's workers use it: a range's bytes are read straight into the module's
// memory, the module splits the lines and writes the records, and this side copies them into a
// TokenBatch, making strings only for new dictionary entries and for the lines the module declined
// (they go to the string parser, as the JS reader's declined lines do). The records are the ones
// FastFtraceLines makes (test/unit/core/wasmTokenizer.test.ts holds them to it).
// (WebAssembly is a global of every JavaScript runtime.)

import { Arch, fileSyscall, syscallTable } from './interpret';
import { decode } from './lines';
import { TokenBatch } from './tokens';

/** The module's exports (see wasm/tokenizer.ts). */
interface Exports {
  memory: WebAssembly.Memory;
  handled: WebAssembly.Global;
  declined: WebAssembly.Global;
  init(perf: number, records: number): void;
  fileSyscalls(): number;
  reserve(bytes: number): number;
  begin(at: number, offset: number): void;
  tokenize(from: number, to: number, eof: number, textBase: number, argsBase: number): number;
  records(): number;
  slowCount(): number;
  newComms(): number;
  newLocks(): number;
  argsLength(): number;
  lines(): number;
  column(k: number): number;
}

/** Records written per call of the module (its output columns hold this many). */
const RECORDS_PER_CALL = 16384;

const latin1 = new TextDecoder('latin1');

/** One instance of the module: its dictionaries are those of one tokenizer (one source id). */
export class WasmLines {
  private readonly x: Exports;
  private mem: ArrayBuffer;
  private u8: Uint8Array;

  constructor(module: WebAssembly.Module, perf: boolean, arch?: Arch) {
    this.x = new WebAssembly.Instance(module, {
      env: {
        abort: () => {
          throw new Error('tokenizer.wasm aborted');
        },
      },
    }).exports as unknown as Exports;
    this.x.init(perf ? 1 : 0, RECORDS_PER_CALL);
    this.mem = this.x.memory.buffer;
    this.u8 = new Uint8Array(this.mem);
    // which raw_syscalls numbers the file-lock tracking reads the arguments of
    const table = syscallTable(arch);
    const at = this.x.fileSyscalls();
    for (let nr = 0; nr < 1024; nr++) this.u8[at + nr] = fileSyscall(table[nr] ?? `syscall_${nr}`) ? 1 : 0;
  }

  get handled(): number {
    return this.x.handled.value as number;
  }

  get declined(): number {
    return this.x.declined.value as number;
  }

  /** Memory for `bytes` of input: its address, and a view to read into (valid until the next call). */
  input(bytes: number): { at: number; view: Uint8Array } {
    const at = this.x.reserve(bytes);
    this.refresh();
    return { at, view: this.u8.subarray(at, at + bytes) };
  }

  private refresh(): void {
    if (this.mem !== this.x.memory.buffer) {
      this.mem = this.x.memory.buffer;
      this.u8 = new Uint8Array(this.mem);
    }
  }

  /**
   * Tokenizes the lines in memory [at, at + length) — whole lines, the last one ending with a
   * newline unless `eof` — as the lines of the file from byte `offset`, into `batch`. Returns the
   * number of lines.
   */
  tokenize(at: number, length: number, offset: number, eof: boolean, batch: TokenBatch): number {
    const x = this.x;
    x.begin(at, offset);
    for (let pos = at, end = at + length; pos < end;) {
      pos = x.tokenize(pos, end, eof ? 1 : 0, batch.texts.length, batch.argsLen);
      this.refresh();
      this.copyOut(batch);
    }
    return x.lines();
  }

  /** The outputs of the last call, appended to the batch. */
  private copyOut(batch: TokenBatch): void {
    const x = this.x;
    const mem = this.mem;
    const n = x.records();
    const k0 = batch.n;
    batch.ensure(k0 + n);
    batch.op.set(new Uint8Array(mem, x.column(0), n), k0);
    batch.line.set(new Uint32Array(mem, x.column(1), n), k0);
    batch.offset.set(new Float64Array(mem, x.column(2), n), k0);
    batch.ts.set(new Float64Array(mem, x.column(3), n), k0);
    batch.pid.set(new Int32Array(mem, x.column(4), n), k0);
    batch.cpu.set(new Int32Array(mem, x.column(5), n), k0);
    batch.comm.set(new Int32Array(mem, x.column(6), n), k0);
    batch.ctx.set(new Uint8Array(mem, x.column(7), n), k0);
    batch.flags.set(new Uint8Array(mem, x.column(8), n), k0);
    batch.ref.set(new Int32Array(mem, x.column(9), n), k0);
    batch.num.set(new Float64Array(mem, x.column(10), n), k0);
    batch.n = k0 + n;
    const args = x.argsLength();
    if (args > 0) {
      const at = batch.argSlots(args); // (may replace batch.args)
      batch.args.set(new Float64Array(mem, x.column(11), args), at);
    }
    const u8 = this.u8;
    const slow = new Int32Array(mem, x.column(12), x.slowCount() * 3);
    for (let j = 0; j < slow.length; j += 3) batch.texts.push(decode(u8, slow[j], slow[j + 1]));
    const comms = new Int32Array(mem, x.column(13), x.newComms() * 2);
    for (let j = 0; j < comms.length; j += 2) batch.dict.comms.push(text(u8, comms[j], comms[j + 1]));
    const locks = new Int32Array(mem, x.column(14), x.newLocks() * 6);
    const d = batch.dict;
    for (let j = 0; j < locks.length; j += 6) {
      const [a1, b1, a2, b2, sp, nameStart] = [locks[j], locks[j + 1], locks[j + 2], locks[j + 3], locks[j + 4], locks[j + 5]];
      d.lockKeys.push(b1 === b2 ? text(u8, a1, b1) : text(u8, a1, b1) + text(u8, a2, b2));
      d.lockSps.push(sp - a1);
      d.lockNames.push(text(u8, nameStart, b2));
    }
  }
}

/** ASCII bytes (the module takes only ASCII names and keys) as a string. */
function text(u8: Uint8Array, a: number, b: number): string {
  return latin1.decode(u8.subarray(a, b));
}
