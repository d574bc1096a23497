// The small expression language of breakpoint conditions, logpoint `{…}` parts, watch, hover and
// the debug console: literals, names, member/index access, calls, comparison and boolean operators.
// Pure: it knows nothing of the replay; names and functions are resolved through an `Env`.
// docs/debugging.md documents the language for users.

/** Plain JSON-like values every expression evaluates to. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** Resolves names and calls for one evaluation. */
export interface Env {
  /** Value of a name, or undefined when the name is unknown. */
  get(name: string): Value | undefined;
  /** Calls a function; throws ExprError for unknown functions or bad arguments. */
  call(name: string, args: Value[]): Value;
}

export class ExprError extends Error {
  constructor(
    message: string,
    /** 0-based column in the expression text. */
    readonly column: number,
  ) {
    super(message);
    this.name = 'ExprError';
  }
}

export type Node =
  | { type: 'lit'; value: Value; pos: number }
  | { type: 'name'; name: string; pos: number }
  | { type: 'member'; object: Node; name: string; pos: number }
  | { type: 'index'; object: Node; index: Node; pos: number }
  | { type: 'call'; callee: string; args: Node[]; pos: number }
  | { type: 'unary'; op: '!' | '-'; arg: Node; pos: number }
  | { type: 'binary'; op: BinaryOp; left: Node; right: Node; pos: number };

type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||' | '=~';

interface Token {
  kind: 'num' | 'str' | 'id' | 'op' | 'end';
  text: string;
  value?: Value;
  pos: number;
}

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '=~', '<', '>', '!', '(', ')', '[', ']', '.', ',', '-'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)/.exec(src.slice(i))!;
      out.push({ kind: 'num', text: m[0], value: Number(m[0]), pos: start });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (i >= src.length) throw new ExprError(`unterminated string starting at column ${start + 1}`, start);
      i++;
      out.push({ kind: 'str', text: src.slice(start, i), value: s, pos: start });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      out.push({ kind: 'id', text: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected character ${JSON.stringify(c)} at column ${start + 1}`, start);
    out.push({ kind: 'op', text: op, pos: start });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', pos: src.length });
  return out;
}

/** Parses an expression; throws ExprError with the column of the problem. */
export function parseExpr(src: string): Node {
  const toks = tokenize(src);
  let k = 0;
  const peek = (): Token => toks[k];
  const isOp = (t: string): boolean => toks[k].kind === 'op' && toks[k].text === t;
  const expect = (t: string): Token => {
    if (!isOp(t))
      throw new ExprError(
        `expected ${JSON.stringify(t)} at column ${peek().pos + 1}${peek().kind === 'end' ? ' (end of expression)' : ''}`,
        peek().pos,
      );
    return toks[k++];
  };

  const binary = (ops: BinaryOp[], next: () => Node) => (): Node => {
    let left = next();
    while (peek().kind === 'op' && (ops as string[]).includes(peek().text)) {
      const t = toks[k++];
      left = { type: 'binary', op: t.text as BinaryOp, left, right: next(), pos: t.pos };
    }
    return left;
  };

  const primary = (): Node => {
    const t = toks[k];
    if (t.kind === 'num' || t.kind === 'str') {
      k++;
      return { type: 'lit', value: t.value ?? null, pos: t.pos };
    }
    if (t.kind === 'id') {
      k++;
      if (t.text === 'true' || t.text === 'false') return { type: 'lit', value: t.text === 'true', pos: t.pos };
      if (t.text === 'null') return { type: 'lit', value: null, pos: t.pos };
      if (isOp('(')) {
        k++;
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            k++;
            args.push(or());
          }
        }
        expect(')');
        return { type: 'call', callee: t.text, args, pos: t.pos };
      }
      return { type: 'name', name: t.text, pos: t.pos };
    }
    if (isOp('(')) {
      k++;
      const e = or();
      expect(')');
      return e;
    }
    throw new ExprError(
      t.kind === 'end' ? 'unexpected end of expression' : `unexpected ${JSON.stringify(t.text)} at column ${t.pos + 1}`,
      t.pos,
    );
  };

  const postfix = (): Node => {
    let e = primary();
    for (;;) {
      if (isOp('.')) {
        const dot = toks[k++];
        const id = toks[k];
        if (id.kind !== 'id') throw new ExprError(`expected a field name after "." at column ${dot.pos + 1}`, dot.pos);
        k++;
        e = { type: 'member', object: e, name: id.text, pos: id.pos };
      } else if (isOp('[')) {
        const b = toks[k++];
        const index = or();
        expect(']');
        e = { type: 'index', object: e, index, pos: b.pos };
      } else return e;
    }
  };

  const unary = (): Node => {
    if (isOp('!') || isOp('-')) {
      const t = toks[k++];
      return { type: 'unary', op: t.text as '!' | '-', arg: unary(), pos: t.pos };
    }
    return postfix();
  };

  const cmp = (): Node => {
    const left = unary();
    const t = peek();
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>=', '=~'].includes(t.text)) {
      k++;
      return { type: 'binary', op: t.text as BinaryOp, left, right: unary(), pos: t.pos };
    }
    return left;
  };
  const and = binary(['&&'], cmp);
  const or = binary(['||'], and);

  if (toks.length === 1) throw new ExprError('empty expression', 0);
  const e = or();
  if (peek().kind !== 'end') throw new ExprError(`unexpected ${JSON.stringify(peek().text)} at column ${peek().pos + 1}`, peek().pos);
  return e;
}

export function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && v !== false && v !== 0 && v !== '';
}

function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  // a number compares equal to its decimal or hex spelling (`nr == "209"`, `lock == 0x5b7d21c9`).
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof b === 'number' && typeof a === 'string') return equal(b, a);
  return JSON.stringify(a) === JSON.stringify(b);
}

export function evaluateNode(n: Node, env: Env): Value {
  switch (n.type) {
    case 'lit':
      return n.value;
    case 'name': {
      const v = env.get(n.name);
      if (v === undefined) throw new ExprError(`unknown name ${JSON.stringify(n.name)}`, n.pos);
      return v;
    }
    case 'member': {
      const o = evaluateNode(n.object, env);
      if (o === null) return null;
      if (Array.isArray(o)) {
        if (n.name === 'length') return o.length;
        // `held.className` maps over a list
        return o.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x[n.name] ?? null) : null));
      }
      if (typeof o === 'string' && n.name === 'length') return o.length;
      if (typeof o !== 'object') throw new ExprError(`${describe(o)} has no field ${JSON.stringify(n.name)}`, n.pos);
      return Object.prototype.hasOwnProperty.call(o, n.name) ? o[n.name] : null;
    }
    case 'index': {
      const o = evaluateNode(n.object, env);
      const ix = evaluateNode(n.index, env);
      if (Array.isArray(o) && typeof ix === 'number') return o[ix < 0 ? o.length + ix : ix] ?? null;
      if (o !== null && typeof o === 'object' && !Array.isArray(o) && typeof ix === 'string') return o[ix] ?? null;
      throw new ExprError(`cannot index ${describe(o)} with ${describe(ix)}`, n.pos);
    }
    case 'call':
      return env.call(
        n.callee,
        n.args.map((a) => evaluateNode(a, env)),
      );
    case 'unary': {
      const v = evaluateNode(n.arg, env);
      if (n.op === '!') return !truthy(v);
      if (typeof v !== 'number') throw new ExprError(`cannot negate ${describe(v)}`, n.pos);
      return -v;
    }
    case 'binary': {
      if (n.op === '&&') {
        const l = evaluateNode(n.left, env);
        return truthy(l) ? evaluateNode(n.right, env) : l;
      }
      if (n.op === '||') {
        const l = evaluateNode(n.left, env);
        return truthy(l) ? l : evaluateNode(n.right, env);
      }
      const l = evaluateNode(n.left, env);
      const r = evaluateNode(n.right, env);
      switch (n.op) {
        case '==':
          return equal(l, r);
        case '!=':
          return !equal(l, r);
        case '=~': {
          if (typeof r !== 'string') throw new ExprError('the right side of =~ must be a regular expression string', n.pos);
          let re: RegExp;
          try {
            re = new RegExp(r);
          } catch (e) {
            throw new ExprError(`bad regular expression ${JSON.stringify(r)}: ${(e as Error).message}`, n.right.pos);
          }
          if (Array.isArray(l)) return l.some((x) => typeof x === 'string' && re.test(x));
          // a record is not text: it never matches (String() would give "[object Object]")
          return l !== null && typeof l !== 'object' && re.test(String(l));
        }
        default: {
          const a = typeof l === 'string' && typeof r === 'number' ? Number(l) : l;
          const b = typeof r === 'string' && typeof l === 'number' ? Number(r) : r;
          if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
            throw new ExprError(`cannot compare ${describe(l)} ${n.op} ${describe(r)}`, n.pos);
          }
          switch (n.op) {
            case '<':
              return a < b;
            case '<=':
              return a <= b;
            case '>':
              return a > b;
            case '>=':
              return a >= b;
          }
        }
      }
    }
  }
  return assertNever(n);
}

function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}

function describe(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a record';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Parses and evaluates. */
export function evaluate(src: string, env: Env): Value {
  return evaluateNode(parseExpr(src), env);
}

/** One-line rendering of a value for the debug console, variables and logpoints. */
export function formatValue(v: Value, top = true): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return top ? v : JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, false)).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}: ${formatValue(x, false)}`)
    .join(', ')}}`;
}

/**
 * Logpoint messages: text with `{expression}` parts (`{{` and `}}` for literal braces).
 * Errors are rendered inline so one bad part does not hide the rest.
 */
export function interpolate(template: string, env: Env): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      out += c;
      i += 2;
      continue;
    }
    if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end < 0) {
        out += template.slice(i);
        break;
      }
      const src = template.slice(i + 1, end);
      try {
        out += formatValue(evaluate(src, env));
      } catch (e) {
        out += `<${(e as Error).message}>`;
      }
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * Hit conditions: `N` or `>= N` (from the N-th hit on), `> N`, `== N`, `< N`, `<= N`, `% N`
 * (every N-th hit). Returns a predicate on the hit count, or throws ExprError.
 */
export function parseHitCondition(src: string): (hits: number) => boolean {
  const m = /^\s*(>=|<=|==|>|<|%|=)?\s*(\d+)\s*$/.exec(src);
  if (!m) throw new ExprError(`bad hit count ${JSON.stringify(src)}: expected a number, optionally after >=, >, ==, <, <= or %`, 0);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (h) => h > n;
    case '==':
    case '=':
      return (h) => h === n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      if (n === 0) throw new ExprError('hit count % 0 never matches', 0);
      return (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

/** The identifier (possibly dotted) that ends at `column` (0-based) in `text`, for completions. */
export function wordBefore(text: string, column: number): { start: number; word: string } {
  let s = column;
  while (s > 0 && /[A-Za-z0-9_$]/.test(text[s - 1])) s--;
  return { start: s, word: text.slice(s, column) };
}
