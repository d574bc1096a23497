// Word-at-position → lock/syscall resolution, the trace index (syscall spans, references) and the
// hover and definition texts, on the shared samples. Pure: no VS Code.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Replay, analyze, parseTrace } from '../../../src/core';
import { acquiringLine, formatReturn, lockHover, syscallHover } from '../../../src/editor/hover';
import { tokenAt, wordAt } from '../../../src/editor/tokens';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { fixture } from '../helpers';

function load(rel: string) {
  const text = fixture(rel);
  const analysis = analyze(parseTrace(text, { file: rel }));
  return { lines: text.split('\n'), analysis, index: new TraceIndex(analysis), replay: new Replay(analysis) };
}

const links = { reveal: (l: number) => `reveal:${l}`, debug: (l: number) => `debug:${l}` };
const inv = load('samples/syscall-order-inversion.trace');
const flock = load('samples/flock-deadlock.real.trace');

/** Column of `needle` in a 1-based line of a loaded sample (+ offset into it). */
function col(t: typeof inv, line: number, needle: string, plus = 1): number {
  const k = t.lines[line - 1].indexOf(needle);
  assert.ok(k >= 0, `${needle} on line ${line}`);
  return k + plus;
}

test('wordAt keeps lock class punctuation and drops trailing commas', () => {
  assert.deepEqual(wordAt('holding &inode->i_dio_map, then', 12)?.word, '&inode->i_dio_map');
  assert.equal(wordAt('a  b', 2), undefined);
  assert.equal(wordAt('"class":"sb_writers"', 12)?.word, 'sb_writers');
});

test('the class name on a lock_acquire line resolves to that lock', () => {
  const text = inv.lines[19];
  const tok = tokenAt(inv.index, 20, text, col(inv, 20, '&inode->i_dio_map', 3));
  assert.equal(tok?.kind, 'lock');
  assert.equal(tok.kind === 'lock' && tok.className, '&inode->i_dio_map');
  assert.equal(text.slice(tok.start, tok.end), '&inode->i_dio_map');
});

test('the hashed address on a lock line resolves to the lock', () => {
  const tok = tokenAt(inv.index, 16, inv.lines[15], col(inv, 16, '000000008a1c55e2', 4));
  assert.ok(tok && tok.kind === 'lock');
  assert.equal(tok.className, 'sb_writers');
  assert.equal(inv.lines[15].slice(tok.start, tok.end), '000000008a1c55e2');
});

test('a known class name anywhere (fallback) and nothing on the timestamp', () => {
  const tok = tokenAt(inv.index, 2, 'see sb_writers here', 6);
  assert.ok(tok && tok.kind === 'lock' && tok.className === 'sb_writers' && tok.lockId === undefined);
  assert.equal(tokenAt(inv.index, 16, inv.lines[15], col(inv, 16, '10231.000152')), undefined);
});

test('a syscall line resolves to its span with entry, exit and return value', () => {
  const tok = tokenAt(inv.index, 13, inv.lines[12], col(inv, 13, 'NR 209'));
  assert.ok(tok && tok.kind === 'syscall');
  assert.equal(tok.span.name, 'io_submit');
  assert.equal(tok.span.entryLine, 13);
  assert.equal(tok.span.exitLine, 17);
  assert.equal(tok.span.ret, 1);
  assert.deepEqual(
    tok.span.taken.map((t) => [t.className, t.line, t.releasedLine]),
    [
      ['&mm->mmap_lock', 14, 15],
      ['sb_writers', 16, 25],
    ],
  ); // released in a later syscall
  assert.deepEqual(
    tok.span.leaked.map((l) => [l.className, l.line, l.takenHere]),
    [['sb_writers', 16, true]],
  );
  const md = syscallHover(inv.index, tok.span, links);
  assert.match(md, /`io_submit`\*\* \(syscall 209\) — aio-writer\/2101/);
  assert.match(md, /entered at \[line 13\]\(reveal:13\), returned `1` at \[line 17\]\(reveal:17\)/);
  assert.match(md, /Leaked to userspace:\*\*\n- `sb_writers` \(taken at \[line 16\]/);
});

test('flock lines: the syscall hover carries the derived file lock; errors print their name', () => {
  // line 25: sys_flock(fd: 3, cmd: 2) of 5826, LOCK_EX on file@0x5573c367c030
  const tok = tokenAt(flock.index, 25, flock.lines[24], col(flock, 25, 'sys_flock', 5));
  assert.ok(tok && tok.kind === 'syscall');
  assert.equal(tok.span.name, 'flock');
  assert.equal(tok.lockIds.length, 1);
  assert.equal(flock.analysis.store.className(tok.lockIds[0]), 'flock file@0x5573c367c030');
  assert.equal(formatReturn(-512), '-512 (ERESTARTSYS)');
  assert.equal(formatReturn(3), '3');
});

test('lock hover: holder, acquiring syscall, edge with its origin, findings, links', () => {
  const md = lockHover(inv.index, inv.replay, inv.analysis.findings, 'sb_writers', 20, links);
  assert.match(md, /Held at line 20:\*\*\n- aio-writer\/2101 since \[line 16\]\(reveal:16\) in `io_submit`/);
  assert.match(
    md,
    /`sb_writers -> &inode->i_dio_map` first made at \[line 20\]\(reveal:20\) in `io_uring_enter` by aio-writer\/2101, holding `sb_writers` since \[line 16\]\(reveal:16\) \(`io_submit`\) — held across a syscall boundary/,
  );
  assert.match(md, /lock order inversion \(syscall-order\) at \[line 35\]\(reveal:35\)/);
  assert.match(md, /\[Debug to line 20\]\(debug:20\)/);
  const inner = lockHover(inv.index, inv.replay, inv.analysis.findings, '&inode->i_dio_map', 20, links);
  assert.match(
    inner,
    /- aio-writer\/2101 since \[line 20\]\(reveal:20\) in `io_uring_enter`, while holding `sb_writers` \(since \[line 16\]\(reveal:16\) in `io_submit`\), `&ctx->uring_lock`/,
  );
  // before line 16 nobody holds it and no edge exists
  const early = lockHover(inv.index, inv.replay, inv.analysis.findings, 'sb_writers', 14, links);
  assert.match(early, /Held at line 14:\*\* by no task/);
  assert.match(early, /no edges yet/);
});

test('definition: the acquire of the hold live at the line, also on a release line', () => {
  assert.equal(acquiringLine(inv.index, inv.replay, 'sb_writers', 20), 16);
  assert.equal(acquiringLine(inv.index, inv.replay, 'sb_writers', 25), 16); // release line
  assert.equal(acquiringLine(inv.index, inv.replay, 'sb_writers', 35), 35);
  assert.equal(acquiringLine(inv.index, inv.replay, '&inode->i_dio_map', 35), 29);
  assert.equal(acquiringLine(inv.index, inv.replay, 'sb_writers', 27), undefined);
});

test('references: every acquire and release of a class', () => {
  assert.deepEqual(
    inv.index.referenceLines('sb_writers').map((r) => `${r.kind}:${r.line}`),
    ['acquire:16', 'release:25', 'acquire:35', 'release:38'],
  );
});

test('tasks and spans for the outline and folding', () => {
  assert.deepEqual(
    inv.index.tasks.map((t) => [
      t.comm,
      t.firstLine,
      t.lastLine,
      inv.index
        .spansOfTask(t.taskId)
        .map((s) => `${s.name}:${s.entryLine}-${s.exitLine}`)
        .join(' '),
    ]),
    [
      ['aio-writer', 13, 26, 'io_submit:13-17 io_uring_enter:18-22 io_getevents:23-26'],
      ['dio-reader', 27, 40, 'io_uring_enter:27-31 io_submit:32-36 io_getevents:37-40'],
    ],
  );
});
