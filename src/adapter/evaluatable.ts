// What a debug hover on a trace line evaluates. VS Code's default takes the word under the mouse,
// which cuts lock classes apart (`&inode->i_dio_map` → `i_dio_map`, `&mm->mmap_lock` → `mm`); here
// the whole class name or lock address of a lock event is the expression, and in JSON Lines the
// whole string value. src/vscode/debug.ts turns the result into a vscode.EvaluatableExpression.
// Pure (no vscode, no DAP), so it is unit-tested in Node. Columns are 0-based UTF-16 offsets into
// the line, `end` exclusive (the same as vscode.Position.character).

/** Part of a line to evaluate, and the expression text. */
export interface EvaluatableRange {
  start: number;
  end: number;
  expression: string;
}

/**
 * A lock event as ftrace, trace-cmd and perf print it: `lock_acquire: ADDRESS [read ][try ]CLASS`
 * (also lock_release / lock_contended / lock_acquired, with or without perf's `lock:` prefix).
 * The class is the rest of the line: names contain `&`, `->`, `/`, `#`, brackets and spaces.
 */
const LOCK_EVENT =
  /\block_(?:acquire|release|contended|acquired):\s+(0x[0-9a-fA-F]+|[0-9a-fA-F]{6,})\s+(?:(?:read|try)\s+)*(\S(?:.*\S)?)\s*$/d;

/** A JSON string token (JSON Lines traces). */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/** Outside lock events: an address, or a name-like word (lock class spellings included). */
const WORD = /0x[0-9a-fA-F]+|[\w&.#/]+(?:->[\w.#/]+)*/g;

/** The expression to evaluate for a hover at `character` of `line`, or undefined for nothing. */
export function evaluatableAt(line: string, character: number): EvaluatableRange | undefined {
  const inside = (start: number, end: number) => character >= start && character < end;

  const ev = LOCK_EVENT.exec(line);
  if (ev?.indices) {
    for (const k of [1, 2]) {
      const [start, end] = ev.indices[k];
      if (inside(start, end)) return { start, end, expression: ev[k] };
    }
  }

  if (/^\s*\{/.test(line)) {
    for (const m of line.matchAll(JSON_STRING)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!inside(start, end)) continue;
      // a key (`"class":`) is not worth evaluating; its value is
      if (/^\s*:/.test(line.slice(end))) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(m[0]);
      } catch {
        return undefined;
      }
      return typeof value === 'string' && value.trim() ? { start: start + 1, end: end - 1, expression: value } : undefined;
    }
  }

  for (const m of line.matchAll(WORD)) {
    const start = m.index;
    let text = m[0];
    // sentence punctuation after a word is not part of it
    text = text.replace(/[.]+$/, '');
    const end = start + text.length;
    if (inside(start, end) && text) return { start, end, expression: text };
  }
  return undefined;
}
