// Replay engine: what each task holds at a given event, syscall attribution of holds, and the
// navigation helpers the debugger uses.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Replay, analyze, parseTrace } from '../../../src/core';
import { fixture } from '../helpers';

const a = analyze(parseTrace(fixture('samples/syscall-order-inversion.trace'), { file: 'x' }), { checkpointInterval: 5 });
const r = new Replay(a);
const at = (line: number) => r.view(a.store.eventAtOrAfterLine(line));

test('at line 20 aio-writer holds sb_writers (from io_submit) and takes i_dio_map in io_uring_enter', () => {
  const v = at(20);
  assert.equal(v.line, 20);
  const w = v.tasks.find((t) => t.pid === 2101);
  assert.ok(w);
  assert.equal(w.syscall?.name, 'io_uring_enter');
  assert.equal(w.syscall?.line, 18);
  assert.deepEqual(
    w.held.map((h) => `${h.className}@${h.line}:${h.syscall}${h.acrossSyscall ? ' across' : ''}`),
    ['sb_writers@16:io_submit across', '&ctx->uring_lock@19:io_uring_enter', '&inode->i_dio_map@20:io_uring_enter'],
  );
  // dio-reader has not appeared yet
  assert.equal(v.tasks.length, 1);
});

test('at line 35 both tasks and the inversion so far', () => {
  const v = at(35);
  const reader = v.tasks.find((t) => t.pid === 2102);
  const writer = v.tasks.find((t) => t.pid === 2101);
  assert.deepEqual(
    reader?.held.map((h) => h.className),
    ['&inode->i_dio_map', 'sb_writers'],
  );
  assert.deepEqual(writer?.held, []);
  assert.equal(writer?.syscall, null);
  assert.deepEqual(
    v.findingsSoFar.map((f) => `${f.kind}@${f.line}`),
    ['held-across-syscall@17', 'held-across-syscall@22', 'held-across-syscall@31', 'inversion@35'],
  );
});

test('navigation: next/previous finding, task steps, step out', () => {
  const s = a.store;
  const i35 = s.eventAtOrAfterLine(35);
  assert.equal(s.line[r.nextFinding(s.eventAtOrAfterLine(32))], 35);
  assert.equal(s.line[r.prevFinding(i35)], 31);
  assert.equal(r.prevFinding(s.eventAtOrAfterLine(17)), -1);
  assert.equal(s.line[r.nextOfTask(s.eventAtOrAfterLine(27))], 28);
  assert.equal(s.line[r.prevOfTask(s.eventAtOrAfterLine(28))], 27);
  // line 26 is aio-writer's last event; dio-reader's events in between are skipped
  assert.equal(r.nextOfTask(s.eventAtOrAfterLine(26)), -1);
  assert.equal(s.line[r.prevOfTask(s.eventAtOrAfterLine(22))], 21);
  // inside io_submit at line 33: step out goes to its sys_exit at 36
  assert.equal(s.line[r.stepOutTarget(s.eventAtOrAfterLine(33))], 36);
  // outside a syscall at line 17 (sys_exit): step out goes to the release of the innermost lock
  assert.equal(s.line[r.stepOutTarget(s.eventAtOrAfterLine(17))], 25);
});

test('holders and edges of a class at a position', () => {
  const i = a.store.eventAtOrAfterLine(20);
  assert.deepEqual(
    r.holdersOfClass('sb_writers', i).map((h) => h.task.pid),
    [2101],
  );
  assert.deepEqual(
    r.edgesOf('sb_writers', i).map((e) => `${e.from}->${e.to}@${e.line}`),
    ['sb_writers->&ctx->uring_lock@19', 'sb_writers->&inode->i_dio_map@20'],
  );
  assert.deepEqual(
    r.edgesOf('sb_writers').map((e) => `${e.from}->${e.to}@${e.line}`),
    ['sb_writers->&ctx->uring_lock@19', 'sb_writers->&inode->i_dio_map@20', '&inode->i_dio_map->sb_writers@35'],
  );
});
