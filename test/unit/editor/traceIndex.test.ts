// The trace index built in slices (as the extension host does for big traces) is the same as the
// one built at once.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { fixture } from '../helpers';

for (const sample of ['samples/syscall-order-inversion.trace', 'samples/flock-deadlock.real.trace']) {
  test(`sliced build = whole build: ${sample}`, async () => {
    const a = analyze(parseTrace(fixture(sample), { file: sample }));
    const whole = new TraceIndex(a);
    let pauses = 0;
    const sliced = await TraceIndex.build(a, 3, async () => {
      pauses++;
    });
    assert.ok(pauses >= Math.floor(a.store.length / 3) - 1, `yielded ${pauses} times`);
    assert.deepEqual(sliced.spans, whole.spans);
    assert.deepEqual(sliced.tasks, whole.tasks);
    assert.deepEqual([...sliced.classEvents], [...whole.classEvents]);
    for (let line = 1; line <= a.store.line[a.store.length - 1]; line++) {
      assert.deepEqual(sliced.eventsOnLine(line), whole.eventsOnLine(line));
      const e = sliced.eventsOnLine(line)[0];
      if (e !== undefined) assert.deepEqual(sliced.spanOf(e), whole.spanOf(e));
    }
  });
}
