// Gzip-compressed traces (src/load/readFile.ts): read as a stream into the parser, giving the same
// store as the text; a damaged or truncated file is a TraceError naming it, never another exception.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { TraceError, analyze } from '../../../src/core';
import { readTraceFile } from '../../../src/load';
import { repoRoot, storeSnapshot } from '../helpers';

const GZ = path.join(repoRoot, 'test/fixtures/kernel/freeheld/trace.txt.gz');
let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-gzip-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a .gz trace gives the store and findings of its text', async () => {
  const text = path.join(dir, 'trace.txt');
  fs.writeFileSync(text, zlib.gunzipSync(fs.readFileSync(GZ)));
  const plain = await readTraceFile(text, { workers: 0 });
  const progress: number[] = [];
  // small chunks, so decompressed pieces end mid-line
  const packed = await readTraceFile(GZ, { chunkSize: 4096, onProgress: (b) => progress.push(b) });
  assert.deepEqual(storeSnapshot(packed), storeSnapshot(plain));
  assert.deepEqual(
    analyze(packed).findings.map((f) => [f.kind, f.line]),
    analyze(plain).findings.map((f) => [f.kind, f.line]),
  );
  assert.ok(progress.length > 1 && progress.at(-1) === fs.statSync(GZ).size, `progress ${progress.slice(-3).join(', ')}`);
});

test('a truncated or damaged .gz is a TraceError naming the file', async () => {
  const whole = fs.readFileSync(GZ);
  const cut = path.join(dir, 'cut.gz');
  fs.writeFileSync(cut, whole.subarray(0, 3000));
  const bad = path.join(dir, 'bad.gz');
  const damaged = Buffer.from(whole);
  damaged.fill(0x55, 100, 400);
  fs.writeFileSync(bad, damaged);
  for (const f of [cut, bad]) {
    await assert.rejects(readTraceFile(f), (e: unknown) => {
      assert.ok(e instanceof TraceError, `${f}: ${(e as Error).stack}`);
      assert.match(e.message, new RegExp(`^${f.replace(/[.]/g, '\\.')}: not a readable gzip file: `));
      return true;
    });
  }
});
