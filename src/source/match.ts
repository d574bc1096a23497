// Maps source lock sites to the lock classes of a trace (the rules are in docs/source.md):
// recorded call sites by exact file:line first; then a class named after the same expression
// (lockdep names a class after its init site: `&ctx->uring_lock`); then by member path with the
// struct type where the files make it clear; globals by symbol name; userspace locks named by
// address by their first-use file:line. More than one candidate on the same evidence is reported
// as ambiguous, never guessed.

import { lex } from './lexer';
import { LockExpr, LockSite, Segment, SourceScan, parseLockExpr } from './scan';

/** How a site was tied to its class(es), strongest first. */
export type MatchHow =
  /** The trace recorded an acquisition at this file:line (`site` of a recorded event). */
  | 'site'
  /** The callee fixes the class (`rcu_read_lock()`). */
  | 'fixed'
  /** The class name is this expression, or its tail (`&current->mm->mmap_lock` ↔ `&mm->mmap_lock`). */
  | 'expression'
  /** Same member, and the struct type of both is known and equal. */
  | 'type'
  /** A global lock by its symbol (`cgroup_mutex`, `db_lock`, `table+64`). */
  | 'symbol'
  /** A userspace lock named by address, first used at this file:line, or the same expression in that file. */
  | 'first-use'
  /** A known or declared class for this member (`lockdep_set_class`, `->i_rwsem` ↔ `&sb->s_type->i_mutex_key`). */
  | 'alias'
  /** Only the member name matches (the one class in the trace with that member). */
  | 'member';

export interface SiteMatch {
  /** Matched classes: several for a recorded line that took several locks; candidates when ambiguous. */
  classes: string[];
  how: MatchHow | null;
  /** More than one class fits equally well: none of them is used as a match. */
  ambiguous: boolean;
  /** One line saying why, for hovers. */
  detail: string;
}

export const NO_MATCH: SiteMatch = { classes: [], how: null, ambiguous: false, detail: 'no class in the trace matches' };

/** A recorded call site of a lock event (from `EventStore.sites`). `line` is 1-based, as recorded. */
export interface RecordedSite {
  file: string;
  line: number;
  className: string;
  eventIndex: number;
}

interface ClassEntry {
  name: string;
  /** Parsed expression (after `&`, `#n`, `&(&x)->rlock` cleanup), or null. */
  expr: LockExpr | null;
  /** Global symbol and offset (`table+64`). */
  symbol?: string;
  /** `0x… (first used at file.c:10)`. */
  firstUse?: { base: string; line: number };
  /** Learned struct types of the expression's base (from init sites and declarations). */
  structs: Set<string>;
}

/** Well-known lockdep classes whose name is not the lock's own expression. */
const KNOWN_ALIASES: { member: string; classes: { name: RegExp; index?: RegExp }[] }[] = [
  // inode_init_always / lockdep_annotate_inode_mutex_key
  { member: 'i_rwsem', classes: [{ name: /^&(sb->s_type|type)->i_mutex_(dir_)?key$/ }] },
  // __percpu_init_rwsem(&s->s_writers.rw_sem[i], sb_writers_name[i], …)
  {
    member: 'rw_sem',
    classes: [
      { name: /^sb_writers$/, index: /^(0|SB_FREEZE_WRITE-1)$/ },
      { name: /^sb_pagefaults$/, index: /^(1|SB_FREEZE_PAGEFAULT-1)$/ },
      { name: /^sb_internal$/, index: /^(2|SB_FREEZE_FS-1)$/ },
    ],
  },
];

/** Normalizes a class name for matching: drops lockdep's `#n` suffix and old `&(&x)->rlock` wrapping. */
export function parseClassName(name: string): Omit<ClassEntry, 'structs' | 'name'> {
  let n = name.trim().replace(/#\d+$/, '');
  const first = /^(\S+) \(first used at (.+):(\d+)\)$/.exec(n);
  if (first) return { expr: null, firstUse: { base: basename(first[2]), line: Number(first[3]) } };
  const sym = /^([A-Za-z_]\w*)\+(\d+|0x[0-9a-f]+)$/.exec(n);
  if (sym) return { expr: null, symbol: sym[1] };
  const rlock = /^&\(&(.+)\)->rlock$/.exec(n);
  if (rlock) n = `&${rlock[1]}`;
  if (!/^[&(\w]/.test(n) || /\s/.test(n.replace(/\s*(->|\.)\s*/g, '$1'))) return { expr: null };
  return { expr: parseLockExpr(lex(n)) };
}

/**
 * The classes of one trace, ready to match source sites. Learns struct types and class aliases from
 * the scanned files (`learn`), and knows the recorded call sites of a recorded trace.
 */
export class ClassIndex {
  private readonly classes = new Map<string, ClassEntry>();
  private readonly byMember = new Map<string, ClassEntry[]>();
  private readonly bySymbol = new Map<string, ClassEntry[]>();
  /** Recorded sites by file base name → line → class → events. */
  private readonly recorded = new Map<string, { file: string; lines: Map<number, Map<string, number[]>> }[]>();
  /** From `lockdep_set_class(&x->member, &key)` in scanned files: member → class names. */
  private readonly learnedAliases = new Map<string, Set<string>>();
  private readonly learned = new WeakSet<SourceScan>();

  constructor(classNames: Iterable<string>, recordedSites: Iterable<RecordedSite> = []) {
    for (const name of classNames) {
      const e: ClassEntry = { name, structs: new Set(), ...parseClassName(name) };
      this.classes.set(name, e);
      const segs = e.expr?.segments;
      if (segs && segs.length > 1) push(this.byMember, segs[segs.length - 1].name, e);
      else if (segs && segs.length === 1 && segs[0].index === undefined) push(this.bySymbol, segs[0].name, e);
      if (e.symbol) push(this.bySymbol, e.symbol, e);
    }
    for (const s of recordedSites) {
      if (!s.file || !s.line) continue;
      const base = basename(s.file);
      let files = this.recorded.get(base);
      if (!files) this.recorded.set(base, (files = []));
      let f = files.find((x) => x.file === s.file);
      if (!f) files.push((f = { file: s.file, lines: new Map() }));
      let atLine = f.lines.get(s.line);
      if (!atLine) f.lines.set(s.line, (atLine = new Map<string, number[]>()));
      const evs = atLine.get(s.className);
      if (evs) evs.push(s.eventIndex);
      else atLine.set(s.className, [s.eventIndex]);
    }
  }

  get size(): number {
    return this.classes.size;
  }

  has(className: string): boolean {
    return this.classes.has(className);
  }

  /** Whether the trace has recorded call sites at all. */
  get hasRecordedSites(): boolean {
    return this.recorded.size > 0;
  }

  /**
   * Learns from a scanned file: init and definition sites give a class's struct type (`mutex_init(&ctx->uring_lock)`
   * in a function with `struct io_ring_ctx *ctx`), `lockdep_set_class` gives aliases, and
   * `struct T *name` declarations of a class's base name give its struct when the file is unanimous.
   */
  learn(scan: SourceScan): void {
    if (this.learned.has(scan)) return;
    this.learned.add(scan);
    for (const s of scan.sites) {
      if (!s.expr) continue;
      const segs = s.expr.segments;
      if (s.kind === 'init' || s.kind === 'define') {
        const e = this.classes.get(`&${s.expr.text}`) ?? this.classes.get(s.expr.text);
        const t = segs.length === 2 ? scan.structOf(segs[0].name, s.start) : undefined;
        if (e && t) e.structs.add(t);
      } else if (s.kind === 'set-class' && s.className && segs.length > 1) {
        const member = segs[segs.length - 1].name;
        if (!this.classes.has(s.className)) continue;
        let set = this.learnedAliases.get(member);
        if (!set) this.learnedAliases.set(member, (set = new Set()));
        set.add(s.className);
      }
    }
    for (const e of this.classes.values()) {
      const segs = e.expr?.segments;
      if (!segs || segs.length !== 2 || e.structs.size) continue;
      const t = scan.structOf(segs[0].name, -1);
      if (t) e.structs.add(t);
    }
  }

  /** Recorded classes at a file:line (1-based), matching the file by its longest common path suffix. */
  recordedAt(file: string, line1: number): Map<string, number[]> | undefined {
    const files = this.recorded.get(basename(file));
    if (!files) return undefined;
    let best: (typeof files)[number] | undefined;
    let bestScore = -1;
    for (const f of files) {
      const score = commonSuffix(f.file, file);
      if (score > bestScore) {
        best = f;
        bestScore = score;
      }
    }
    return best?.lines.get(line1);
  }

  /** Every recorded line of a file (1-based) with its classes. */
  recordedLines(file: string): Map<number, Map<string, number[]>> | undefined {
    const files = this.recorded.get(basename(file));
    if (!files?.length) return undefined;
    return files.reduce((a, b) => (commonSuffix(a.file, file) >= commonSuffix(b.file, file) ? a : b)).lines;
  }

  /** The class(es) a site in `scan` (of the file `file`) refers to. */
  match(site: LockSite, scan: SourceScan, file: string): SiteMatch {
    this.learn(scan);
    const line1 = site.pos.line0 + 1;
    const rec = this.recordedAt(file, line1);
    if (rec?.size) {
      // several calls on one line (rare): keep those whose expression fits, when that decides
      const classes = [...rec.keys()];
      const n = [...rec.values()].reduce((a, b) => a + b.length, 0);
      return { classes, how: 'site', ambiguous: false, detail: `recorded at ${basename(file)}:${line1} (${n} event${n === 1 ? '' : 's'})` };
    }
    if (site.className && site.kind !== 'set-class') {
      return this.classes.has(site.className)
        ? { classes: [site.className], how: 'fixed', ambiguous: false, detail: `\`${site.callee}\` is the class` }
        : NO_MATCH;
    }
    const expr = site.expr;
    if (!expr) return NO_MATCH;
    return this.matchExpr(expr, scan, site.start, file, line1);
  }

  private matchExpr(expr: LockExpr, scan: SourceScan, offset: number, file: string, line1: number): SiteMatch {
    const segs = expr.segments;
    // userspace locks named by address and first use
    const firstUse = this.firstUseMatch(expr, scan, file, line1);
    if (firstUse) return firstUse;
    if (segs.length === 1) {
      const name = segs[0].name;
      if (scan.isLocal(name, offset)) return { ...NO_MATCH, detail: `\`${name}\` is a local or a parameter here` };
      const cands = this.bySymbol.get(name) ?? [];
      const exact = cands.filter((c) => c.name === name || c.name === `&${name}`);
      if (exact.length === 1) return { classes: [exact[0].name], how: 'symbol', ambiguous: false, detail: `global \`${name}\`` };
      if (cands.length === 1) return { classes: [cands[0].name], how: 'symbol', ambiguous: false, detail: `in global \`${name}\`` };
      if (cands.length > 1)
        return { classes: cands.map((c) => c.name), how: 'symbol', ambiguous: true, detail: `several locks inside global \`${name}\`` };
      return NO_MATCH;
    }
    const last = segs[segs.length - 1];
    const srcStruct = segs.length === 2 ? scan.structOf(segs[0].name, offset) : undefined;
    const cands = this.byMember.get(last.name) ?? [];
    const tiers: Record<'expression' | 'type' | 'member', ClassEntry[]> = { expression: [], type: [], member: [] };
    for (const c of cands) {
      const cs = c.expr!.segments;
      if (tailMatches(cs, segs)) {
        tiers.expression.push(c);
        continue;
      }
      // same member, different path: the index (array of locks) must not contradict
      if (last.index !== undefined && cs[cs.length - 1].index !== undefined && last.index !== cs[cs.length - 1].index) continue;
      if (!sameMemberPath(cs, segs)) continue;
      if (srcStruct && c.structs.size) {
        if (c.structs.has(srcStruct)) tiers.type.push(c);
        continue; // known and different: another struct's lock
      }
      tiers.member.push(c);
    }
    const pick = (list: ClassEntry[], how: MatchHow, why: string): SiteMatch | undefined => {
      if (list.length === 1) return { classes: [list[0].name], how, ambiguous: false, detail: why };
      if (list.length > 1)
        return {
          classes: list.map((c) => c.name).sort(),
          how,
          ambiguous: true,
          detail: `ambiguous: ${list.length} classes have \`${memberPath(segs)}\`${srcStruct ? ` (struct ${srcStruct})` : ''}`,
        };
      return undefined;
    };
    const strong =
      pick(tiers.expression, 'expression', `class named after \`${expr.text}\``) ??
      pick(tiers.type, 'type', `member \`${memberPath(segs)}\` of struct ${srcStruct}`);
    if (strong) return strong;
    const aliases = this.aliasesFor(segs);
    const weak = [...tiers.member, ...aliases.filter((a) => !tiers.member.includes(a))];
    if (weak.length === 1) {
      const isAlias = aliases.includes(weak[0]);
      return {
        classes: [weak[0].name],
        how: isAlias ? 'alias' : 'member',
        ambiguous: false,
        detail: isAlias
          ? `\`${memberPath(segs)}\` has the class \`${weak[0].name}\``
          : `by member \`${memberPath(segs)}\` only${srcStruct ? ` (struct ${srcStruct}; the class's struct is unknown)` : ''}`,
      };
    }
    if (weak.length > 1) {
      return {
        classes: weak.map((c) => c.name).sort(),
        how: 'member',
        ambiguous: true,
        detail: `ambiguous: ${weak.length} classes have \`${memberPath(segs)}\`${srcStruct ? ` and none is known to be struct ${srcStruct}` : ' (different structs; the file does not say which)'}`,
      };
    }
    // a lock inside a global (`&tables.rows[1]` ↔ `tables+40`)
    if (!scan.isLocal(segs[0].name, offset)) {
      const inside = (this.bySymbol.get(segs[0].name) ?? []).filter((c) => c.symbol);
      if (inside.length === 1)
        return { classes: [inside[0].name], how: 'symbol', ambiguous: false, detail: `inside global \`${segs[0].name}\`` };
      if (inside.length > 1)
        return {
          classes: inside.map((c) => c.name).sort(),
          how: 'symbol',
          ambiguous: true,
          detail: `ambiguous: ${inside.length} locks inside global \`${segs[0].name}\``,
        };
    }
    return NO_MATCH;
  }

  private aliasesFor(segs: Segment[]): ClassEntry[] {
    const last = segs[segs.length - 1];
    const out: ClassEntry[] = [];
    for (const a of KNOWN_ALIASES) {
      if (a.member !== last.name) continue;
      for (const c of this.classes.values()) {
        for (const k of a.classes) {
          if (!k.name.test(c.name)) continue;
          if (k.index && last.index !== undefined && !k.index.test(last.index)) continue;
          if (!out.includes(c)) out.push(c);
        }
      }
    }
    for (const name of this.learnedAliases.get(last.name) ?? []) {
      const c = this.classes.get(name);
      if (c && !out.includes(c)) out.push(c);
    }
    return out;
  }

  private firstUseMatch(expr: LockExpr, scan: SourceScan, file: string, line1: number): SiteMatch | undefined {
    const base = basename(file);
    const hits: string[] = [];
    let how = '';
    for (const c of this.classes.values()) {
      if (!c.firstUse || c.firstUse.base !== base) continue;
      if (c.firstUse.line === line1) {
        hits.push(c.name);
        how = `first used at ${base}:${line1}`;
        continue;
      }
      // the same expression as the first use, in the same function
      const first = scan.sitesOnLine(c.firstUse.line - 1).find((s) => s.expr);
      const here = scan.sitesOnLine(line1 - 1).find((s) => s.expr?.text === expr.text);
      if (first?.expr?.text === expr.text && here && first.functionName === here.functionName) {
        hits.push(c.name);
        how = `same expression as the first use at ${base}:${c.firstUse.line}`;
      }
    }
    if (hits.length === 1) return { classes: hits, how: 'first-use', ambiguous: false, detail: how };
    if (hits.length > 1)
      return { classes: hits.sort(), how: 'first-use', ambiguous: true, detail: `ambiguous: ${hits.length} locks first used here` };
    return undefined;
  }
}

/** The class's segments are the tail of the source's (names and indices), with the class's base standing for a member or variable. */
function tailMatches(cls: Segment[], src: Segment[]): boolean {
  if (cls.length > src.length) return false;
  for (let k = 1; k <= cls.length; k++) {
    const a = cls[cls.length - k];
    const b = src[src.length - k];
    if (a.name !== b.name) return false;
    if (k < cls.length && a.sep !== b.sep) return false;
    if ((a.index ?? '') !== (b.index ?? '') && !(a.index === undefined && k === cls.length)) return false;
  }
  return true;
}

/** The members after the base agree from the end (`->s_writers.rw_sem` vs `->s_writers.rw_sem`); bases may differ. */
function sameMemberPath(cls: Segment[], src: Segment[]): boolean {
  const n = Math.min(cls.length, src.length) - 1;
  for (let k = 1; k <= n; k++) {
    const a = cls[cls.length - k];
    const b = src[src.length - k];
    if (a.name !== b.name || a.sep !== b.sep) return false;
  }
  return true;
}

function memberPath(segs: Segment[]): string {
  return segs
    .slice(1)
    .map((s) => `${s.sep}${s.name}${s.index !== undefined ? `[${s.index}]` : ''}`)
    .join('');
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const cur = m.get(k);
  if (cur) cur.push(v);
  else m.set(k, [v]);
}

export function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Number of trailing path components two paths share. */
function commonSuffix(a: string, b: string): number {
  const x = a.split(/[\\/]/).reverse();
  const y = b.split(/[\\/]/).reverse();
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}
