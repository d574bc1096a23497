// loadAnalysis, the loading layer's one entry point: the worker and the in-process path give the
// same Analysis (files, texts, kernel logs), progress is reported from 0% with where the load runs,
// cancellation through the signal rejects with LoadCancelled (before, during a read, in the worker),
// bad input rejects with a TraceError naming the file and line (both paths) or the file system's
// error, and finding kinds and suppressions select the reported findings.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Analysis, Replay, TraceError, toJsonReport } from '../../../src/core';
import { LoadCancelled, LoadProgress, isCancelled, loadAnalysis, selectFindings } from '../../../src/load';
import { generateTrace } from '../../bench/generate';
import { fixture, repoRoot } from '../helpers';

const WORKER = path.join(repoRoot, 'out/analysisWorker.js');
const SAMPLE = path.join(repoRoot, 'samples/syscall-order-inversion.trace');
const NOT_A_TRACE = path.join(repoRoot, 'test/fixtures/adapter/not-a-trace.txt');
const inWorker = { workerScript: WORKER, workerThreshold: 0 };
const inProcess = { workerScript: WORKER, workerThreshold: Infinity };

/** Everything an Analysis carries, as comparable plain data. */
function snapshot(a: Analysis): unknown {
  const s = a.store;
  const cols = ['line', 'offset', 'ts', 'cpu', 'task', 'kind', 'flags', 'ref', 'num', 'ctx'] as const;
  return {
    report: toJsonReport(a),
    findings: a.findings,
    columns: cols.map((c) => Array.from(s[c].subarray(0, s.length))),
    tasks: s.tasks,
    locks: s.locks.map((l) => [l.key, s.className(l.id), l.domain]),
    names: s.names.values,
    sites: [...s.sites],
    warnings: [s.warnings, s.warningCount, s.lines, s.bytes, s.sorted, s.format, s.file, s.lostEvents, s.overwritten],
    kernelLog: s.kernelLog,
    graph: a.graph.export(),
    notes: a.notes,
    checkpoints: a.checkpoints.map((c) => Array.from(c)),
    checkpointInterval: a.checkpointInterval,
    readLocks: a.readLocks,
    model: { preHeld: [...a.model.preHeld], forked: [...a.model.forked] },
  };
}

describe('loadAnalysis', () => {
  let dir: string;
  let big: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-load-'));
    big = path.join(dir, 'big.ftrace');
    // above the parser's 8 MiB progress step, so reading reports progress
    generateTrace(big, { events: 150_000, format: 'ftrace', seed: 3 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the worker and the in-process path give identical analyses (file, text, kernel log, options)', async () => {
    for (const opts of [{}, { readLocks: 'recursive' as const, sort: true }]) {
      const a = await loadAnalysis(SAMPLE, { ...opts, ...inProcess });
      const b = await loadAnalysis(SAMPLE, { ...opts, ...inWorker });
      assert.equal(a.inWorker, false);
      assert.equal(b.inWorker, true);
      assert.deepEqual(snapshot(b), snapshot(a));
      const text = { text: fixture('samples/syscall-order-inversion.trace'), name: SAMPLE };
      assert.deepEqual(snapshot(await loadAnalysis(text, { ...opts, ...inWorker })), snapshot(a));
      assert.deepEqual(snapshot(await loadAnalysis(text, { ...opts, ...inProcess })), snapshot(a));
    }
    // a kernel log (its reports ride along with the store)
    const log = path.join(repoRoot, 'test/fixtures/kernel-log/dmesg-3.10-info-circular.txt');
    const k = await loadAnalysis(log, inProcess);
    assert.ok(k.store.kernelLog && k.findings.length > 0, 'a kernel log with findings');
    assert.deepEqual(snapshot(await loadAnalysis(log, inWorker)), snapshot(k));
    const x = await loadAnalysis(big, inProcess);
    const y = await loadAnalysis(big, inWorker);
    assert.deepEqual(snapshot(y), snapshot(x));
    assert.ok(x.store.length > 100_000);
  });

  test('the threshold decides: below it in-process, from it on in the worker', async () => {
    const size = fs.statSync(SAMPLE).size;
    assert.equal((await loadAnalysis(SAMPLE, { workerScript: WORKER, workerThreshold: size + 1 })).inWorker, false);
    assert.equal((await loadAnalysis(SAMPLE, { workerScript: WORKER, workerThreshold: size })).inWorker, true);
    // without a bundled worker beside the code (this test bundle), everything runs in-process
    assert.equal((await loadAnalysis(SAMPLE, { workerThreshold: 0 })).inWorker, false);
    // a worker that was asked for but is missing is an error, not a silent fallback
    await assert.rejects(
      loadAnalysis(SAMPLE, { workerThreshold: 0, workerScript: path.join(dir, 'nope.js') }),
      /analysis worker is missing/,
    );
  });

  test('progress: first 0% saying where it runs, then reading progress, never backwards, within 0..100', async () => {
    for (const where of [inProcess, inWorker]) {
      const seen: LoadProgress[] = [];
      await loadAnalysis(big, where, { onProgress: (p) => seen.push(p) });
      assert.deepEqual(seen[0], { phase: 'reading', percent: 0, message: 'reading', inWorker: where === inWorker });
      assert.ok(
        seen.some((p) => p.phase === 'reading' && p.percent > 0),
        'reading reports progress',
      );
      assert.ok(seen.every((p) => p.inWorker === (where === inWorker) && p.percent >= 0 && p.percent <= 100));
      for (let k = 1; k < seen.length; k++)
        assert.ok(seen[k].percent >= seen[k - 1].percent, `${seen[k - 1].percent} -> ${seen[k].percent}`);
    }
  });

  test('a trace from 16 MiB on is read on parse worker threads in the analysis worker (CLI, adapter and extension load through it), with the sequential analysis', async () => {
    const huge = path.join(dir, 'huge.ftrace');
    generateTrace(huge, { events: 200_000, format: 'ftrace', seed: 5 });
    assert.ok(fs.statSync(huge).size >= 16 << 20);
    const seen: LoadProgress[] = [];
    const parallel = await loadAnalysis(huge, inWorker, { onProgress: (p) => seen.push(p) });
    const threads = seen.filter((p) => /^reading on \d+ threads?$/.test(p.message));
    assert.ok(threads.length > 0, `no parallel read: ${[...new Set(seen.map((p) => p.message))].join(', ')}`);
    // this test bundle has no parseWorker.js beside it: in-process, the parse is sequential
    const seenHere: LoadProgress[] = [];
    const sequential = await loadAnalysis(huge, inProcess, { onProgress: (p) => seenHere.push(p) });
    assert.ok(seenHere.every((p) => !p.message.startsWith('reading on')));
    assert.deepStrictEqual(snapshot(parallel), snapshot(sequential));
  });

  test('cancellation: an aborted signal rejects with LoadCancelled, before, while reading and in the worker', async () => {
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(loadAnalysis(SAMPLE, inProcess, { signal: pre.signal }), LoadCancelled);
    for (const where of [inProcess, inWorker]) {
      const ac = new AbortController();
      const t0 = Date.now();
      const p = loadAnalysis(big, where, {
        signal: ac.signal,
        // abort at the first report after the start: the load is under way
        onProgress: (r) => r.percent > 0 && ac.abort(),
      });
      if (where === inWorker) setTimeout(() => ac.abort(), 50);
      const e = await p.then(
        () => assert.fail('a cancelled load resolved'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof LoadCancelled, String(e));
      assert.equal(e.name, 'AbortError');
      assert.ok(isCancelled(e));
      assert.ok(Date.now() - t0 < 10_000);
    }
  });

  test('bad input: a TraceError naming the file and line, from either path; file system errors keep code and path', async () => {
    for (const where of [inProcess, inWorker]) {
      const e = await loadAnalysis(NOT_A_TRACE, where).then(
        () => assert.fail('not a trace, but it loaded'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof TraceError, `${String(e)} is a TraceError`);
      assert.equal(e.file, NOT_A_TRACE);
      assert.equal(e.line, 1);
      assert.match(e.message, new RegExp(`^${NOT_A_TRACE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: expected a lock trace`));
      const t = await loadAnalysis({ text: 'x\ny\n', name: 'untitled:1' }, where).catch((err: unknown) => err);
      assert.ok(t instanceof TraceError);
      assert.match(t.message, /^untitled:1:1: expected a lock trace/);
    }
    await assert.rejects(loadAnalysis(path.join(dir, 'missing.trace')), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.path, path.join(dir, 'missing.trace'));
      return true;
    });
    await assert.rejects(loadAnalysis(dir), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && e.path === dir);
  });

  test('finding kinds and suppressions select the reported findings; `all` keeps every one', async () => {
    const a = await loadAnalysis(SAMPLE, inProcess);
    const all = a.findings.map((f) => `${f.kind}:${f.line}`);
    assert.deepEqual(all, [
      'held-across-syscall:17',
      'held-across-syscall:22',
      'held-across-syscall:31',
      'inversion:35',
      'held-across-syscall:36',
    ]);
    const kinds = await loadAnalysis(SAMPLE, { ...inWorker, kinds: ['inversion'] });
    assert.deepEqual(
      kinds.findings.map((f) => f.line),
      [35],
    );
    assert.equal(kinds.all.findings.length, 5);
    const suppressions = {
      file: 'x/.locktrace.json',
      rules: [{ kind: 'inversion' as const, reason: 'known' }],
      errors: [],
      relativePath: 'a.trace',
    };
    const sup = await loadAnalysis(SAMPLE, { ...inProcess, suppressions });
    assert.deepEqual(
      sup.findings.map((f) => f.line),
      [17, 22, 31, 36],
    );
    assert.deepEqual(
      sup.suppressed.map((s) => [s.finding.line, s.rule.reason]),
      [[35, 'known']],
    );
    assert.equal(sup.suppressions, suppressions);
    // the replay of a selection sees the same findings as everyone else
    assert.deepEqual(
      new Replay(sup).view(sup.store.length - 1).findingsSoFar.map((f) => f.line),
      [17, 22, 31, 36],
    );
    // selecting again starts from every finding, and shares the store
    const again = selectFindings(sup, { kinds: ['inversion'] });
    assert.deepEqual(
      again.findings.map((f) => f.line),
      [35],
    );
    assert.equal(again.store, sup.store);
    assert.equal(again.all, sup.all);
  });
});
