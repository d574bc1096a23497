// A small C/C++ lexer for the source matcher: identifiers, numbers and punctuation with their
// offsets; comments, string and character literals are recognised so that nothing inside them is
// taken for code; preprocessor directives (with backslash continuations) are dropped as a whole, as
// are `#if 0` … `#endif` regions. Not a preprocessor: macros are never expanded.
// Pure: no `vscode`, no Node modules.

export type TokenKind = 'ident' | 'number' | 'punct' | 'string' | 'char';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the text (UTF-16 code units, like `vscode.TextDocument`). */
  start: number;
  /** Offset after the last character. */
  end: number;
}

/** A position in a source file: 0-based line and 0-based UTF-16 column (the `vscode.Position` bases). */
export interface SourcePos {
  line0: number;
  col0: number;
}

/** Offset ↔ position conversions for one text. */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  pos(offset: number): SourcePos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line0: lo, col0: offset - this.starts[lo] };
  }

  /** Offset of the start of a 0-based line (the text length past the end). */
  lineStart(line0: number): number {
    return this.starts[Math.max(0, Math.min(line0, this.starts.length - 1))];
  }

  get lineCount(): number {
    return this.starts.length;
  }
}

// Longest first, so that `->` wins over `-`.
const PUNCT = [
  '<<=',
  '>>=',
  '...',
  '->',
  '::',
  '++',
  '--',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '##',
];

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Tokens of C/C++ source, without comments and preprocessor directives. Unterminated comments and
 * literals end at the end of the text (or line, for literals): a half-typed file still scans.
 */
export function lex(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  /** True while only whitespace (or comments) has been seen on the current line: `#` starts a directive. */
  let lineStart = true;
  /** Depth of `#if` nesting inside a skipped `#if 0` region (0: not skipping). */
  let skipDepth = 0;

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    // comments
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      i = endOfLine(text, i);
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === 35 /* # */ && lineStart) {
      const end = endOfLine(text, i);
      const directive = stripComments(text.slice(i + 1, end)).trim();
      const word = /^(\w+)\s*(.*)$/s.exec(directive);
      const name = word?.[1] ?? '';
      const rest = (word?.[2] ?? '').trim();
      if (skipDepth > 0) {
        if (name === 'if' || name === 'ifdef' || name === 'ifndef') skipDepth++;
        else if (name === 'endif' || (skipDepth === 1 && (name === 'else' || name === 'elif'))) skipDepth--;
      } else if (name === 'if' && /^0\b/.test(rest)) {
        skipDepth = 1;
      }
      i = end;
      continue;
    }
    lineStart = false;
    if (skipDepth > 0) {
      // inside `#if 0`: still step over literals and comments so a `#` in them is not a directive
      if (c === 34 || c === 39) i = skipQuoted(text, i, c);
      else i++;
      continue;
    }
    const start = i;
    if (c === 34 /* " */ || c === 39 /* ' */) {
      i = skipQuoted(text, i, c);
      out.push({ kind: c === 34 ? 'string' : 'char', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      // C++11 raw string R"delim( … )delim" (also u8R, LR, uR, UR)
      if (text.charCodeAt(i) === 34 && /^(u8|u|U|L)?R$/.test(word)) {
        const open = text.indexOf('(', i + 1);
        if (open > 0 && open - i - 1 <= 16) {
          const delim = text.slice(i + 1, open);
          const close = text.indexOf(`)${delim}"`, open + 1);
          i = close < 0 ? n : close + delim.length + 2;
          out.push({ kind: 'string', text: text.slice(start, i), start, end: i });
          continue;
        }
      }
      out.push({ kind: 'ident', text: word, start, end: i });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      // pp-number: digits, letters, `.`, `'` separators, exponent signs
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isIdentPart(d) || d === 46 || (d === 39 && isIdentPart(text.charCodeAt(i + 1)))) i++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[i - 1])) i++;
        else break;
      }
      out.push({ kind: 'number', text: text.slice(start, i), start, end: i });
      continue;
    }
    let p = '';
    for (const cand of PUNCT) {
      if (text.startsWith(cand, i)) {
        p = cand;
        break;
      }
    }
    if (!p) p = text[i];
    i += p.length;
    out.push({ kind: 'punct', text: p, start, end: i });
  }
  return out;
}

/** Offset of the `\n` ending the logical line at `i` (backslash-newline continues it). */
function endOfLine(text: string, i: number): number {
  const n = text.length;
  for (;;) {
    // a block comment inside a directive may span lines
    const nl = text.indexOf('\n', i);
    const open = text.indexOf('/*', i);
    if (open >= 0 && (nl < 0 || open < nl) && !inLineComment(text, i, open)) {
      const close = text.indexOf('*/', open + 2);
      if (close < 0) return n;
      i = close + 2;
      continue;
    }
    if (nl < 0) return n;
    let k = nl - 1;
    if (text.charCodeAt(k) === 13) k--;
    if (text.charCodeAt(k) === 92 /* \ */) {
      i = nl + 1;
      continue;
    }
    return nl;
  }
}

function inLineComment(text: string, from: number, at: number): boolean {
  const lc = text.indexOf('//', from);
  return lc >= 0 && lc < at;
}

function stripComments(s: string): string {
  return s
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/.*$/gm, '')
    .replace(/\\\r?\n/g, ' ');
}

/** Offset after a quoted literal starting at `i` (stops at an unescaped newline). */
function skipQuoted(text: string, i: number, quote: number): number {
  const n = text.length;
  i++;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (d === 92) i += 2;
    else if (d === quote) return i + 1;
    else if (d === 10) return i;
    else i++;
  }
  return n;
}
