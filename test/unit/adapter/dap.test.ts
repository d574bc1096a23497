// Protocol-level tests: DebugClient against the standalone adapter (out/debugAdapter.js) on the
// shared sample and the fixtures under test/fixtures/adapter. Every request the adapter supports.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { REPLAY_STATE_VERSION, type ReplayStateBody } from '../../../src/protocol/replayState';
import { kernelCapture, repeatedLockTrace } from '../helpers';
import { FIXTURES, SAMPLE, frames, launchAndStop, scopeVars, startClient, stopAfter, threadId, topLine } from './dapClient';

const FINDINGS = path.join(FIXTURES, 'findings.trace');
const CLEAN = path.join(FIXTURES, 'clean.trace');

let dc: DebugClient;
beforeEach(async () => {
  dc = await startClient();
});
afterEach(async () => {
  await dc.stop();
});

describe('initialize and launch', () => {
  it('announces step back, goto, data breakpoints and the finding filters (inversion on by default)', async () => {
    const r = await dc.initializeRequest();
    const c = r.body!;
    assert.equal(c.supportsStepBack, true);
    assert.equal(c.supportsGotoTargetsRequest, true);
    assert.equal(c.supportsDataBreakpoints, true);
    assert.equal(c.supportsLogPoints, true);
    assert.equal(c.supportsExceptionInfoRequest, true);
    assert.deepEqual(
      c.exceptionBreakpointFilters!.map((f) => [f.filter, f.default]),
      [
        ['inversion', true],
        ['held-across-syscall', false],
        ['recursive', false],
        ['bad-unlock', false],
        ['held-at-exit', false],
        ['irq-state', false],
        ['held-lock-freed', false],
        ['lockdep-other', false],
        ['order-violation', false],
        ['contention', false],
      ],
    );
  });

  it('continue stops on the inversion at line 35 with the cycle in exceptionInfo', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE });
    assert.equal(stop.body.reason, 'exception');
    assert.equal(stop.body.allThreadsStopped, true);
    assert.match(stop.body.text!, /possible circular locking dependency/);
    assert.equal(stop.body.threadId, await threadId(dc, 'dio-reader-2102'));
    assert.equal(await topLine(dc, stop.body.threadId), 35);
    const info = (await dc.exceptionInfoRequest({ threadId: stop.body.threadId })).body;
    assert.equal(info.exceptionId, 'inversion');
    assert.equal(info.breakMode, 'always');
    const details = info.details!.message!;
    assert.match(details, /cycle:\n {2}&inode->i_dio_map -> sb_writers: line 35, dio-reader\/2102 in io_submit/);
    assert.match(
      details,
      /sb_writers -> &inode->i_dio_map: line 20, aio-writer\/2101 in io_uring_enter, holding sb_writers since line 16 \(io_submit\)/,
    );
  });

  it('stopOnEntry stops at the first event; threads appear as they show up', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    assert.equal(stop.body.reason, 'entry');
    assert.equal(await topLine(dc, stop.body.threadId!), 13);
    assert.deepEqual(
      (await dc.threadsRequest()).body.threads.map((t) => t.name),
      ['aio-writer-2101'],
    );
    await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.deepEqual(
      (await dc.threadsRequest()).body.threads.map((t) => t.name),
      ['aio-writer-2101', 'dio-reader-2102'],
    );
  });

  it('reports loading progress to clients that support it', async () => {
    const starts: DebugProtocol.ProgressStartEvent[] = [];
    const ends: DebugProtocol.ProgressEndEvent[] = [];
    dc.on('progressStart', (e) => starts.push(e as DebugProtocol.ProgressStartEvent));
    dc.on('progressEnd', (e) => ends.push(e as DebugProtocol.ProgressEndEvent));
    await dc.initializeRequest({
      adapterID: 'locktrace',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
      supportsProgressReporting: true,
    });
    const stopped = dc.waitForEvent('stopped');
    await Promise.all([
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program: SAMPLE } as DebugProtocol.LaunchRequestArguments),
    ]);
    await stopped;
    assert.equal(starts.length, 1);
    assert.equal(ends.length, 1);
    assert.equal(starts[0].body.progressId, ends[0].body.progressId);
  });

  it('bad launch arguments get a clear error response and the adapter keeps running', async () => {
    await dc.initializeRequest();
    await assert.rejects(dc.launchRequest({}), /needs "program"/);
    await assert.rejects(
      dc.launchRequest({ program: path.join(FIXTURES, 'missing.trace') } as DebugProtocol.LaunchRequestArguments),
      /cannot open trace file .*missing\.trace: no such file/,
    );
    await assert.rejects(
      dc.launchRequest({ program: path.join(FIXTURES, 'not-a-trace.txt') } as DebugProtocol.LaunchRequestArguments),
      /cannot replay .*not-a-trace\.txt: .*not-a-trace\.txt:1: expected a lock trace/,
    );
    await assert.rejects(
      dc.launchRequest({ program: SAMPLE, format: 'xml' } as DebugProtocol.LaunchRequestArguments),
      /"format" must be one of auto, ftrace/,
    );
    await assert.rejects(
      dc.launchRequest({ program: SAMPLE, task: 'nobody' } as DebugProtocol.LaunchRequestArguments),
      /no task "nobody" in this trace \(tasks: aio-writer-2101, dio-reader-2102\)/,
    );
    // still answering, and a good launch now works
    assert.deepEqual((await dc.threadsRequest()).body.threads, []);
    const stopped = dc.waitForEvent('stopped');
    await Promise.all([
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program: SAMPLE } as DebugProtocol.LaunchRequestArguments),
    ]);
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'exception');
  });

  it('a trace ending while running sends terminated', async () => {
    const terminated = dc.waitForEvent('terminated');
    await Promise.all([dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()), dc.launch({ program: CLEAN })]);
    await terminated;
  });

  it('restart re-reads the trace and replays from the start', async () => {
    const first = await launchAndStop(dc, { program: SAMPLE });
    assert.equal(await topLine(dc, first.body.threadId!), 35);
    const again = await stopAfter(dc, () =>
      dc.customRequest('restart', { arguments: { type: 'locktrace', request: 'launch', program: SAMPLE, stopOnEntry: true } }),
    );
    assert.equal(again.body.reason, 'entry');
    assert.equal(await topLine(dc, again.body.threadId!), 13);
  });
});

describe('stepping', () => {
  it('stepBack from the inversion returns to line 34', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE });
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: stop.body.threadId! }));
    assert.equal(back.body.reason, 'step');
    assert.equal(await topLine(dc, back.body.threadId!), 34);
  });

  it('next follows the task, stepIn any task, stepOut runs to the syscall exit', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    const t = stop.body.threadId!;
    await stopAfter(dc, () => dc.nextRequest({ threadId: t }));
    assert.equal(await topLine(dc, t), 14);
    await stopAfter(dc, () => dc.stepOutRequest({ threadId: t }));
    assert.equal(await topLine(dc, t), 17, 'stepOut inside io_submit goes to its exit');
    // line 26 is aio-writer's last event; stepIn goes on to the next event, of dio-reader
    const goto = (await dc.gotoTargetsRequest({ source: { path: SAMPLE }, line: 26 })).body.targets[0];
    await stopAfter(dc, () => dc.gotoRequest({ threadId: t, targetId: goto.id }));
    const s = await stopAfter(dc, () => dc.stepInRequest({ threadId: t }));
    assert.equal(s.body.threadId, await threadId(dc, 'dio-reader-2102'));
    assert.equal(await topLine(dc, s.body.threadId), 27);
    const n = await stopAfter(dc, () => dc.nextRequest({ threadId: s.body.threadId! }));
    assert.equal(await topLine(dc, n.body.threadId!), 28);
  });

  it('reverseContinue runs back to the previous breakpoint, or to the beginning', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE }, () =>
      dc.setBreakpointsRequest({ source: { path: SAMPLE }, breakpoints: [{ line: 16 }] }),
    );
    assert.equal(await topLine(dc, stop.body.threadId!), 16);
    const on = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.equal(await topLine(dc, on.body.threadId!), 35);
    const back = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: on.body.threadId! }));
    assert.equal(back.body.reason, 'breakpoint');
    assert.equal(await topLine(dc, back.body.threadId!), 16);
    const start = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: back.body.threadId! }));
    assert.equal(start.body.reason, 'entry');
    assert.equal(await topLine(dc, start.body.threadId!), 13);
  });

  it('goto line 20 shows aio-writer holding sb_writers acquired in io_submit', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    const targets = (await dc.gotoTargetsRequest({ source: { path: SAMPLE }, line: 20 })).body.targets;
    assert.equal(targets.length, 1);
    assert.equal(targets[0].line, 20);
    const g = await stopAfter(dc, () => dc.gotoRequest({ threadId: stop.body.threadId!, targetId: targets[0].id }));
    assert.equal(g.body.reason, 'goto');
    const aio = await threadId(dc, 'aio-writer-2101');
    assert.equal(g.body.threadId, aio);
    const fs_ = await frames(dc, aio);
    assert.deepEqual(
      fs_.map((f) => [f.name, f.line]),
      [
        ['acquire &inode->i_dio_map', 20],
        ['&inode->i_dio_map (held since io_uring_enter, line 20)', 20],
        ['&ctx->uring_lock (held since io_uring_enter, line 19)', 19],
        ['sb_writers (held since io_submit, line 16)', 16],
        ['io_uring_enter (entered at line 18)', 18],
      ],
    );
    const held = await scopeVars(dc, fs_[0].id, 'Held locks');
    const sb = held.find((v) => v.name === 'sb_writers')!;
    assert.equal(sb.value, '0x8a1c55e2, since line 16 in io_submit');
    const fields = (await dc.variablesRequest({ variablesReference: sb.variablesReference })).body.variables;
    assert.equal(fields.find((v) => v.name === 'syscall')!.value, 'io_submit');
    assert.equal(fields.find((v) => v.name === 'acrossSyscall')!.value, 'true');
  });

  it('scopes: Event (raw line read from the file), Syscall, Lock graph, Findings so far', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE });
    const top = (await frames(dc, stop.body.threadId!))[0];
    const ev = await scopeVars(dc, top.id, 'Event');
    assert.equal(
      ev.find((v) => v.name === 'body')!.value,
      '       dio-reader-2102 [003] ..... 10231.000399: lock_acquire: 000000008a1c55e2 sb_writers',
    );
    assert.equal(ev.find((v) => v.name === 'time')!.value, '10231.000399');
    const sys = await scopeVars(dc, top.id, 'Syscall');
    assert.deepEqual(
      sys.map((v) => [v.name, v.value]),
      [
        ['name', 'io_submit'],
        ['number', '209'],
        ['args', '7f3a1c001000, 1, 7ffd2b1ca110, 0, 0, 0'],
        ['entered at', 'line 32'],
      ],
    );
    const graph = await scopeVars(dc, top.id, 'Lock graph');
    assert.ok(
      graph.some((v) => v.name === 'sb_writers -> &inode->i_dio_map' && v.value.startsWith('line 20, aio-writer-2101 in io_uring_enter')),
    );
    const findings = await scopeVars(dc, top.id, 'Findings so far');
    assert.deepEqual(
      findings.map((v) => v.name),
      ['held-across-syscall (line 17)', 'held-across-syscall (line 22)', 'held-across-syscall (line 31)', 'inversion (line 35)'],
    );
  });

  it('the task filter only stops on that task', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, task: 'dio-reader', stopOnEntry: true });
    assert.equal(await topLine(dc, stop.body.threadId!), 27);
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.equal(await topLine(dc, s.body.threadId!), 35);
    await dc.stop();
    dc = await startClient();
    const terminated = dc.waitForEvent('terminated');
    await Promise.all([
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launch({ program: SAMPLE, task: 2101 }),
    ]);
    await terminated; // the inversion is dio-reader's
  });

  it('pause stops a long run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-adapter-'));
    const big = path.join(dir, 'big.trace');
    fs.writeFileSync(big, repeatedLockTrace(60000));
    try {
      // a condition that is never true but costs a state rebuild per event keeps the run busy
      const stop = await launchAndStop(dc, { program: big, stopOnEntry: true }, () =>
        dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'lock:&dev->mutex', condition: 'len(tasks) > 5 || len(findings) > 0' }] }),
      );
      const paused = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.continueRequest({ threadId: stop.body.threadId! });
      await dc.pauseRequest({ threadId: stop.body.threadId! });
      const p = await paused;
      assert.equal(p.body.reason, 'pause');
      const line = await topLine(dc, p.body.threadId!);
      assert.ok(line > 2 && line < 120001, `paused at line ${line}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('breakpoints', () => {
  it('line breakpoints verify to the nearest event line; conditions and hit counts', async () => {
    let bps: DebugProtocol.Breakpoint[] = [];
    const stop = await launchAndStop(dc, { program: SAMPLE }, async () => {
      bps = (
        await dc.setBreakpointsRequest({
          source: { path: SAMPLE },
          breakpoints: [
            { line: 5 }, // header comment: binds to the first event, line 13
            { line: 19, condition: 'pid == 2102 && syscall == "io_uring_enter"' },
            { line: 28, condition: 'pid == 2102 && syscall == "io_uring_enter"' },
            { line: 30, condition: 'pid ==' },
          ],
        })
      ).body.breakpoints;
    });
    assert.deepEqual(
      bps.map((b) => [b.verified, b.line]),
      [
        [true, 13],
        [true, 19],
        [true, 28],
        [false, 30],
      ],
    );
    assert.match(bps[3].message!, /condition: unexpected end of expression/);
    assert.equal(stop.body.reason, 'breakpoint');
    assert.deepEqual(stop.body.hitBreakpointIds, [bps[0].id]);
    const next = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.deepEqual(next.body.hitBreakpointIds, [bps[2].id], 'line 19 is aio-writer: condition false');
    assert.equal(await topLine(dc, next.body.threadId!), 28);
  });

  it('hit counts: == 2 stops on the second hit only', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall:io_uring_enter', hitCondition: '== 2' }] });
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.equal(s.body.reason, 'function breakpoint');
    assert.equal(await topLine(dc, s.body.threadId!), 27, 'line 18 is the first hit');
    const s2 = await stopAfter(dc, () => dc.continueRequest({ threadId: s.body.threadId! }));
    assert.equal(s2.body.reason, 'exception');
  });

  it('logpoints print and do not stop', async () => {
    const outputs: string[] = [];
    dc.on('output', (e) => outputs.push((e as DebugProtocol.OutputEvent).body.output));
    const stop = await launchAndStop(dc, { program: SAMPLE }, () =>
      dc.setBreakpointsRequest({
        source: { path: SAMPLE },
        breakpoints: [{ line: 16, logMessage: '{task} takes {class} in {syscall}, holding {depth}' }],
      }),
    );
    assert.equal(await topLine(dc, stop.body.threadId!), 35);
    assert.ok(outputs.includes('aio-writer-2101 takes sb_writers in io_submit, holding 1\n'), JSON.stringify(outputs));
  });

  it('function breakpoints on a lock class or a syscall', async () => {
    let bps: DebugProtocol.Breakpoint[] = [];
    const stop = await launchAndStop(dc, { program: SAMPLE }, async () => {
      bps = (
        await dc.setFunctionBreakpointsRequest({
          breakpoints: [{ name: 'lock:sb_writers' }, { name: 'syscall:io_uring_enter' }, { name: 'lock:nope' }],
        })
      ).body.breakpoints;
    });
    assert.deepEqual(
      bps.map((b) => b.verified),
      [true, true, false],
    );
    assert.match(bps[2].message!, /no lock class or syscall "lock:nope"/);
    assert.equal(stop.body.reason, 'function breakpoint');
    assert.equal(await topLine(dc, stop.body.threadId!), 16);
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.deepEqual(s.body.hitBreakpointIds, [bps[1].id]);
    assert.equal(await topLine(dc, s.body.threadId!), 18);
  });

  it('data breakpoints stop where a lock is acquired or released', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    const info = (await dc.dataBreakpointInfoRequest({ name: 'sb_writers' })).body;
    assert.equal(info.dataId, 'class:sb_writers');
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.dataId }] });
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: stop.body.threadId! }));
    assert.equal(s.body.reason, 'data breakpoint');
    assert.equal(await topLine(dc, s.body.threadId!), 16);
    const s2 = await stopAfter(dc, () => dc.continueRequest({ threadId: s.body.threadId! }));
    assert.equal(await topLine(dc, s2.body.threadId!), 25, 'released');
    // from a variable in the Held locks scope: one lock instance
    const g = (await dc.gotoTargetsRequest({ source: { path: SAMPLE }, line: 20 })).body.targets[0];
    await stopAfter(dc, () => dc.gotoRequest({ threadId: s2.body.threadId!, targetId: g.id }));
    const top = (await frames(dc, await threadId(dc, 'aio-writer-2101')))[0];
    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    const heldRef = scopes.find((x) => x.name === 'Held locks')!.variablesReference;
    await dc.variablesRequest({ variablesReference: heldRef });
    const fromVar = (await dc.dataBreakpointInfoRequest({ variablesReference: heldRef, name: '&inode->i_dio_map' })).body;
    assert.equal(fromVar.dataId, 'lock:0xf13b2c07');
    const notLock = (await dc.dataBreakpointInfoRequest({ name: 'pid' })).body;
    assert.equal(notLock.dataId, null);
  });

  it('exception filters for every finding kind', async () => {
    const stop = await launchAndStop(dc, { program: FINDINGS }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ['recursive', 'bad-unlock', 'held-at-exit'] }),
    );
    const seen: [string, number][] = [];
    let s = stop;
    for (;;) {
      const info = (await dc.exceptionInfoRequest({ threadId: s.body.threadId! })).body;
      seen.push([info.exceptionId, await topLine(dc, s.body.threadId!)]);
      if (seen.length === 3) break;
      s = await stopAfter(dc, () => dc.continueRequest({ threadId: s.body.threadId! }));
    }
    assert.deepEqual(seen, [
      ['recursive', 13],
      ['bad-unlock', 16],
      ['held-at-exit', 26],
    ]);
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: s.body.threadId! });
    await terminated;
  });

  it('held-across-syscall filter stops where io_submit returns holding sb_writers', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE }, () =>
      dc.setExceptionBreakpointsRequest({ filters: ['held-across-syscall'] }),
    );
    assert.equal(stop.body.reason, 'exception');
    assert.equal(await topLine(dc, stop.body.threadId!), 17);
    assert.match(stop.body.description!, /returns from io_submit still holding sb_writers/);
  });

  it('breakpointLocations lists event lines', async () => {
    await launchAndStop(dc, { program: SAMPLE, stopOnEntry: true });
    const r = (await dc.customRequest('breakpointLocations', {
      source: { path: SAMPLE },
      line: 1,
      endLine: 14,
    })) as DebugProtocol.BreakpointLocationsResponse;
    assert.deepEqual(
      r.body.breakpoints.map((b) => b.line),
      [13, 14],
    );
  });
});

describe('evaluate and completions', () => {
  it('a lock class or address gives holders and edges; expressions use the documented names', async () => {
    const stop = await launchAndStop(dc, { program: SAMPLE });
    const frameId = (await frames(dc, stop.body.threadId!))[0].id;
    const ev = async (expression: string, context = 'watch') => (await dc.evaluateRequest({ expression, frameId, context })).body;
    assert.equal(
      (await ev('sb_writers', 'hover')).result,
      'sb_writers: held by dio-reader-2102 (since line 35 in io_submit); 3 ordering edges so far',
    );
    assert.equal(
      (await ev('&inode->i_dio_map')).result,
      '&inode->i_dio_map: held by dio-reader-2102 (since line 29 in io_uring_enter); 4 ordering edges so far',
    );
    assert.match((await ev('0x8a1c55e2')).result, /^0x8a1c55e2: held by dio-reader-2102/);
    assert.equal((await ev('pid')).result, '2102');
    assert.equal((await ev('syscall == "io_submit" && pid == 2102')).result, 'true');
    assert.equal((await ev('held.class')).result, '["&inode->i_dio_map", "sb_writers"]');
    assert.equal((await ev('len(findings)')).result, '4');
    assert.equal((await ev('holds("sb_writers") && !holds("&ctx->uring_lock")')).result, 'true');
    assert.equal((await ev('holders("&inode->i_dio_map")')).result, '["dio-reader-2102"]');
    assert.equal((await ev('finding.kind')).result, 'inversion');
    assert.equal((await ev('edges("sb_writers")[0].line')).result, '19');
    const held = await ev('held', 'repl');
    assert.ok(held.variablesReference > 0);
    const items = (await dc.variablesRequest({ variablesReference: held.variablesReference })).body.variables;
    assert.deepEqual(
      items.map((v) => v.name),
      ['[0]', '[1]'],
    );
    await assert.rejects(dc.evaluateRequest({ expression: 'pid ==', frameId, context: 'repl' }), /unexpected end of expression/);
    await assert.rejects(dc.evaluateRequest({ expression: 'nosuchname', frameId, context: 'repl' }), /unknown name "nosuchname"/);
  });

  it('evaluates in the selected thread', async () => {
    await launchAndStop(dc, { program: SAMPLE });
    const aio = await threadId(dc, 'aio-writer-2101');
    const frameId = (await frames(dc, aio))[0].id;
    assert.equal((await dc.evaluateRequest({ expression: 'task', frameId, context: 'watch' })).body.result, 'aio-writer-2101');
    assert.equal((await dc.evaluateRequest({ expression: 'depth', frameId, context: 'watch' })).body.result, '0');
  });

  it('completions offer names, functions, lock classes and syscalls', async () => {
    await launchAndStop(dc, { program: SAMPLE });
    const labels = async (text: string, column: number) => (await dc.completionsRequest({ text, column })).body.targets.map((t) => t.label);
    assert.deepEqual(await labels('hol', 4), ['holds', 'holders']);
    assert.deepEqual(await labels('pid == 1 && hel', 16), ['held']);
    assert.deepEqual(await labels('holds("sb_', 11), ['sb_writers']);
    assert.deepEqual(await labels('holds("&inode->', 16), ['&inode->i_dio_map']);
    assert.ok((await labels('io_', 4)).includes('io_submit'));
  });
});

describe('custom locktraceState event and requests', () => {
  it('sends the replay state after each stop, answers locktraceState and locktraceSeek', async () => {
    const states: ReplayStateBody[] = [];
    dc.on('locktraceState', (e) => states.push((e as DebugProtocol.Event).body as ReplayStateBody));
    const stop = await launchAndStop(dc, { program: SAMPLE });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(states.length, 1);
    assert.equal(states[0].version, REPLAY_STATE_VERSION);
    assert.equal(states[0].line, 35);
    const state = (await dc.customRequest('locktraceState')).body as ReplayStateBody;
    assert.equal(state.path, SAMPLE);
    assert.equal(state.index, 22);
    assert.equal(state.totalEvents, 28);
    assert.equal(state.totalFindings, 5);
    assert.equal(state.findingsSoFar.length, 4);
    const dio = state.tasks.find((t) => t.comm === 'dio-reader')!;
    assert.deepEqual(
      dio.held.map((h) => [h.className, h.line, h.syscall]),
      [
        ['&inode->i_dio_map', 29, 'io_uring_enter'],
        ['sb_writers', 35, 'io_submit'],
      ],
    );
    assert.equal(dio.syscall!.name, 'io_submit');
    const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    const seek = (await dc.customRequest('locktraceSeek', { line: 20 })).body as ReplayStateBody;
    assert.equal(seek.line, 20);
    assert.equal(seek.findingsSoFar.length, 1);
    const s = await stopped;
    assert.equal(s.body.reason, 'goto');
    assert.equal(await topLine(dc, s.body.threadId!), 20);
    assert.notEqual(s.body.threadId, stop.body.threadId);
    await assert.rejects(dc.customRequest('locktraceSeek', { index: 1000 }), /no event/);
  });
});

describe('irq-state findings of real lockdep captures', () => {
  /** A capture's trace in a temporary file (the adapter reads traces from disk). */
  const captureFile = (name: string): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-dap-')), `${name}.trace`);
    fs.writeFileSync(file, kernelCapture(name));
    return file;
  };

  it('inconsistent lock state: the call stack shows the locks held at both usages, each frame with its state', async () => {
    const program = captureFile('irqstate');
    const stop = await launchAndStop(dc, { program }, () => dc.setExceptionBreakpointsRequest({ filters: ['irq-state'] }));
    assert.equal(stop.body.reason, 'exception');
    const tid = stop.body.threadId!;
    const fs0 = await frames(dc, tid);
    const names = fs0.map((f) => `${f.line} ${f.name}${f.presentationHint ? ` [${f.presentationHint}]` : ''}`);
    assert.deepEqual(names, [
      '1787 acquire &dev->soft_lock',
      '1787 &dev->soft_lock (held since ioctl, line 1787) [normal]',
      '1785 ioctl (entered at line 1785) [normal]',
      '1637 {IN-SOFTIRQ-W} &dev->soft_lock: taken in softirq context at line 1637 by ls_seed/72 [label]',
      '1637 acquire &dev->soft_lock [subtle]',
      '1637 &dev->soft_lock (in softirq, held since ioctl, line 1637) [subtle]',
      '1636 (&dev->timer) (in softirq, held since ioctl, line 1636) [subtle]',
      '1491 ioctl (entered at line 1491) [subtle]',
      '1787 {SOFTIRQ-ON-W} &dev->soft_lock: held with softirqs enabled at line 1787 by ls_seed/72 [label]',
      '1787 acquire &dev->soft_lock [subtle]',
      '1787 &dev->soft_lock (held since ioctl, line 1787) [subtle]',
      '1785 ioctl (entered at line 1785) [subtle]',
    ]);
    // the frames of the softirq usage show the state there: its event and what was held then
    const usage = fs0.find((f) => f.line === 1637 && f.name.startsWith('acquire'))!;
    const ev = await scopeVars(dc, usage.id, 'Event');
    assert.equal(ev.find((v) => v.name === 'line')?.value, '1637');
    const held = await scopeVars(dc, usage.id, 'Held locks');
    assert.deepEqual(
      held.map((v) => `${v.name}: ${v.value}`),
      [
        '&dev->soft_lock: 0xffff888000b25478, since line 1637 in ioctl, in softirq',
        '(&dev->timer): 0xffffc900000a0e80, since line 1636 in ioctl, in softirq',
      ],
    );
    // other threads get no usage frames; the exception widget points at them instead of repeating the usages
    const info = (await dc.exceptionInfoRequest({ threadId: tid })).body;
    assert.match(
      info.details!.message!,
      /call stack: below the current frames, the locks held where each usage showed up \(line 1637, line 1787\)/,
    );
    assert.doesNotMatch(info.details!.message!, /related lines:/);
  });

  it('irq lock inversion: the dependency chain is not called a cycle, and the usages of both classes get frames', async () => {
    const program = captureFile('irqinv');
    const stop = await launchAndStop(dc, { program }, () => dc.setExceptionBreakpointsRequest({ filters: ['irq-state'] }));
    const tid = stop.body.threadId!;
    const info = (await dc.exceptionInfoRequest({ threadId: tid })).body;
    assert.match(info.description!, /^possible irq lock inversion dependency: &dev->hard_lock -> &dev->plain_lock/);
    assert.match(info.details!.message!, /\ndependency chain:\n {2}&dev->hard_lock -> &dev->plain_lock: line 1954/);
    assert.doesNotMatch(info.details!.message!, /cycle:/);
    const fs0 = await frames(dc, tid);
    // at the finding, the hardirq's lock is on top of the stack with its context
    assert.equal(fs0[1].name, '&dev->hard_lock (in hardirq, held since ioctl, line 2012)');
    const labels = fs0.filter((f) => f.presentationHint === 'label').map((f) => `${f.line} ${f.name}`);
    assert.deepEqual(labels, [
      '2012 {IN-HARDIRQ-W} &dev->hard_lock: taken in hardirq context at line 2012 by ls_seed/74',
      '1730 {HARDIRQ-ON-W} &dev->plain_lock: held with hardirqs enabled at line 1730 by ls_seed/74',
    ]);
    // another stop (a step) is not the finding's: no usage frames any more
    await stopAfter(dc, () => dc.nextRequest({ threadId: tid }));
    assert.ok((await frames(dc, tid)).every((f) => f.presentationHint !== 'label'));
  });
});
