// Lock hovers on a real lockdep kernel trace (the lockseed abba capture of the QEMU kernel, as the
// integration workspace holds it): locks held since before the trace, locks taken in a softirq on
// top of a syscall, kernel locks outside any syscall (never "userspace"). Pure: no VS Code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Replay, analyze, parseTrace } from '../../../src/core';
import { lockHover } from '../../../src/editor/hover';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { repoRoot } from '../helpers';

const FILE = path.join(repoRoot, 'test', 'workspace', 'kernel', 'lockseed-abba.trace');
const analysis = analyze(parseTrace(fs.readFileSync(FILE), { file: FILE }));
const index = new TraceIndex(analysis);
const replay = new Replay(analysis);
const links = { reveal: (l: number) => `r${l}`, debug: (l: number) => `d${l}` };
const hover = (className: string, line: number) => lockHover(index, replay, analysis.findings, className, line, links);

test('the AB-BA inversion lockdep reported: both edges, the holder, the finding', () => {
  const md = hover('&dev->a_lock', 2545);
  assert.match(
    md,
    /Held at line 2545:\*\*\n- ls_seed\/66 since \[line 2545\]\(r2545\) in `ioctl`, while holding `&dev->b_lock` \(since \[line 2541\]\(r2541\) in `ioctl`\)/,
  );
  assert.match(md, /`&dev->a_lock -> &dev->b_lock` first made at \[line 2280\]\(r2280\) in `ioctl` by ls_seed\/65/);
  assert.match(md, /`&dev->b_lock -> &dev->a_lock` first made at \[line 2545\]\(r2545\) in `ioctl` by ls_seed\/66/);
  assert.match(md, /lock order inversion \(in-kernel\) at \[line 2545\]\(r2545\) \(ls_seed\/66 in `ioctl`\)/);
});

test('a lock held since before the trace says so, not "in userspace"', () => {
  const md = hover('sb_writers', 20);
  assert.match(md, /- ls_seed\/65 since before the trace began \(shown from \[line 13\]\(r13\)\)\n/);
  assert.doesNotMatch(md, /userspace/);
  // after its release (line 64) nobody holds it
  assert.match(hover('sb_writers', 70), /Held at line 70:\*\* by no task/);
});

test('locks taken in a softirq on top of an ioctl carry their context', () => {
  const md = hover('&pool->lock', 2263);
  assert.match(
    md,
    /- ls_seed\/65 since \[line 2259\]\(r2259\) in `ioctl` \(in softirq\), while holding `&dev->a_lock` \(since \[line 2245\]\(r2245\) in `ioctl`\), `\(&sdp->delay_work\)` \(in softirq, since \[line 2257\]/,
  );
  // an edge made outside any syscall by a kernel lock is not "in userspace"
  assert.match(md, /`&pool->lock -> &rq->__lock` first made at \[line 890\]\(r890\) by ls_seed\/65/);
  assert.doesNotMatch(md, /userspace/);
});

test('a hardirq lock on top of the locks held since before the trace', () => {
  const md = hover('hrtimer_bases.lock', 13);
  assert.match(
    md,
    /- ls_seed\/65 since \[line 13\]\(r13\) \(in hardirq\), while holding `sb_writers` \(since before the trace began\), `trace_types_lock` \(since before the trace began\)\n/,
  );
});
