// The analysis worker path: pack → unpack gives an Analysis that replays, hovers and reports like
// the original, and the built worker (out/analysisWorker.js) answers a request from a real thread.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Replay, analyze, parseTrace, toJsonReport } from '../../../src/core';
import { lockHover } from '../../../src/editor/hover';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { WorkerMessage } from '../../../src/load/messages';
import { PackedAnalysis, packAnalysis, unpackAnalysis } from '../../../src/load/transfer';
import { fixture, kernelCapture, repoRoot } from '../helpers';

const links = { reveal: (l: number) => `r${l}`, debug: (l: number) => `d${l}` };

for (const sample of ['samples/syscall-order-inversion.trace', 'samples/flock-deadlock.real.trace']) {
  test(`pack/unpack keeps everything the editor uses: ${sample}`, () => {
    const a = analyze(parseTrace(fixture(sample), { file: sample }));
    const want = JSON.stringify(toJsonReport(a));
    const hoverWant = lockHover(new TraceIndex(a), new Replay(a), a.findings, a.findings[0].locks[0], a.findings[0].line, links);
    // structuredClone is what postMessage does
    const { packed, transfer } = packAnalysis(a);
    const b = unpackAnalysis(structuredClone<PackedAnalysis>(packed, { transfer }));
    assert.equal(JSON.stringify(toJsonReport(b)), want);
    assert.equal(lockHover(new TraceIndex(b), new Replay(b), b.findings, b.findings[0].locks[0], b.findings[0].line, links), hoverWant);
    assert.equal(b.store.lockByKeyLookup(b.store.locks[0].key), 0);
  });
}

test('pack/unpack keeps the kernel lock waits (Analysis.contention), which the panel and hovers show', () => {
  for (const [name, text] of [
    ['test/fixtures/contention/pipe-writers.ltrace', fixture('test/fixtures/contention/pipe-writers.ltrace')],
    ['lockseed abba capture', kernelCapture('abba')],
  ]) {
    const a = analyze(parseTrace(text, { file: name }));
    assert.ok(a.contention && a.contention.waits.length > 0, `${name} has waits`);
    const { packed, transfer } = packAnalysis(a);
    const b = unpackAnalysis(structuredClone<PackedAnalysis>(packed, { transfer }));
    assert.deepEqual(b.contention, a.contention, name);
    assert.ok(
      b.contention.groups.every((g) => g.holding instanceof Map),
      'Maps stay Maps',
    );
  }
});

test('the built worker analyses a file and a text', async () => {
  const script = path.join(repoRoot, 'out/analysisWorker.js');
  const ask = (req: object) =>
    new Promise<WorkerMessage[]>((resolve, reject) => {
      const w = new Worker(script);
      const got: WorkerMessage[] = [];
      w.on('message', (m: WorkerMessage) => {
        got.push(m);
        if (m.type !== 'progress') void w.terminate().then(() => resolve(got));
      });
      w.on('error', reject);
      w.postMessage(req);
    });
  const file = path.join(repoRoot, 'samples/syscall-order-inversion.trace');
  const done = (await ask({ type: 'analyze', version: 1, file, path: file, format: 'auto', readLocks: 'non-recursive' })).pop();
  assert.ok(done && done.type === 'done');
  const a = unpackAnalysis(done.analysis);
  assert.deepEqual(
    a.findings.map((f) => `${f.kind}:${f.line}`),
    ['held-across-syscall:17', 'held-across-syscall:22', 'held-across-syscall:31', 'inversion:35', 'held-across-syscall:36'],
  );
  // the recorder's contention data crosses the thread boundary too (it used to be dropped)
  const contended = path.join(repoRoot, 'test/fixtures/contention/pipe-writers.ltrace');
  const c = (
    await ask({ type: 'analyze', version: 1, file: contended, path: contended, format: 'auto', readLocks: 'non-recursive' })
  ).pop();
  assert.ok(c && c.type === 'done');
  assert.equal(unpackAnalysis(c.analysis).contention?.waits.length, 4);
  const err = (
    await ask({ type: 'analyze', version: 1, file: 'x.txt', text: 'hello\nworld\n', format: 'auto', readLocks: 'non-recursive' })
  ).pop();
  assert.ok(err && err.type === 'error' && err.traceError);
  assert.equal(err.traceError.line, 1);
});
