// The replay runtime on kernel logs: stepping goes through a report (the title, each `-> #N` edge,
// then the reporting task's state), step back retraces it, step out lands on the task's state;
// each step's stack is the log's stack for it, the held-lock frames are what the log says was held
// (labelled with the log's context), and the threads are the current report's.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ReplayRuntime, StopEvent } from '../../../src/adapter/runtime';
import { repoRoot } from '../helpers';

const SYZBOT = path.join(repoRoot, 'test/fixtures/kernel-log/syzbot-5.10-circular3.txt');
const ABBA = path.join(repoRoot, 'test/fixtures/kernel/abba/dmesg.txt');

function nextStop(rt: ReplayRuntime): Promise<StopEvent> {
  return new Promise((resolve) => rt.on('stopped', resolve));
}

async function step(rt: ReplayRuntime, how: 'next' | 'stepBack' | 'stepOut' | 'stepIn'): Promise<StopEvent> {
  const stop = nextStop(rt);
  rt[how]();
  return stop;
}

/** Where the runtime stands: the line, the stopped thread and its frames' names. */
function where(rt: ReplayRuntime): { line: number; thread: string; frames: string[] } {
  const task = rt.currentTask;
  const thread = rt.threads().find((t) => t.taskId === task)?.name ?? '?';
  return { line: rt.store.line[rt.index], thread, frames: rt.frames(task).map((f) => f.name) };
}

describe('ReplayRuntime on a kernel log', () => {
  it('steps through a circular report edge by edge, back again, and out to the task', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: SYZBOT, stopOnEntry: true });
    const entry = nextStop(rt);
    rt.start(true);
    await entry;
    let w = where(rt);
    assert.equal(w.line, 11, 'the title line');
    assert.equal(w.thread, 'syz-executor.3/9871');
    assert.equal(w.frames[0], 'WARNING: possible circular locking dependency detected');

    // -> #2: the workqueue edge; its frames are the log's stack for it, then its locks
    await step(rt, 'next');
    w = where(rt);
    assert.equal(w.line, 26);
    assert.equal(w.thread, '-> #2 workqueue vdev_reset_work');
    assert.equal(w.frames[0], '-> #2 takes &vq->state_lock in workqueue vdev_reset_work while holding (wq_completion)vdev_wq');
    assert.deepEqual(w.frames.slice(1, 5), [
      '__mutex_lock_common',
      '__mutex_lock+0x134/0x10d0',
      'vdev_reset_vq',
      'vdev_reset_work+0x9c/0x1e0',
    ]);
    const lockFrames = rt.frames(rt.currentTask).filter((f) => f.kind === 'lock');
    assert.deepEqual(
      lockFrames.map((f) => f.name),
      [
        '&vq->state_lock (-> #2: taken in workqueue vdev_reset_work, at vdev_reset_vq (drivers/misc/vdev/core.c:301))',
        '(wq_completion)vdev_wq (-> #2: held while taking &vq->state_lock in workqueue vdev_reset_work)',
      ],
    );
    assert.ok(!w.frames.some((n) => /userspace/.test(n)), 'no "held since userspace"');
    const logFrames = rt.frames(rt.currentTask).filter((f) => f.kind === 'log');
    assert.equal(logFrames[0].subtle, true, 'the locking primitive is a subtle frame');
    assert.equal(logFrames[2].subtle, undefined);
    assert.equal(logFrames[2].frame?.source?.file, 'drivers/misc/vdev/core.c');
    assert.equal(logFrames[2].line, 29, 'a log frame points at its line in the log');

    await step(rt, 'next');
    w = where(rt);
    assert.equal(w.line, 36);
    assert.equal(w.thread, '-> #1 syscall ioctl');
    await step(rt, 'next');
    w = where(rt);
    assert.equal(w.line, 47);
    assert.equal(w.thread, '-> #0 syscall write');

    // last: the reporting task, holding what its held list says, waiting for the new lock
    await step(rt, 'next');
    w = where(rt);
    assert.equal(w.thread, 'syz-executor.3/9871');
    assert.equal(w.frames[0], 'trying to acquire &dev->cfg_mutex in syscall write');
    assert.ok(w.frames.includes('vdev_write+0x1a4/0x2a0'), w.frames.join('\n'));
    const held = rt
      .frames(rt.currentTask)
      .filter((f) => f.kind === 'lock')
      .map((f) => f.name);
    assert.deepEqual(held, [
      '&dev->cfg_mutex (waiting: syscall write, at vdev_apply_state (drivers/misc/vdev/core.c:418))',
      '&vq->state_lock (held list: syscall write, at vdev_write+0x8c/0x2a0 (drivers/misc/vdev/core.c:439))',
    ]);
    // the threads are the report's: its task and one per chain edge
    assert.deepEqual(
      rt.threads().map((t) => t.name),
      ['syz-executor.3/9871', '-> #2 workqueue vdev_reset_work', '-> #1 syscall ioctl', '-> #0 syscall write'],
    );
    const end = rt.index;
    const last = await step(rt, 'next');
    assert.equal(last.index, end, 'no later stop in the log');
    assert.equal(last.description, 'end of the log');

    // step back retraces the chain
    await step(rt, 'stepBack');
    assert.equal(where(rt).line, 47);
    await step(rt, 'stepBack');
    assert.equal(where(rt).line, 36);
    // step out: to the reporting task's state
    await step(rt, 'stepOut');
    assert.equal(rt.index, end);
    // Debug to line on a `-> #N` line stops at the edge, not at the hold of its `from` lock
    const at = rt.gotoTarget(36);
    assert.equal(rt.describeEvent(at), '-> #1 takes (wq_completion)vdev_wq in syscall ioctl while holding &dev->cfg_mutex');
  });

  it('a real dmesg: title, -> #1, -> #0, the task; the Event scope has the report, the edge and its stack', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: ABBA });
    const entry = nextStop(rt);
    rt.start(true);
    await entry;
    assert.equal(where(rt).line, 199);
    const lines: number[] = [];
    for (let k = 0; k < 3; k++) {
      await step(rt, 'stepIn');
      lines.push(where(rt).line);
    }
    assert.deepEqual(lines, [213, 221, 247]);
    assert.equal(where(rt).thread, 'ls_seed/66');
    await step(rt, 'stepBack');
    const w = where(rt);
    assert.equal(w.thread, '-> #0 syscall ioctl');
    const frame = rt.frames(rt.currentTask)[0];
    const scopes = rt.scopes(rt.currentTask, frame);
    const vars = scopes.find((s) => s.name === 'Event')!.children();
    const get = (n: string) => vars.find((v) => v.name === n)?.value;
    assert.equal(get('role'), 'edge');
    assert.equal(get('edge'), '-> #0');
    assert.equal(get('context'), 'syscall ioctl');
    assert.match(get('report') ?? '', /^WARNING: possible circular locking dependency detected \(line 199\)$/);
    const sys = scopes.find((s) => s.name === 'Syscall')!.children();
    assert.deepEqual(
      sys.map((v) => `${v.name}=${v.value}`),
      ['context=syscall ioctl', 'syscall=ioctl'],
    );
  });
});
