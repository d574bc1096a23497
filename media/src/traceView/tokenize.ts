// The trace view's colouring: a small TextMate interpreter over the grammar the host sends
// (syntaxes/locktrace.tmLanguage.json, the one the text editor uses), so both colour the same
// scopes. It runs one line at a time: `match` rules with `name` and `captures`, `begin`/`end`
// rules with their captures and inner `patterns`, `include` of repository rules, and rules that
// only group `patterns`. The earliest match wins, the first listed on a tie, the enclosing rule's
// `end` before its patterns (TextMate's order). Every begin rule of this grammar ends at `$`, so
// no state crosses lines. Oniguruma and JavaScript agree on every regex of the grammar (its unit
// test compiles them); group positions come from the `d` flag.

import type { GrammarBody, GrammarRule } from '../../../src/protocol/traceView';

/** A run of characters [start, end) with the innermost scope over it ('' for none). */
export interface Token {
  start: number;
  end: number;
  scope: string;
}

type Captures = Record<string, { name: string }> | undefined;

interface Compiled {
  name?: string;
  match?: RegExp;
  captures?: Captures;
  begin?: RegExp;
  beginCaptures?: Captures;
  end?: RegExp;
  endCaptures?: Captures;
  patterns: Compiled[];
}

const compile = (src: string): RegExp => new RegExp(src, 'dg');

export class Tokenizer {
  private readonly top: Compiled[];
  private readonly compiled = new Map<GrammarRule, Compiled>();

  constructor(private readonly grammar: GrammarBody) {
    this.top = this.list(grammar.patterns, new Set());
  }

  /** The rules a pattern list stands for: includes resolved, pure groups flattened. */
  private list(patterns: GrammarRule[] | undefined, seen: Set<GrammarRule>): Compiled[] {
    const out: Compiled[] = [];
    for (const p of patterns ?? []) {
      let r: GrammarRule | undefined = p;
      if (p.include) r = p.include.startsWith('#') ? this.grammar.repository[p.include.slice(1)] : undefined;
      if (!r || seen.has(r)) continue;
      if (!r.match && !r.begin) {
        // a group: its patterns stand in its place
        seen.add(r);
        out.push(...this.list(r.patterns, seen));
        seen.delete(r);
        continue;
      }
      out.push(this.rule(r));
    }
    return out;
  }

  private rule(r: GrammarRule): Compiled {
    let c = this.compiled.get(r);
    if (c) return c;
    c = { name: r.name, patterns: [] };
    this.compiled.set(r, c);
    if (r.match) {
      c.match = compile(r.match);
      c.captures = r.captures;
    } else if (r.begin) {
      c.begin = compile(r.begin);
      c.beginCaptures = r.beginCaptures ?? r.captures;
      c.end = compile(r.end ?? '$');
      c.endCaptures = r.endCaptures ?? r.captures;
      c.patterns = this.list(r.patterns, new Set([r]));
    }
    return c;
  }

  /** The tokens of one line, covering it from 0 to its length. */
  tokenize(line: string): Token[] {
    const scopes: string[] = new Array<string>(line.length).fill('');
    const paint = (a: number, b: number, scope: string | undefined) => {
      if (!scope) return;
      for (let k = a; k < b; k++) scopes[k] = scope;
    };
    const paintMatch = (m: RegExpExecArray, name: string | undefined, captures: Captures) => {
      paint(m.index, m.index + m[0].length, name);
      if (!captures || !m.indices) return;
      // nested groups have larger numbers: painted later, they win
      for (let g = 1; g < m.indices.length; g++) {
        const span = m.indices[g];
        const cap = captures[String(g)];
        if (span && cap) paint(span[0], span[1], cap.name);
      }
    };
    const exec = (re: RegExp, pos: number): RegExpExecArray | null => {
      re.lastIndex = pos;
      return re.exec(line);
    };

    /** Runs `patterns` from `pos` until `end` matches (returns the position after it) or the line ends. */
    const run = (patterns: Compiled[], end: Compiled | undefined, pos: number): number => {
      for (let guard = 0; pos <= line.length && guard < 10_000; guard++) {
        const e = end?.end ? exec(end.end, pos) : null;
        let best: { rule: Compiled; m: RegExpExecArray } | undefined;
        for (const rule of patterns) {
          const m = exec((rule.match ?? rule.begin)!, pos);
          if (!m) continue;
          // an empty `match` would never move on
          if (rule.match && m[0].length === 0) continue;
          if (!best || m.index < best.m.index) best = { rule, m };
        }
        if (e && end && (!best || e.index <= best.m.index)) {
          paintMatch(e, undefined, end.endCaptures);
          return e.index + e[0].length;
        }
        if (!best) return line.length;
        const { rule, m } = best;
        if (rule.match) {
          paintMatch(m, rule.name, rule.captures);
          pos = m.index + m[0].length;
          continue;
        }
        const from = m.index;
        paintMatch(m, undefined, rule.beginCaptures);
        const after = run(rule.patterns, rule, m.index + m[0].length);
        // the rule's name covers begin to end; what its parts painted stays on top
        if (rule.name) for (let k = from; k < after && k < line.length; k++) if (!scopes[k]) scopes[k] = rule.name;
        pos = after > pos ? after : pos + 1;
      }
      return line.length;
    };
    run(this.top, undefined, 0);

    const out: Token[] = [];
    for (let k = 0; k < line.length;) {
      const scope = scopes[k];
      let j = k + 1;
      while (j < line.length && scopes[j] === scope) j++;
      out.push({ start: k, end: j, scope });
      k = j;
    }
    return out;
  }
}

/** Scope prefixes and the CSS class that colours them (longest prefix first). */
const CLASSES: [string, string][] = [
  ['entity.name.function', 'tk-function'],
  ['entity.name.namespace', 'tk-namespace'],
  ['entity.name.type', 'tk-type'],
  ['support.type.property-name', 'tk-property'],
  ['constant.language', 'tk-keyword'],
  ['constant.numeric', 'tk-number'],
  ['variable.parameter', 'tk-parameter'],
  ['keyword.operator', 'tk-operator'],
  ['comment', 'tk-comment'],
  ['invalid', 'tk-invalid'],
  ['keyword', 'tk-keyword'],
  ['storage', 'tk-storage'],
  ['variable', 'tk-variable'],
  ['constant', 'tk-number'],
  ['string', 'tk-string'],
  ['support', 'tk-function'],
  ['punctuation', 'tk-punctuation'],
];

/** The CSS class of a scope ('' when the grammar's scope has no colour of its own). */
export function scopeClass(scope: string): string {
  if (!scope) return '';
  for (const [prefix, cls] of CLASSES) if (scope === prefix || scope.startsWith(`${prefix}.`)) return cls;
  return '';
}
