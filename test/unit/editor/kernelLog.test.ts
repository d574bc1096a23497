// Editor logic of kernel logs without VS Code (src/editor/kernelLog.ts), on real and hand-checked
// logs: which class or frame is under the cursor, the hover of a class (its chains with each
// edge's context, the held lists naming it), the lines printing a class, and the outline.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';
import type { KernelLog } from '../../../src/core/kernelLog';
import {
  classLines,
  classOccurrences,
  framesByLine,
  kernelClassAt,
  kernelClassHover,
  kernelFrameAt,
  kernelOutline,
} from '../../../src/editor/kernelLog';
import { fixture } from '../helpers';

function load(rel: string) {
  const text = fixture(rel);
  const analysis = analyze(parseTrace(text, { file: rel }));
  return { lines: text.split('\n'), analysis, log: analysis.store.kernelLog as KernelLog, findings: analysis.findings };
}

const links = { reveal: (l: number) => `reveal:${l}`, debug: (l: number) => `debug:${l}`, panel: (l: number) => `panel:${l}` };
const abba = load('test/fixtures/kernel/abba/dmesg.txt');
const syz = load('test/fixtures/kernel-log/syzbot-5.10-circular3.txt');

test('class names are whole: a longer name or a name version is another class', () => {
  assert.deepEqual(classOccurrences('(&x->y_z) (&x->y) (&x->y#2) (&x->y/1)', '&x->y'), [[11, 16]]);
  assert.deepEqual(classOccurrences('lock(&x->y#2);', '&x->y#2'), [[5, 12]]);
  // the longest known class around the cursor wins
  const line = abba.lines[202]; // line 203: ffff… (&dev->a_lock){+.+.}-{3:3}, at: lockseed_ioctl+0xfb/0x530
  const k = line.indexOf('&dev->a_lock');
  assert.deepEqual(kernelClassAt(abba.analysis.store.classes.values, line, k + 3), { className: '&dev->a_lock', start: k, end: k + 12 });
  assert.equal(kernelClassAt(abba.analysis.store.classes.values, line, line.indexOf('lockseed_ioctl')), undefined);
});

test('the frame under the cursor on a chain stack line of a real dmesg, with its log line', () => {
  const frames = framesByLine(abba.log);
  const text = abba.lines[214]; // line 215: lockseed_ioctl+0xbb/0x530 in -> #1's stack
  const f = kernelFrameAt(frames, 215, text, text.indexOf('lockseed') + 2)!;
  assert.equal(f.frame.fn, 'lockseed_ioctl');
  assert.equal(f.frame.offset, '0xbb');
  assert.equal(f.start, text.indexOf('lockseed_ioctl'));
  assert.equal(f.end, text.length);
  // before the frame's name (the timestamp) there is no frame
  assert.equal(kernelFrameAt(frames, 215, text, 2), undefined);
  // a held lock's `at:` frame is a frame too
  const held = abba.lines[244];
  assert.equal(kernelFrameAt(frames, 245, held, held.indexOf('lockseed_ioctl') + 1)?.frame.offset, '0xe5');
});

test('hover of a class: the chain with each edge in print order and its context, the held list naming it', () => {
  const md = kernelClassHover(abba.analysis, abba.findings, '&dev->b_lock', links);
  assert.match(md, /^\*\*`&dev->b_lock`\*\* — lock class in 1 report of this log/);
  assert.match(md, /possible circular locking dependency|lock order inversion|inversion/i);
  assert.match(md, /at \[line 199\]\(reveal:199\).*\[debug\]\(debug:199\).*\[lock panel\]\(panel:199\)/);
  // -> #1 printed before -> #0, each with its line and context
  const e1 = md.indexOf('`-> #1` `&dev->a_lock -> &dev->b_lock` — syscall ioctl, at `lockseed_ioctl+0xbb/0x530`');
  const e0 = md.indexOf('`-> #0` `&dev->b_lock -> &dev->a_lock` — syscall ioctl, at `lockseed_ioctl+0xfb/0x530` by ls_seed/66');
  assert.ok(e1 > 0 && e0 > e1, md);
  assert.match(md, /\(\[line 213\]\(reveal:213\)\)/);
  assert.match(md, /\*\*Held by:\*\*\n- ls_seed\/66 at \[line 245\]\(reveal:245\), taken at `lockseed_ioctl\+0xe5\/0x530`/);
});

test('hover of a class in a three-class chain: the workqueue edge says so', () => {
  const md = kernelClassHover(syz.analysis, syz.findings, '(wq_completion)vdev_wq', links);
  assert.match(md, /`\(wq_completion\)vdev_wq -> &vq->state_lock` — workqueue vdev_reset_work/);
  assert.match(md, /`&dev->cfg_mutex -> \(wq_completion\)vdev_wq` — syscall ioctl/);
  // no "Held by" section: no held list names it
  assert.doesNotMatch(md, /Held by/);
});

test('every line printing a class, and the outline of a report', () => {
  const at = classLines(abba.lines, '&dev->a_lock').map((x) => x.line);
  assert.deepEqual(at, [203, 221, 238, 240]);
  const [o] = kernelOutline(abba.log);
  assert.equal(o.name, 'WARNING: possible circular locking dependency detected');
  assert.equal(o.line, 199);
  assert.equal(o.detail, 'ls_seed/66');
  assert.deepEqual(
    o.children.map((c) => [c.name, c.line, c.endLine]),
    [
      ['-> #1 &dev->b_lock', 213, 219],
      ['-> #0 &dev->a_lock', 221, 229],
      ['1 lock held by ls_seed/66', 244, 245],
      ['stack backtrace', 247, 271],
    ],
  );
});
