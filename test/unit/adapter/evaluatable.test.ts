// What debug hovers evaluate on trace lines (src/adapter/evaluatable.ts): whole lock classes and
// addresses of lock events in every text format, JSON Lines string values, plain words otherwise;
// and that the runtime evaluates an address spelled as the trace prints it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { evaluatableAt } from '../../../src/adapter/evaluatable';
import { ReplayRuntime } from '../../../src/adapter/runtime';

const ROOT = path.resolve(__dirname, '../../../..');
const SAMPLE = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');
const sampleLine = (n: number) => fs.readFileSync(SAMPLE, 'utf8').split('\n')[n - 1];

/** The expression for a hover on the first occurrence of `at` (offset `k` into it) in `line`. */
function hover(line: string, at: string, k = 0): string | undefined {
  const col = line.indexOf(at);
  assert.ok(col >= 0, `${at} in ${line}`);
  const r = evaluatableAt(line, col + k);
  if (r) assert.equal(line.slice(r.start, r.end), r.expression, 'the range covers exactly the expression');
  return r?.expression;
}

describe('evaluatableAt', () => {
  const l29 = sampleLine(29); // lock_acquire: 00000000f13b2c07 &inode->i_dio_map
  const l14 = sampleLine(14); // lock_acquire: 000000005b7d21c9 read &mm->mmap_lock

  it('takes the whole lock class wherever the mouse is in it', () => {
    for (const part of ['&', 'inode', '->', 'i_dio_map'])
      assert.equal(hover(l29, part === '&' ? '&inode' : part), '&inode->i_dio_map', part);
    assert.equal(hover(l29, 'i_dio_map', 8), '&inode->i_dio_map', 'last character');
    assert.equal(hover(sampleLine(35), 'sb_writers'), 'sb_writers');
  });

  it('leaves read/try out of the class', () => {
    assert.equal(hover(l14, '&mm->mmap_lock', 5), '&mm->mmap_lock');
    assert.equal(hover(l14, 'read'), 'read');
  });

  it('takes the address as printed (ftrace %p, trace-cmd and perf 0x…)', () => {
    assert.equal(hover(l29, 'f13b2c07'), '00000000f13b2c07');
    const tc = '      aio-writer-2101  [001] 10231.000126: lock_acquire:        0xffff888100100000 read &mm->mmap_lock';
    assert.equal(hover(tc, '0xffff'), '0xffff888100100000');
    assert.equal(hover(tc, 'mmap_lock'), '&mm->mmap_lock');
    const perf = '      aio-writer  2101 [001] 10231.000152:      lock:lock_release: 0xffff888100100040 sb_writers';
    assert.equal(hover(perf, 'sb_writers', 3), 'sb_writers');
  });

  it('class names with spaces, brackets, slashes and # are one expression', () => {
    const line = '  kworker/0:1-12 [000] ..... 1.000001: lock_acquire: ffff88810a1b2c3d (work_completion)(&(&dev->work)->work) ';
    assert.equal(hover(line, 'dev'), '(work_completion)(&(&dev->work)->work)');
    assert.equal(hover('x-1 [000] 1.0: lock_release: 0000000012345678 &ei->i_data_sem/1', 'i_data'), '&ei->i_data_sem/1');
  });

  it('JSON Lines: a string value, not its key', () => {
    const line = '{"type":"lock","event":"acquire","lock":"0x7ffd1000","class":"pthread mutex@0x7ffd1000","pid":7}';
    assert.equal(hover(line, 'pthread'), 'pthread mutex@0x7ffd1000');
    assert.equal(hover(line, '0x7ffd1000'), '0x7ffd1000');
    assert.equal(hover(line, '"class"', 2), undefined);
  });

  it('elsewhere: the word, with -> chains and addresses kept whole', () => {
    assert.equal(hover('see &inode->i_dio_map.', 'inode'), '&inode->i_dio_map');
    assert.equal(hover(sampleLine(13), '209'), '209');
    assert.equal(hover(sampleLine(13), '7f3a1c000000', 2), '7f3a1c000000');
    assert.equal(evaluatableAt('   ', 1), undefined);
  });
});

describe('evaluate of a lock address as the trace prints it', () => {
  it('000000008a1c55e2, 0x8a1c55e2 and 0x000000008A1C55E2 are sb_writers', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: SAMPLE });
    rt.goto(rt.gotoTarget(35));
    for (const spelling of ['000000008a1c55e2', '0x8a1c55e2', '0x000000008A1C55E2']) {
      assert.match(rt.evaluate(spelling).text, /^0x8a1c55e2: held by dio-reader-2102 \(since line 35 in io_submit\)/, spelling);
    }
    assert.equal(rt.dataBreakpointInfo('000000008a1c55e2')?.dataId, 'lock:0x8a1c55e2');
    // a short number is a number, not an address
    assert.equal(rt.evaluate('2102').text, '2102');
  });
});
