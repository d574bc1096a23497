// Finds lock sites in one C/C++ file: calls of the lock API (locks.ts), `guard(T)(&x)` and
// `scoped_guard(T, &x)`, context annotations on functions, lockdep assertions and class setters,
// static lock definitions; plus the function definitions around them and `struct T *name`
// declarations (used to tell structs apart). Works on tokens (lexer.ts), so comments, strings and
// macro definitions never produce sites; a name that is declared, defined or used as a member
// (`void mutex_lock(struct mutex *)`, `ops->mutex_lock(x)`) is not a call.

import { LineMap, SourcePos, Token, lex } from './lexer';
import { LOCK_FUNCTIONS, LOCK_STRUCTS, LOCK_TYPES, LockFunction, STATEMENT_KEYWORDS, SiteKind, guardIsRead } from './locks';

/** One step of a lock expression: `ctx`, `->uring_lock`, `.rw_sem[0]`. */
export interface Segment {
  sep: '' | '->' | '.';
  name: string;
  /** Index expression after this segment (`[…]` or pointer arithmetic `+ n`), whitespace removed. */
  index?: string;
}

/** A lock expression reduced to a member path: `&(ctx)->uring_lock` → `ctx->uring_lock`. */
export interface LockExpr {
  segments: Segment[];
  /** Normalized text without the leading `&`: `ctx->uring_lock`, `sb->s_writers.rw_sem[SB_FREEZE_WRITE-1]`. */
  text: string;
}

export interface LockSite {
  kind: SiteKind;
  /** The function, macro or annotation: `mutex_lock`, `guard(mutex)`, `__acquires`, `pthread_mutex_t`. */
  callee: string;
  api: 'kernel' | 'pthread';
  read: boolean;
  try: boolean;
  /** The lock, or null when the argument is not a plain member path (`*lockp`, `f(x)`). */
  expr: LockExpr | null;
  /** The argument as written. */
  argText: string;
  /** A class fixed by the callee (`rcu_read_lock`), or named by `lockdep_set_class(&x, &key)` (`&key`). */
  className?: string;
  /** Offsets: the whole site (callee to closing parenthesis) and the lock argument. */
  start: number;
  end: number;
  argStart: number;
  argEnd: number;
  /** Position of `start`. */
  pos: SourcePos;
  /** The function definition (or declaration, for annotations) the site belongs to, if any. */
  functionName: string | null;
}

export interface FunctionInfo {
  name: string;
  /** Offset and position of the name. */
  start: number;
  pos: SourcePos;
  /** Offsets of `{` and after `}`; -1 for a prototype. */
  bodyStart: number;
  bodyEnd: number;
  /** Offset after the parameter list's `)`. */
  paramsEnd: number;
}

interface Declaration {
  name: string;
  struct: string;
  offset: number;
}

/** Result of scanning one file. */
export class SourceScan {
  readonly lines: LineMap;

  constructor(
    readonly text: string,
    readonly sites: LockSite[],
    readonly functions: FunctionInfo[],
    private readonly declarations: Declaration[],
  ) {
    this.lines = new LineMap(text);
  }

  /** The function whose parameters or body contain `offset`. */
  functionAt(offset: number): FunctionInfo | undefined {
    for (const f of this.functions) if (offset >= f.start && offset < (f.bodyEnd >= 0 ? f.bodyEnd : f.paramsEnd)) return f;
    return undefined;
  }

  /**
   * The struct a variable points to or is, from `struct T *name` declarations: the one in the
   * function around `offset` (parameters and locals), else the file's, when all of them agree.
   */
  structOf(name: string, offset: number): string | undefined {
    const fn = this.functionAt(offset);
    if (fn) {
      const local = this.declarations.filter(
        (d) => d.name === name && d.offset >= fn.start && d.offset < (fn.bodyEnd >= 0 ? fn.bodyEnd : fn.paramsEnd),
      );
      if (local.length) return agree(local);
    }
    const all = this.declarations.filter((d) => d.name === name);
    return all.length ? agree(all) : undefined;
  }

  /** Whether `name` is a parameter or local of the function around `offset` (then it is not a global). */
  isLocal(name: string, offset: number): boolean {
    const fn = this.functionAt(offset);
    return (
      !!fn && this.locals.some((l) => l.name === name && l.offset >= fn.start && l.offset < (fn.bodyEnd >= 0 ? fn.bodyEnd : fn.paramsEnd))
    );
  }

  /** Sites whose range contains `offset` (innermost first). */
  sitesAt(offset: number): LockSite[] {
    return this.sites.filter((s) => offset >= s.start && offset <= s.end).sort((a, b) => a.end - a.start - (b.end - b.start));
  }

  /** Sites starting on a 0-based line. */
  sitesOnLine(line0: number): LockSite[] {
    return this.sites.filter((s) => s.pos.line0 === line0);
  }

  /** Every declared name in functions (any type), set by scanSource. */
  locals: { name: string; offset: number }[] = [];
}

function agree(ds: Declaration[]): string | undefined {
  const t = new Set(ds.map((d) => d.struct));
  return t.size === 1 ? ds[0].struct : undefined;
}

const SEPS = new Set(['->', '.']);

/** Scans C/C++ source text for lock sites. */
export function scanSource(text: string): SourceScan {
  const toks = lex(text);
  const sites: LockSite[] = [];
  const functions: FunctionInfo[] = [];
  const declarations: Declaration[] = [];
  const locals: { name: string; offset: number }[] = [];
  const lines = new LineMap(text);
  const closeOf = matchBrackets(toks);

  let depth = 0; // braces
  let parenDepth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind === 'punct') {
      if (t.text === '{') depth++;
      else if (t.text === '}') depth = Math.max(0, depth - 1);
      else if (t.text === '(') parenDepth++;
      else if (t.text === ')') parenDepth = Math.max(0, parenDepth - 1);
      continue;
    }
    if (t.kind !== 'ident') continue;
    const prev = toks[i - 1];
    const next = toks[i + 1];
    const memberOrQualified = prev?.kind === 'punct' && (SEPS.has(prev.text) || prev.text === '::');

    // function definitions and prototypes at file scope: NAME ( … ) [annotations] { | ;
    if (depth === 0 && next?.text === '(' && !LOCK_FUNCTIONS.has(t.text) && prev?.text !== '=') {
      const fn = functionAt(toks, i, closeOf, lines);
      if (fn) functions.push(fn);
    }

    // declarations `struct T [*…] name` (any scope) and names declared in functions
    if (t.text === 'struct' || t.text === 'union') {
      const tag = toks[i + 1];
      let j = i + 2;
      while (toks[j]?.text === '*' || toks[j]?.text === 'const' || toks[j]?.text === '__rcu') j++;
      const name = toks[j];
      const after = toks[j + 1];
      if (tag?.kind === 'ident' && name?.kind === 'ident' && after && [',', ';', ')', '=', '['].includes(after.text)) {
        declarations.push({ name: name.text, struct: tag.text, offset: name.start });
        locals.push({ name: name.text, offset: name.start });
        if (depth === 0 && parenDepth === 0 && LOCK_STRUCTS.has(tag.text) && j === i + 2) {
          sites.push(defineSite(`struct ${tag.text}`, name, toks[i], lines, 'kernel'));
        }
      }
      continue;
    }
    if (STATEMENT_KEYWORDS.has(t.text)) {
      // not a type
    } else if (
      next?.kind === 'ident' &&
      (toks[i + 2]?.text === ';' ||
        toks[i + 2]?.text === '=' ||
        toks[i + 2]?.text === ',' ||
        toks[i + 2]?.text === '[' ||
        toks[i + 2]?.text === ')')
    ) {
      // `TYPE name` (a local, a parameter, a global)
      locals.push({ name: next.text, offset: next.start });
      if (LOCK_TYPES.has(t.text) && depth === 0 && parenDepth === 0 && !memberOrQualified) {
        sites.push(defineSite(t.text, next, t, lines, t.text.startsWith('pthread') ? 'pthread' : 'kernel'));
      }
    } else if (next?.text === '*' && toks[i + 2]?.kind === 'ident' && [',', ';', ')', '=', '['].includes(toks[i + 3]?.text ?? '')) {
      locals.push({ name: toks[i + 2].text, offset: toks[i + 2].start });
    }

    if (next?.text !== '(' || memberOrQualified) continue;

    // guard(TYPE)(&x) and scoped_guard(TYPE, &x) / scoped_cond_guard(TYPE, fail, &x)
    if (
      (t.text === 'guard' || t.text === 'scoped_guard' || t.text === 'scoped_cond_guard') &&
      depth > 0 &&
      !isDeclarationContext(toks, i)
    ) {
      const close1 = closeOf.get(i + 1);
      if (close1 === undefined) continue;
      const args1 = splitArgs(toks, i + 2, close1);
      const type = args1[0]?.map((x) => x.text).join('') ?? '';
      if (!/^\w+$/.test(type)) continue;
      let lockArg: Token[] | undefined;
      let end = toks[close1].end;
      let callee = `${t.text}(${type})`;
      if (t.text === 'guard') {
        if (toks[close1 + 1]?.text !== '(') continue;
        const close2 = closeOf.get(close1 + 1);
        if (close2 === undefined) continue;
        lockArg = splitArgs(toks, close1 + 2, close2)[0];
        end = toks[close2].end;
      } else {
        lockArg = args1[t.text === 'scoped_guard' ? 1 : 2];
        callee = `${t.text}(${type}, …)`;
      }
      if (!lockArg?.length) continue; // guard(rcu)(), guard(irqsave)()
      sites.push(makeSite('acquire', callee, 'kernel', guardIsRead(type), /_try$/.test(type), lockArg, t.start, end, lines));
      continue;
    }

    const lf = LOCK_FUNCTIONS.get(t.text);
    if (!lf) continue;
    const close = closeOf.get(i + 1);
    if (close === undefined) continue;
    if (!siteAllowed(lf, toks, i, depth)) continue;
    const args = splitArgs(toks, i + 2, close);
    if (lf.fixedClass) {
      const s = makeSite(lf.kind, t.text, lf.api, !!lf.read, !!lf.try, [], t.start, toks[close].end, lines);
      s.className = lf.fixedClass;
      s.argStart = t.start;
      s.argEnd = t.end;
      sites.push(s);
      continue;
    }
    const arg = args[lf.arg < 0 ? args.length + lf.arg : lf.arg];
    if (!arg?.length) continue;
    const site = makeSite(lf.kind, t.text, lf.api, !!lf.read, !!lf.try, arg, t.start, toks[close].end, lines, lf);
    if (lf.kind === 'set-class') {
      if (t.text === 'lockdep_set_class_and_name' && args[2]?.length === 1 && args[2][0].kind === 'string') {
        site.className = JSON.parse(args[2][0].text) as string;
      } else if (args[1]?.length) {
        site.className = args[1]
          .map((x) => x.text)
          .join('')
          .replace(/\s+/g, '');
      } else continue;
    }
    sites.push(site);
  }

  const scan = new SourceScan(text, sites, functions, declarations);
  scan.locals = locals;
  for (const s of sites) s.functionName = scan.functionAt(s.start)?.name ?? null;
  return scan;
}

/** Where a lock function name is a real use rather than a declaration or a definition of it. */
function siteAllowed(lf: LockFunction, toks: Token[], i: number, depth: number): boolean {
  switch (lf.kind) {
    case 'annotate-acquires':
    case 'annotate-releases':
      return true; // on declarations, after the parameter list
    case 'define':
      return true; // `static DEFINE_MUTEX(x);` at file scope
    case 'assert':
      if (toks[i].text.startsWith('__must_hold')) return true;
      return depth > 0 && !isDeclarationContext(toks, i);
    default:
      return depth > 0 && !isDeclarationContext(toks, i);
  }
}

/** `void mutex_lock(` / `int *pthread_mutex_lock(`: a type before the name makes it a declaration. */
function isDeclarationContext(toks: Token[], i: number): boolean {
  const prev = toks[i - 1];
  if (!prev) return false;
  if (prev.kind === 'ident') return !STATEMENT_KEYWORDS.has(prev.text);
  if (prev.text === '*' || prev.text === '&') {
    const pp = toks[i - 2];
    // `struct mutex *mutex_lock(` vs `x = a & f(` (rare): a type keyword or `{;}` before the type
    return (
      !!pp &&
      pp.kind === 'ident' &&
      !STATEMENT_KEYWORDS.has(pp.text) &&
      (toks[i - 3] === undefined ||
        ['{', '}', ';', 'struct', 'static', 'const', 'extern', 'inline'].includes(toks[i - 3].text) ||
        toks[i - 3].kind === 'ident')
    );
  }
  return false;
}

function defineSite(callee: string, name: Token, first: Token, lines: LineMap, api: 'kernel' | 'pthread'): LockSite {
  const s = makeSite('define', callee, api, false, false, [name], first.start, name.end, lines);
  return s;
}

function makeSite(
  kind: SiteKind,
  callee: string,
  api: 'kernel' | 'pthread',
  read: boolean,
  isTry: boolean,
  arg: Token[],
  start: number,
  end: number,
  lines: LineMap,
  lf?: LockFunction,
): LockSite {
  let expr = arg.length ? parseLockExpr(arg) : null;
  if (expr && lf?.implied) expr = appendPath(expr, lf.implied);
  return {
    kind,
    callee,
    api,
    read,
    try: isTry,
    expr,
    argText: arg.map((t) => t.text).join(' '),
    start,
    end,
    argStart: arg.length ? arg[0].start : start,
    argEnd: arg.length ? arg[arg.length - 1].end : end,
    pos: lines.pos(start),
    functionName: null,
  };
}

/** Index of the matching `)`/`]`/`}` for each opening one. */
function matchBrackets(toks: Token[]): Map<number, number> {
  const out = new Map<number, number>();
  const stack: number[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') stack.push(i);
    else if (pairs[t.text]) {
      // unbalanced code: unwind to the matching kind
      while (stack.length && toks[stack[stack.length - 1]].text !== pairs[t.text]) stack.pop();
      const o = stack.pop();
      if (o !== undefined) out.set(o, i);
    }
  }
  return out;
}

/** Top-level comma-separated arguments between `from` and `to` (exclusive). */
function splitArgs(toks: Token[], from: number, to: number): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let d = 0;
  for (let i = from; i < to; i++) {
    const t = toks[i];
    if (t.text === '(' || t.text === '[' || t.text === '{') d++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') d--;
    if (d === 0 && t.text === ',') {
      out.push(cur);
      cur = [];
    } else cur.push(t);
  }
  if (cur.length || out.length) out.push(cur);
  return out;
}

/** `NAME ( params ) [annotations/qualifiers] {` or `;` at file scope. */
function functionAt(toks: Token[], i: number, closeOf: Map<number, number>, lines: LineMap): FunctionInfo | undefined {
  const close = closeOf.get(i + 1);
  if (close === undefined) return undefined;
  const prev = toks[i - 1];
  if (prev?.kind === 'ident' && STATEMENT_KEYWORDS.has(prev.text)) return undefined;
  // a call at file scope is not C: a type (or `*`) comes before a function's name, except for
  // definition macros directly followed by a body (`SYSCALL_DEFINE2(flock, …) {`)
  const typed = !!prev && (prev.kind === 'ident' || prev.text === '*' || prev.text === '&' || prev.text === '::');
  if (!typed) {
    if (toks[close + 1]?.text !== '{') return undefined;
    const m = /^(?:COMPAT_)?SYSCALL_DEFINE\d$/.test(toks[i].text) ? toks[i + 2] : undefined;
    const end = closeOf.get(close + 1);
    const name = m?.kind === 'ident' ? `sys_${m.text}` : toks[i].text;
    return {
      name,
      start: toks[i].start,
      pos: lines.pos(toks[i].start),
      bodyStart: toks[close + 1].start,
      bodyEnd: end !== undefined ? toks[end].end : Infinity,
      paramsEnd: toks[close].end,
    };
  }
  let j = close + 1;
  while (j < toks.length) {
    const t = toks[j];
    if (t.text === '{') {
      const end = closeOf.get(j);
      return {
        name: toks[i].text,
        start: toks[i].start,
        pos: lines.pos(toks[i].start),
        bodyStart: t.start,
        bodyEnd: end !== undefined ? toks[end].end : Infinity,
        paramsEnd: toks[close].end,
      };
    }
    if (t.text === ';' || t.text === ',' || t.text === '=') {
      return t.text === ';'
        ? {
            name: toks[i].text,
            start: toks[i].start,
            pos: lines.pos(toks[i].start),
            bodyStart: -1,
            bodyEnd: -1,
            paramsEnd: toks[close].end,
          }
        : undefined;
    }
    if (t.kind === 'ident' && toks[j + 1]?.text === '(') {
      // annotations, __attribute__((…)), noexcept(…)
      const c = closeOf.get(j + 1);
      if (c === undefined) return undefined;
      j = c + 1;
      continue;
    }
    if (
      t.kind === 'ident' ||
      t.text === '->' ||
      t.text === ':' ||
      t.text === '::' ||
      t.text === '&' ||
      t.text === '*' ||
      t.text === '<' ||
      t.text === '>'
    ) {
      j++; // const, override, trailing return types, C++ initializer lists (roughly)
      continue;
    }
    if (t.text === '(' && closeOf.has(j)) {
      j = closeOf.get(j)! + 1;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/**
 * Reduces an argument to a member path: strips `&`, casts and parentheses, follows `->`, `.`,
 * `[i]`, and a trailing `+ n` (pointer arithmetic on an array of locks). Anything else is null.
 */
export function parseLockExpr(arg: readonly Token[]): LockExpr | null {
  let toks = stripParens(arg.slice());
  if (toks[0]?.text === '&') toks = stripParens(toks.slice(1));
  // casts: `(struct mutex *)x`
  while (toks[0]?.text === '(') {
    const close = findClose(toks, 0);
    if (close < 0 || close === toks.length - 1) break;
    const inner = toks.slice(1, close);
    if (inner.every((t) => t.kind === 'ident' || t.text === '*') && inner.some((t) => t.text === '*' || t.text === 'struct')) {
      toks = stripParens(toks.slice(close + 1));
      if (toks[0]?.text === '&') toks = stripParens(toks.slice(1));
    } else break;
  }
  const segments: Segment[] = [];
  let k = 0;
  if (toks[0]?.text === '(') {
    // `(ctx)->lock`, `(&x)->rlock`
    const close = findClose(toks, 0);
    if (close < 0) return null;
    const inner = parseLockExpr(toks.slice(1, close));
    if (!inner) return null;
    const innerAddr = stripParens(toks.slice(1, close))[0]?.text === '&';
    segments.push(...inner.segments.map((s) => ({ ...s })));
    k = close + 1;
    if (innerAddr && toks[k]?.text === '->') {
      // (&a)->b is a.b
      k++;
      const name = toks[k];
      if (name?.kind !== 'ident') return null;
      segments.push({ sep: '.', name: name.text });
      k++;
    }
  } else if (toks[0]?.kind === 'ident') {
    segments.push({ sep: '', name: toks[0].text });
    k = 1;
  } else return null;
  while (k < toks.length) {
    const t = toks[k];
    if (t.text === '->' || t.text === '.') {
      const name = toks[k + 1];
      if (name?.kind !== 'ident') return null;
      segments.push({ sep: t.text, name: name.text });
      k += 2;
    } else if (t.text === '[') {
      const close = findClose(toks, k);
      if (close < 0) return null;
      segments[segments.length - 1].index = toks
        .slice(k + 1, close)
        .map((x) => x.text)
        .join('');
      k = close + 1;
    } else if (t.text === '+' && k + 1 < toks.length) {
      segments[segments.length - 1].index = toks
        .slice(k + 1)
        .map((x) => x.text)
        .join('');
      k = toks.length;
    } else return null;
  }
  return { segments, text: exprText(segments) };
}

export function exprText(segments: readonly Segment[]): string {
  return segments.map((s) => `${s.sep}${s.name}${s.index !== undefined ? `[${s.index}]` : ''}`).join('');
}

/** Appends a member path like `->i_rwsem` or `->s_writers.rw_sem[X]` to an expression. */
function appendPath(e: LockExpr, path: string): LockExpr {
  const parsed = parseLockExpr(lex(`x${path}`));
  if (!parsed) return e;
  const segments = [...e.segments, ...parsed.segments.slice(1)];
  return { segments, text: exprText(segments) };
}

function stripParens(toks: Token[]): Token[] {
  while (toks.length >= 2 && toks[0].text === '(' && findClose(toks, 0) === toks.length - 1) toks = toks.slice(1, -1);
  return toks;
}

function findClose(toks: readonly Token[], open: number): number {
  const o = toks[open].text;
  const c = o === '(' ? ')' : o === '[' ? ']' : '}';
  let d = 0;
  for (let i = open; i < toks.length; i++) {
    if (toks[i].text === o) d++;
    else if (toks[i].text === c && --d === 0) return i;
  }
  return -1;
}
