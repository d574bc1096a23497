// The trace view webview's pure parts, without a browser: the TextMate interpreter colours lines
// of every format with the grammar's scopes (the same grammar the text editor uses), tokens and
// finding decorations make the drawn pieces, and the line cache asks for each missing stretch once.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { findingDecorations, segments } from '../../../media/src/traceView/decorate';
import { LineCache } from '../../../media/src/traceView/lines';
import { Tokenizer, scopeClass } from '../../../media/src/traceView/tokenize';
import { GrammarBody, TRACE_VIEW_MAX_LINES, TraceViewFinding } from '../../../src/protocol/traceView';
import { repoRoot } from '../helpers';

const grammar = JSON.parse(fs.readFileSync(path.join(repoRoot, 'syntaxes/locktrace.tmLanguage.json'), 'utf8')) as GrammarBody;
const tokenizer = new Tokenizer(grammar);

/** The scope (without the `.locktrace` suffix) over the text `part` of `line` (its first occurrence after `from`). */
function scopeOf(line: string, part: string, from = 0): string {
  const k = line.indexOf(part, from);
  assert.ok(k >= 0, `${part} in ${line}`);
  const toks = tokenizer.tokenize(line).filter((t) => t.start <= k && t.end >= k + part.length);
  assert.equal(
    toks.length,
    1,
    `one token covers ${JSON.stringify(part)} in ${JSON.stringify(line)}: ${JSON.stringify(tokenizer.tokenize(line))}`,
  );
  return toks[0].scope.replace(/\.locktrace$/, '');
}

test('tokens cover every line exactly, in order', () => {
  for (const rel of [
    'samples/syscall-order-inversion.trace',
    'test/fixtures/core/syscall-order-inversion.perf.txt',
    'test/fixtures/contention/pipe-writers.ltrace',
  ]) {
    for (const line of fs.readFileSync(path.join(repoRoot, rel), 'utf8').split('\n')) {
      const toks = tokenizer.tokenize(line);
      let at = 0;
      for (const t of toks) {
        assert.equal(t.start, at, `${rel}: ${line}`);
        assert.ok(t.end > t.start);
        at = t.end;
      }
      assert.equal(at, line.length);
    }
  }
});

test('ftrace line: task, pid, cpu, flags, timestamp, event, address, read, class', () => {
  const line = '       aio-writer-2101 [001] ..... 10231.000126: lock_acquire: 000000005b7d21c9 read &mm->mmap_lock';
  assert.equal(scopeOf(line, 'aio-writer'), 'entity.name.type.task');
  assert.equal(scopeOf(line, '2101'), 'constant.numeric.integer.pid');
  assert.equal(scopeOf(line, '001'), 'constant.numeric.integer.cpu');
  assert.equal(scopeOf(line, '.....'), 'comment.other.flags');
  assert.equal(scopeOf(line, '10231.000126'), 'constant.numeric.float.timestamp');
  assert.equal(scopeOf(line, 'lock_acquire'), 'keyword.other.event.lock');
  assert.equal(scopeOf(line, '000000005b7d21c9'), 'constant.numeric.hex.address');
  assert.equal(scopeOf(line, 'read'), 'storage.modifier.read');
  assert.equal(scopeOf(line, '&mm->mmap_lock'), 'variable.other.lock-class');
});

test('syscalls in every printed shape, comments, trace-cmd header, lost events, perf and JSONL', () => {
  const ft = '  io-9 [000] ..... 5.000001: sys_flock(fd: 3, cmd: 2)';
  assert.equal(scopeOf(ft, 'flock'), 'entity.name.function.syscall');
  // as in VS Code: at `fd:` the event-name rule and the argument rule match at the same place, the first listed wins
  assert.equal(scopeOf(ft, '3'), 'constant.numeric');
  const ex = '  io-9 [000] ..... 5.000002: sys_flock -> 0xfffffffffffffe00';
  assert.equal(scopeOf(ex, '0xfffffffffffffe00'), 'constant.numeric.return-value');
  const raw = '  io-9 [000] ..... 5.000003: sys_enter: NR 209 (7f3a1c000000, 1)';
  assert.equal(scopeOf(raw, '209'), 'entity.name.function.syscall.number');
  assert.equal(scopeOf('# tracer: nop', 'tracer'), 'comment.line.number-sign');
  assert.equal(scopeOf('cpus=4', 'cpus'), 'keyword.other.header');
  assert.equal(scopeOf('CPU:1 [LOST 12 EVENTS]', 'LOST'), 'invalid.illegal.lost-events');
  const tc = '  io-9 [000] 5.000004: sys_exit_flock: 0x0';
  assert.equal(scopeOf(tc, 'flock'), 'entity.name.function.syscall');
  assert.equal(scopeOf(tc, '0x0'), 'constant.numeric.return-value');
  const perf = '      aio-writer  2101/2101 [001] 10231.000126:      lock:lock_acquire: 0xffff888100100000 read &mm->mmap_lock';
  assert.equal(scopeOf(perf, 'aio-writer'), 'entity.name.type.task');
  assert.equal(scopeOf(perf, 'lock_acquire'), 'keyword.other.event.lock');
  assert.equal(scopeOf(perf, '&mm->mmap_lock'), 'variable.other.lock-class');
  const json = '{"t":1.5,"ev":"acquire","class":"&dev->mutex","lock":"0x1000","syscall":"ioctl"}';
  assert.equal(scopeOf(json, '"&dev->mutex"'), 'variable.other.lock-class');
  assert.equal(scopeOf(json, '"acquire"'), 'keyword.other.event');
  assert.equal(scopeOf(json, '"ioctl"'), 'entity.name.function.syscall');
  assert.equal(scopeOf(json, '1.5'), 'constant.numeric.json');
});

test('scopes map to the colour classes of the default themes', () => {
  assert.equal(scopeClass('entity.name.function.syscall.locktrace'), 'tk-function');
  assert.equal(scopeClass('variable.other.lock-class.locktrace'), 'tk-variable');
  assert.equal(scopeClass('constant.numeric.hex.address.locktrace'), 'tk-number');
  assert.equal(scopeClass('comment.line.number-sign.locktrace'), 'tk-comment');
  assert.equal(scopeClass(''), '');
  assert.equal(scopeClass('meta.something'), '');
});

test('tokens and finding decorations make the drawn pieces', () => {
  const line = '  t-1 [000] ..... 1.000000: lock_acquire: 0000000000000001 &a->lock';
  const f: TraceViewFinding = { id: 0, line: 1, kind: 'inversion', severity: 'error', title: 'x', message: 'y', locks: ['&b', '&a->lock'] };
  const decos = findingDecorations(line, [f]);
  assert.deepEqual(decos, [{ start: line.indexOf('&a->lock'), end: line.length, className: 'squiggle-error' }]);
  const segs = segments(tokenizer.tokenize(line), decos);
  assert.equal(segs.map((s) => line.slice(s.start, s.end)).join(''), line);
  const cls = segs.find((s) => line.slice(s.start, s.end) === '&a->lock');
  assert.equal(cls?.className, 'tk-variable squiggle-error');
  // a decoration across token boundaries cuts them
  const across = segments(tokenizer.tokenize(line), [{ start: 3, end: 8, className: 'hovered' }]);
  assert.ok(across.some((s) => s.start === 3));
  assert.ok(across.some((s) => s.end === 8));
  assert.ok(across.filter((s) => s.start >= 3 && s.end <= 8).every((s) => s.className.includes('hovered')));
});

test('the line cache asks for each missing stretch once, in pieces the host answers', () => {
  const asked: [number, number, number][] = [];
  const cache = new LineCache((id, from, count) => asked.push([id, from, count]), 10_000);
  cache.want(1, 100, 50);
  assert.deepEqual(asked, [[1, 1, 50]]);
  cache.want(1, 100, 50); // already asked
  assert.equal(asked.length, 1);
  assert.ok(
    cache.accept(
      1,
      1,
      Array.from({ length: 50 }, (_, k) => `line ${k + 1}`),
      [7],
    ),
  );
  assert.equal(cache.get(7)?.cut, true);
  assert.equal(cache.get(8)?.text, 'line 8');
  asked.length = 0;
  cache.want(1, 6000, 1_000_000);
  assert.deepEqual(
    asked.map(([, f, c]) => [f, c]),
    [
      [51, TRACE_VIEW_MAX_LINES],
      [51 + TRACE_VIEW_MAX_LINES, TRACE_VIEW_MAX_LINES],
      [51 + 2 * TRACE_VIEW_MAX_LINES, 6000 - 50 - 2 * TRACE_VIEW_MAX_LINES],
    ],
  );
  cache.clear();
  assert.equal(cache.accept(asked[0][0], 51, ['x'], []), false, 'answers to requests from before a clear are dropped');
  // a full cache keeps the lines near what was wanted last
  const small = new LineCache(() => undefined, 100);
  small.want(1, 100, 1000);
  small.accept(
    1,
    1,
    Array.from({ length: 100 }, () => 'a'),
    [],
  );
  small.want(900, 1000, 1000);
  small.accept(
    2,
    900,
    Array.from({ length: 80 }, () => 'b'),
    [],
  );
  assert.ok(small.size <= 100);
  assert.ok(small.get(950), 'the wanted lines stay');
  assert.equal(small.get(1), undefined, 'the farthest lines went');
});
