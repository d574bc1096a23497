// The replay runtime without DAP: typed events, pause of a long run, stepping at the ends.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ReplayRuntime, StopEvent, TraceAccess } from '../../../src/adapter/runtime';
import { analyze, parseTrace } from '../../../src/core';
import { repeatedLockTrace } from '../helpers';

const ROOT = path.resolve(__dirname, '../../../..');
const SAMPLE = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');

function nextStop(rt: ReplayRuntime): Promise<StopEvent> {
  return new Promise((resolve) => rt.on('stopped', resolve));
}

describe('ReplayRuntime', () => {
  it('pause stops a run at the chunk boundary it reached', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-runtime-'));
    const file = path.join(dir, 'long.trace');
    fs.writeFileSync(file, repeatedLockTrace(30000));
    try {
      const rt = new ReplayRuntime();
      await rt.load({ program: file });
      // a breakpoint whose condition never holds makes the run check every event (without any
      // breakpoint a run jumps straight between findings, see the next test)
      rt.setLineBreakpoints([{ line: 2, condition: 'pid == 1' }]);
      const stop = nextStop(rt);
      rt.continue();
      assert.equal(rt.running, true, 'the first chunk ran without stopping');
      rt.pause();
      const s = await stop;
      assert.equal(s.reason, 'pause');
      assert.equal(s.index, 20000, 'events 1..20000 were scanned before the first yield');
      assert.equal(rt.running, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without breakpoints, continue and reverse-continue jump between findings (no scan)', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: SAMPLE });
    rt.setExceptionFilters(['inversion', 'held-across-syscall']);
    const lineOf = (s: { index: number }) => rt.store.line[s.index];
    let stop = nextStop(rt);
    rt.continue();
    assert.equal(rt.running, false, 'the stop is immediate');
    assert.equal(lineOf(await stop), 17);
    for (const want of [22, 31, 35, 36]) {
      stop = nextStop(rt);
      rt.continue();
      assert.equal(lineOf(await stop), want);
    }
    stop = nextStop(rt);
    rt.reverseContinue();
    assert.equal(lineOf(await stop), 35);
    rt.setExceptionFilters(['inversion']);
    stop = nextStop(rt);
    rt.reverseContinue();
    const s = await stop;
    assert.equal(s.reason, 'entry', 'no inversion before line 35: back to the beginning');
    assert.equal(s.index, 0);
  });

  it('runs off the end with an end event; steps at the edges stay put with a description', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: SAMPLE });
    rt.setExceptionFilters([]);
    const ended = new Promise<{ index: number }>((r) => rt.on('end', r));
    rt.continue();
    assert.equal((await ended).index, 27);
    const stops: StopEvent[] = [];
    rt.on('stopped', (e) => stops.push(e));
    rt.stepIn();
    assert.deepEqual([stops[0].index, stops[0].description], [27, 'end of trace']);
    rt.goto(0);
    rt.stepBack();
    assert.deepEqual([stops[2].index, stops[2].description], [0, 'no earlier event of this task']);
  });

  it('frames of a task at line 20 and the raw line of an event', async () => {
    const rt = new ReplayRuntime();
    await rt.load({ program: SAMPLE });
    rt.goto(rt.gotoTarget(20));
    assert.deepEqual(
      rt.frames(rt.currentTask).map((f) => `${f.kind} ${f.line}`),
      ['event 20', 'lock 20', 'lock 19', 'lock 16', 'syscall 18'],
    );
    assert.equal(
      rt.readLine(rt.index),
      '       aio-writer-2101 [001] ..... 10231.000204: lock_acquire: 00000000f13b2c07 &inode->i_dio_map',
    );
  });

  it('takes its trace from an injected TraceAccess (a test feeds it; no file is read)', async () => {
    const text = fs.readFileSync(SAMPLE, 'utf8');
    const program = '/nowhere/fed.trace';
    const analysis = analyze(parseTrace(text, { file: program }));
    const asked: string[] = [];
    const access: TraceAccess = {
      loadAnalysis: (args) => {
        asked.push(args.program);
        return Promise.resolve(analysis);
      },
      // the sample is ASCII: byte offsets are string offsets
      readLine: (_program, offset) => text.slice(offset).split('\n')[0],
    };
    const rt = new ReplayRuntime(access);
    await rt.load({ program });
    assert.equal(rt.analysisView, analysis, 'the runtime replays the analysis it was given');
    rt.goto(rt.gotoTarget(20));
    assert.equal(
      rt.readLine(rt.index),
      '       aio-writer-2101 [001] ..... 10231.000204: lock_acquire: 00000000f13b2c07 &inode->i_dio_map',
    );
    await rt.reload();
    assert.deepEqual(asked, [program, program], 'a restart asks the access again');
  });

  it('the default access honours a .locktrace.json next to the trace: a suppressed finding never stops a run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-runtime-'));
    try {
      const file = path.join(dir, 'sample.trace');
      fs.copyFileSync(SAMPLE, file);
      fs.writeFileSync(path.join(dir, '.locktrace.json'), JSON.stringify({ suppress: [{ kind: 'inversion' }] }));
      const rt = new ReplayRuntime();
      await rt.load({ program: file });
      assert.deepEqual(
        rt.analysisView.findings.map((f) => f.line),
        [17, 22, 31, 36],
      );
      rt.setExceptionFilters(['inversion']);
      const ended = new Promise<{ index: number }>((r) => rt.on('end', r));
      rt.continue();
      assert.equal((await ended).index, rt.store.length - 1, 'no stop at the suppressed inversion (line 35)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
