// The parallel parse with real worker threads (src/load/parallel.ts, out/parseWorker.js): the store
// is the sequential parse's, on the real kernel captures and on generated traces of every text
// format, whatever the range size and worker count; errors, cancellation and a missing worker
// script behave as in sequence; the shared columns travel to another thread (transfer.ts).
// The cuts themselves are tested exhaustively in test/unit/core/ranges.test.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { analyze, EventStore, TraceError } from '../../../src/core';
import { readTraceFile } from '../../../src/load';
import { packAnalysis, unpackAnalysis } from '../../../src/load/transfer';
import { generateTrace } from '../../bench/generate';
import { repoRoot, storeSnapshot } from '../helpers';

const SCRIPT = path.join(repoRoot, 'out/parseWorker.js');
const parallel = { parseWorkerScript: SCRIPT, parallelThreshold: 0 };

async function outcome(f: () => Promise<EventStore>): Promise<unknown> {
  try {
    return { store: storeSnapshot(await f()) };
  } catch (e) {
    assert.ok(e instanceof TraceError, `unexpected ${(e as Error).stack}`);
    return { error: (e as Error).message };
  }
}

describe('parallel parse', () => {
  let dir: string;
  const files: string[] = [];

  before(() => {
    assert.ok(fs.existsSync(SCRIPT), `${SCRIPT} missing: run the build`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-parallel-'));
    const kernel = path.join(repoRoot, 'test/fixtures/kernel');
    for (const c of fs.readdirSync(kernel)) {
      for (const f of ['trace.txt.gz', 'trace-cmd-report-l.txt.gz', 'trace-cmd-report.txt.gz', 'perf-script.txt.gz']) {
        const gz = path.join(kernel, c, f);
        if (!fs.existsSync(gz)) continue;
        const out = path.join(dir, `${c}-${f.replace(/\.gz$/, '')}`);
        fs.writeFileSync(out, zlib.gunzipSync(fs.readFileSync(gz)));
        files.push(out);
      }
    }
    for (const format of ['ftrace', 'trace-cmd', 'perf'] as const) {
      const out = path.join(dir, `gen.${format}`);
      generateTrace(out, { events: 60_000, format, classes: 300, seed: 9 });
      files.push(out);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('real kernel captures and generated traces: the same store as the sequential parse', async () => {
    assert.ok(files.length >= 8, `only ${files.length} traces`);
    for (const f of files) {
      const want = await outcome(() => readTraceFile(f, { workers: 0 }));
      const configs = f.includes('gen.')
        ? [
            { workers: 2, rangeBytes: 4093 },
            { workers: 3, rangeBytes: 65_536 },
            { workers: 1, rangeBytes: 1 << 20 },
            // the JS reader in the workers (the WebAssembly one, out/tokenizer.wasm, otherwise)
            { workers: 2, rangeBytes: 8191, wasm: false },
          ]
        : [{ workers: 2, rangeBytes: 16_381 }];
      for (const o of configs) {
        const got = await outcome(() => readTraceFile(f, { ...parallel, ...o }));
        assert.deepStrictEqual(got, want, `${path.basename(f)} ${JSON.stringify(o)}`);
      }
    }
  });

  test('the store of a parallel parse lives in shared memory and travels to another thread with its analysis', async () => {
    const f = files.find((x) => x.endsWith('gen.ftrace')) as string;
    const store = await readTraceFile(f, { ...parallel, workers: 2, rangeBytes: 100_000 });
    assert.ok(store.line.buffer instanceof SharedArrayBuffer);
    const a = analyze(store);
    const { packed, transfer } = packAnalysis(a);
    assert.ok(transfer.every((b) => !(b instanceof SharedArrayBuffer)));
    const b = unpackAnalysis(structuredClone(packed, { transfer }));
    assert.deepStrictEqual(storeSnapshot(b.store), storeSnapshot(store));
    assert.deepStrictEqual(b.findings, a.findings);
  });

  test('malformed lines anywhere: the same warnings, in order and capped, as in sequence', async () => {
    const f = files.find((x) => x.endsWith('gen.ftrace')) as string;
    const lines = fs.readFileSync(f, 'latin1').split('\n');
    for (let k = 0; k < 400; k++) lines.splice(50 + k * 150, 0, `garbage ${k}`);
    lines.splice(30_000, 0, 'CPU:3 [LOST 17 EVENTS]');
    const bad = path.join(dir, 'bad.ftrace');
    fs.writeFileSync(bad, lines.join('\n'), 'latin1');
    const want = await outcome(() => readTraceFile(bad, { workers: 0 }));
    const w = (want as { store: { warningCount: number; lostEvents: number } }).store;
    assert.ok(w.warningCount > 400 && w.lostEvents === 17);
    assert.deepStrictEqual(await outcome(() => readTraceFile(bad, { ...parallel, workers: 2, rangeBytes: 30_000 })), want);
  });

  test('a file that is not the format it is said to be: the same TraceError as in sequence', async () => {
    const f = path.join(dir, 'garbage.txt');
    fs.writeFileSync(f, Array.from({ length: 100_000 }, (_, k) => `garbage line ${k}`).join('\n'));
    const want = await outcome(() => readTraceFile(f, { workers: 0, format: 'ftrace' }));
    assert.ok(want && typeof want === 'object' && 'error' in want);
    assert.deepStrictEqual(await outcome(() => readTraceFile(f, { ...parallel, workers: 2, rangeBytes: 1000, format: 'ftrace' })), want);
  });

  test('cancellation while the workers read stops them and rejects with an AbortError', async () => {
    const f = files.find((x) => x.endsWith('gen.trace-cmd')) as string;
    let polls = 0;
    // polled once per read before the ranges, then once per range applied: aborts in the middle of the ranges
    const signal = {
      get aborted() {
        return ++polls > 4;
      },
    };
    await assert.rejects(readTraceFile(f, { ...parallel, workers: 2, rangeBytes: 100_000, signal }), (e: Error) => e.name === 'AbortError');
    assert.ok(polls > 2, 'aborted during the ranges');
  });

  test('without the worker script, or for JSONL and sorted parses, the parse is sequential and the same', async () => {
    const f = files.find((x) => x.endsWith('gen.perf')) as string;
    const want = await outcome(() => readTraceFile(f, { workers: 0 }));
    assert.deepStrictEqual(await outcome(() => readTraceFile(f, { ...parallel, parseWorkerScript: path.join(dir, 'missing.js') })), want);
    const sorted = await outcome(() => readTraceFile(f, { workers: 0, sort: true }));
    assert.deepStrictEqual(await outcome(() => readTraceFile(f, { ...parallel, sort: true })), sorted);
    const jsonl = path.join(dir, 'big.jsonl');
    const lines = ['{"type":"header","format":"locktrace","version":1}'];
    for (let k = 0; k < 40_000; k++)
      lines.push(
        `{"ev":"acquire","ts":${2 * k},"pid":${k % 7},"comm":"a","lock":"0x${k % 13}","class":"m${k % 13}","lockKind":"mutex"}`,
        `{"ev":"release","ts":${2 * k + 1},"pid":${k % 7},"comm":"a","lock":"0x${k % 13}"}`,
      );
    fs.writeFileSync(jsonl, lines.join('\n'));
    assert.deepStrictEqual(
      await outcome(() => readTraceFile(jsonl, { ...parallel, workers: 2, rangeBytes: 4096 })),
      await outcome(() => readTraceFile(jsonl, { workers: 0 })),
    );
  });
});
