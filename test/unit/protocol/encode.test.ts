// What crosses the wire is the protocol's fields only: the core's records carry more (a held lock's
// graph node and context, a kernel-log finding's stacks), and encode.ts leaves those out.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFinding, encodeHeldLock } from '../../../src/protocol/encode';
import { sampleModel } from '../panel/fixture';

const HELD_LOCK_FIELDS = [
  'acrossSyscall',
  'className',
  'context',
  'domain',
  'eventIndex',
  'line',
  'lock',
  'lockId',
  'node',
  'pending',
  'read',
  'sinceBeforeTrace',
  'syscall',
  'syscallLine',
  'try',
];
const CYCLE_EDGE_FIELDS = [
  'comm',
  'crossSyscall',
  'eventIndex',
  'from',
  'fromEventIndex',
  'fromLine',
  'fromRead',
  'fromSite',
  'fromSyscall',
  'line',
  'pid',
  'site',
  'syscall',
  'to',
  'toRead',
  'via',
];
const FINDING_FIELDS = [
  'comm',
  'component',
  'cycle',
  'cycleFingerprint',
  'cycleId',
  'eventIndex',
  'guardedBy',
  'id',
  'instanceCycle',
  'instances',
  'kind',
  'line',
  'locks',
  'message',
  'occurrences',
  'order',
  'pid',
  'related',
  'syscall',
  'usages',
];

describe('encode', () => {
  const model = sampleModel();
  const at = model.resolve({ line: 35 });

  it("a state body's held locks have the protocol's fields, not the replay view's others", () => {
    const view = model.replay.view(at);
    const coreHeld = view.tasks.flatMap((t) => t.held);
    const wireHeld = model.stateAt(at).tasks.flatMap((t) => t.held);
    assert.ok(wireHeld.length > 0 && wireHeld.length === coreHeld.length);
    for (const h of wireHeld) assert.deepEqual(Object.keys(h).sort(), HELD_LOCK_FIELDS);
    // a field the core view gains stays off the wire until the protocol declares it
    const grown = { ...coreHeld[0], addedLater: 1 };
    assert.deepEqual(Object.keys(encodeHeldLock(grown)).sort(), HELD_LOCK_FIELDS);
  });

  it('findings keep the protocol fields they have, and only those', () => {
    const pick = (o: object, keys: string[]): Record<string, unknown> =>
      Object.fromEntries(Object.entries(o).filter(([k, v]) => keys.includes(k) && v !== undefined));
    for (const f of model.analysis.findings) {
      const wire = encodeFinding({ ...f, extra: 'not on the wire' } as typeof f);
      assert.deepEqual({ ...wire, cycle: undefined }, { ...pick(f, FINDING_FIELDS), cycle: undefined });
      assert.deepEqual(
        wire.cycle,
        f.cycle?.map((e) => pick(e, CYCLE_EDGE_FIELDS)),
      );
    }
  });
});
