// Reader for locktrace's own JSON Lines format (docs/jsonl-format.md), as written by
// `locktrace record`. Each line is validated field by field; a bad line is a warning naming the
// line and the field, never a crash.

import { EventFlag, EventKind, LockDomain } from '../types';
import { EventBuilder } from './interpret';
import { RawEvent } from './textFormats';

const LOCK_KIND_DOMAIN: Record<string, LockDomain> = {
  kernel: 'kernel',
  mutex: 'user',
  rwlock: 'user',
  spin: 'user',
  user: 'user',
  flock: 'file',
  posix: 'file',
  ofd: 'file',
  file: 'file',
};

type Json = Record<string, unknown>;

export class JsonlReader {
  private sawHeader = false;

  constructor(private readonly b: EventBuilder) {}

  /** Returns an error text for a line that is not usable, or null. */
  line(text: string, lineNo: number, offset: number): string | null {
    const t = text.trim();
    if (t === '') return null;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch (e) {
      return `expected a JSON object (${(e as Error).message})`;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'expected a JSON object';
    const j = o as Json;
    if (j.type === 'header') {
      if (j.format !== 'locktrace') return 'expected header field "format": "locktrace"';
      if (j.version !== 1) return `unsupported locktrace format version ${JSON.stringify(j.version)} (this reader knows version 1)`;
      this.sawHeader = true;
      // the writer records file locks itself: do not derive them again from flock/fcntl syscalls.
      if (j.fileLockEvents === 'explicit') this.b.deriveFileLocks = false;
      return null;
    }
    const ev = j.ev;
    if (typeof ev !== 'string') return 'expected field "ev" (string)';
    const ts = j.ts;
    const pid = j.pid;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return 'expected field "ts" (number)';
    if (typeof pid !== 'number' || !Number.isInteger(pid)) return 'expected field "pid" (integer)';
    const comm = typeof j.comm === 'string' ? j.comm : `<${pid}>`;
    const cpu = typeof j.cpu === 'number' && Number.isInteger(j.cpu) ? j.cpu : 0;
    const raw: RawEvent = { comm, pid, cpu, ts, name: ev, shape: 'event', body: '', ctx: 0 };
    const b = this.b;
    switch (ev) {
      case 'acquire':
      case 'acquired':
      case 'acquire_failed':
      case 'release':
      case 'contended':
      case 'contention_begin':
      case 'contention_end': {
        if (typeof j.lock !== 'string' || j.lock === '') return 'expected field "lock" (non-empty string)';
        const hasClass = typeof j.class === 'string' && j.class !== '';
        const lockKind = typeof j.lockKind === 'string' ? j.lockKind : 'kernel';
        const domain = LOCK_KIND_DOMAIN[lockKind];
        if (!domain) return `unknown "lockKind" ${JSON.stringify(lockKind)} (expected one of ${Object.keys(LOCK_KIND_DOMAIN).join(', ')})`;
        let kind: EventKind;
        let flags = 0;
        let num = 0;
        switch (ev) {
          case 'acquire':
            kind = EventKind.Acquire;
            flags = (j.read === true ? EventFlag.Read : 0) | (j.try === true ? EventFlag.Try : 0);
            // userspace and file locks taken blocking stay pending until `acquired`.
            if (domain !== 'kernel' && j.try !== true && j.pending !== false) flags |= EventFlag.Pending;
            break;
          case 'acquired':
            kind = EventKind.Acquired;
            break;
          case 'acquire_failed':
            kind = EventKind.AcquireFailed;
            num = typeof j.ret === 'number' ? j.ret : -1;
            break;
          case 'release':
            kind = EventKind.Release;
            break;
          case 'contended':
            kind = EventKind.Contended;
            break;
          case 'contention_begin':
            kind = EventKind.ContentionBegin;
            break;
          default:
            kind = EventKind.ContentionEnd;
            num = typeof j.ret === 'number' ? j.ret : 0;
        }
        // events after `acquire` usually name only the lock: they refer to the lock of that address
        let lock = hasClass ? undefined : b.store.lockByKeyLookup(j.lock);
        if (lock === undefined) lock = b.store.lockFor(j.lock, hasClass ? (j.class as string) : j.lock, domain);
        const i = b.addLock(raw, lineNo, offset, kind, flags, lock, num);
        const site = j.site;
        if (site && typeof site === 'object') {
          const s = site as Json;
          b.store.sites.set(i, {
            addr: typeof s.addr === 'string' ? s.addr : undefined,
            fn: typeof s.fn === 'string' ? s.fn : undefined,
            file: typeof s.file === 'string' ? s.file : undefined,
            line: typeof s.line === 'number' ? s.line : undefined,
          });
        }
        return null;
      }
      case 'sys_enter':
      case 'sys_exit': {
        const nr = typeof j.nr === 'number' ? j.nr : undefined;
        let name = typeof j.name === 'string' ? j.name : undefined;
        if (name === undefined && nr === undefined) return 'expected field "name" (string) or "nr" (integer)';
        if (name === undefined) name = b.syscallName(nr as number);
        if (ev === 'sys_enter') {
          const args = Array.isArray(j.args)
            ? j.args.map((a) => (typeof a === 'number' ? a : typeof a === 'string' ? Number(a) : NaN))
            : [];
          b.sysEnter(raw, lineNo, offset, name, args, false, nr);
        } else {
          if (typeof j.ret !== 'number') return 'expected field "ret" (number)';
          b.sysExit(raw, lineNo, offset, name, j.ret, nr);
        }
        return null;
      }
      case 'fork': {
        if (typeof j.child_pid !== 'number') return 'expected field "child_pid" (integer)';
        b.addFork(raw, lineNo, offset, j.child_pid, typeof j.child_comm === 'string' ? j.child_comm : comm);
        return null;
      }
      case 'exit':
        b.addExit(raw, lineNo, offset);
        return null;
      default:
        raw.name = ev === 'other' && typeof j.name === 'string' ? j.name : ev;
        b.addOther(raw, lineNo, offset);
        return null;
    }
  }

  get hadHeader(): boolean {
    return this.sawHeader;
  }
}
