// Golden transcripts (after vscode-js-debug): drive the standalone adapter through a session,
// record the requests, responses and key events in order, sanitize them (repository path →
// ${root}, frame ids and variable references → <n>) and compare with test/golden/adapter/*.txt.
//   LOCKTRACE_UPDATE_GOLDEN=1  rewrite the golden files
// On a mismatch the transcript is written next to the golden file as `.actual`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ReplayStateBody } from '../../../src/protocol/replayState';
import { FIXTURES, KERNEL_ABBA, ROOT, SAMPLE, startClient } from './dapClient';

const GOLDEN_DIR = path.join(ROOT, 'test', 'golden', 'adapter');
const EVENT_KINDS = ['stopped', 'terminated', 'output', 'locktraceState', 'initialized'] as const;
type EventKind = (typeof EVENT_KINDS)[number];

function sanitize(v: unknown, key = ''): unknown {
  if (typeof v === 'string') return v.split(ROOT).join('${root}');
  if (Array.isArray(v)) return v.map((x) => sanitize(x));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const isFrame = 'line' in o && 'name' in o && 'source' in o && 'column' in o;
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => {
        if ((k === 'variablesReference' || k === 'frameId') && typeof x === 'number' && x > 0) return [k, '<n>'];
        if (k === 'id' && isFrame) return [k, '<n>'];
        return [k, sanitize(x, k)];
      }),
    );
  }
  void key;
  return v;
}

/** Records an ordered, sanitized transcript of one debug session. */
class Transcript {
  private readonly lines: string[] = [];
  private readonly queues = new Map<EventKind, DebugProtocol.Event[]>();
  private readonly waiters = new Map<EventKind, ((e: DebugProtocol.Event) => void)[]>();

  constructor(private readonly dc: DebugClient) {
    for (const kind of EVENT_KINDS) {
      this.queues.set(kind, []);
      this.waiters.set(kind, []);
      dc.on(kind, (e: DebugProtocol.Event) => {
        const w = this.waiters.get(kind)!.shift();
        if (w) w(e);
        else this.queues.get(kind)!.push(e);
      });
    }
  }

  log(label: string, body?: unknown): void {
    this.lines.push(body === undefined ? label : `${label} ${JSON.stringify(sanitize(body), null, 2).replace(/\n/g, '\n  ')}`);
  }

  /** Sends a request and records it with its response body (or error message). */
  async request<T extends DebugProtocol.Response>(command: string, args?: unknown, log = true): Promise<T> {
    if (log) this.log(`→ ${command}`, args);
    try {
      const r = (await this.dc.customRequest(command, args)) as T;
      if (log) this.log(`← ${command}`, r.body ?? {});
      return r;
    } catch (e) {
      this.log(
        `← ${command} error: ${String((e as Error).message)
          .split(ROOT)
          .join('${root}')}`,
      );
      return undefined as unknown as T;
    }
  }

  /** Waits for the next event of a kind and records it (locktraceState is summarized). */
  async event<E extends DebugProtocol.Event>(kind: EventKind): Promise<E> {
    const queued = this.queues.get(kind)!.shift();
    const e = (queued ?? (await new Promise<DebugProtocol.Event>((r) => this.waiters.get(kind)!.push(r)))) as E;
    if (kind === 'locktraceState') {
      const s = e.body as ReplayStateBody;
      this.log(
        `event locktraceState: index ${s.index}, line ${s.line}, findings ${s.findingsSoFar.length}/${s.totalFindings}, held:`,
        Object.fromEntries(
          s.tasks.map((t) => [
            `${t.comm}-${t.pid}`,
            t.held.map(
              (h) =>
                `${h.node}@${h.line}${h.sinceBeforeTrace ? ' (before the trace)' : ''}${h.context !== 'process' ? ` (${h.context})` : ''}`,
            ),
          ]),
        ),
      );
    } else this.log(`event ${kind}`, e.body ?? {});
    return e;
  }

  /** Compares with the golden file (or rewrites it). */
  check(name: string): void {
    const text = `${this.lines.join('\n')}\n`;
    const golden = path.join(GOLDEN_DIR, `${name}.txt`);
    const actual = `${golden}.actual`;
    if (process.env.LOCKTRACE_UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN_DIR, { recursive: true });
      fs.writeFileSync(golden, text);
      fs.rmSync(actual, { force: true });
      return;
    }
    const expected = fs.existsSync(golden) ? fs.readFileSync(golden, 'utf8') : '';
    if (text !== expected) {
      fs.writeFileSync(actual, text);
      assert.fail(
        `transcript differs from ${path.relative(ROOT, golden)}; see ${path.relative(ROOT, actual)} (LOCKTRACE_UPDATE_GOLDEN=1 to accept)`,
      );
    }
    fs.rmSync(actual, { force: true });
  }
}

let dc: DebugClient;
beforeEach(async () => {
  dc = await startClient();
});
afterEach(async () => {
  await dc.stop();
});

describe('golden transcripts', () => {
  it('syscall-order-inversion: entry, breakpoint, inversion, step back, goto, evaluate, end', async () => {
    const t = new Transcript(dc);
    await t.request('initialize', { adapterID: 'locktrace', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }, false);
    const launched = t.request('launch', { program: SAMPLE, stopOnEntry: true });
    await t.event('initialized');
    await t.request('setBreakpoints', { source: { path: SAMPLE }, breakpoints: [{ line: 20 }, { line: 33, condition: 'depth > 0' }] });
    await t.request('setExceptionBreakpoints', { filters: ['inversion'] });
    await t.request('configurationDone');
    await launched;
    await t.event('stopped');
    await t.event('locktraceState');
    await t.request('threads');
    await t.request('stackTrace', { threadId: 1 });

    await t.request('continue', { threadId: 1 });
    await t.event('stopped');
    await t.event('locktraceState');
    const st = await t.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 });
    const scopes = await t.request<DebugProtocol.ScopesResponse>('scopes', { frameId: st.body.stackFrames[0].id });
    for (const s of scopes.body.scopes) await t.request('variables', { variablesReference: s.variablesReference });

    await t.request('continue', { threadId: 1 });
    const cond = await t.event<DebugProtocol.StoppedEvent>('stopped');
    await t.event('locktraceState');
    await t.request('evaluate', { expression: 'depth', context: 'watch' });
    await t.request('continue', { threadId: cond.body.threadId });
    const inv = await t.event<DebugProtocol.StoppedEvent>('stopped');
    await t.event('locktraceState');
    await t.request('exceptionInfo', { threadId: inv.body.threadId });
    await t.request('stackTrace', { threadId: inv.body.threadId });
    await t.request('evaluate', { expression: 'sb_writers', context: 'hover' });
    await t.request('evaluate', { expression: 'holders("&inode->i_dio_map")', context: 'watch' });

    await t.request('stepBack', { threadId: inv.body.threadId });
    await t.event('stopped');
    await t.event('locktraceState');
    await t.request('stackTrace', { threadId: inv.body.threadId });

    const targets = await t.request<DebugProtocol.GotoTargetsResponse>('gotoTargets', { source: { path: SAMPLE }, line: 20 });
    await t.request('goto', { threadId: 1, targetId: targets.body.targets[0].id });
    await t.event('stopped');
    await t.event('locktraceState');
    await t.request('stackTrace', { threadId: 1 });
    await t.request('evaluate', { expression: 'held.class', context: 'repl' });

    await t.request('setBreakpoints', { source: { path: SAMPLE }, breakpoints: [] });
    await t.request('setExceptionBreakpoints', { filters: [] });
    await t.request('continue', { threadId: 1 });
    await t.event('terminated');
    t.check('syscall-order-inversion');
  });

  it('findings fixture: every exception filter, function and data breakpoints, logpoint', async () => {
    const program = path.join(FIXTURES, 'findings.trace');
    const t = new Transcript(dc);
    await t.request('initialize', { adapterID: 'locktrace', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }, false);
    const launched = t.request('launch', { program });
    await t.event('initialized');
    await t.request('setExceptionBreakpoints', {
      filters: ['inversion', 'held-across-syscall', 'recursive', 'bad-unlock', 'held-at-exit'],
    });
    await t.request('setFunctionBreakpoints', { breakpoints: [{ name: 'syscall:ioctl', hitCondition: '2' }, { name: 'epoll_wait' }] });
    await t.request('dataBreakpointInfo', { name: '&ep->mtx' });
    await t.request('setDataBreakpoints', { breakpoints: [{ dataId: 'class:&ep->mtx' }] });
    await t.request('setBreakpoints', {
      source: { path: program },
      breakpoints: [{ line: 7, logMessage: '{task} takes {class} under {held[0].class}' }],
    });
    await t.request('configurationDone');
    await launched;
    for (;;) {
      const s = await t.event<DebugProtocol.StoppedEvent>('stopped');
      if (s.body.reason === 'exception') await t.request('exceptionInfo', { threadId: s.body.threadId });
      const frames = await t.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: s.body.threadId, levels: 1 });
      if (frames.body.stackFrames[0].line === 26) break;
      await t.request('continue', { threadId: s.body.threadId });
    }
    await t.event('output');
    t.check('findings');
  });

  it('lockseed abba capture of a real lockdep kernel: held since before the trace, softirq holds, nesting, the AB-BA inversion', async () => {
    const program = KERNEL_ABBA;
    const t = new Transcript(dc);
    await t.request('initialize', { adapterID: 'locktrace', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }, false);
    const launched = t.request('launch', { program, stopOnEntry: true });
    await t.event('initialized');
    await t.request('setExceptionBreakpoints', { filters: ['inversion', 'irq-state'] });
    await t.request('configurationDone');
    await launched;
    // the first event: ls_seed/65 still holds what the tracer's `echo 1 > tracing_on` took
    await t.event('stopped');
    await t.event('locktraceState');
    const entry = await t.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: 1 });
    const scopes = await t.request<DebugProtocol.ScopesResponse>('scopes', { frameId: entry.body.stackFrames[0].id });
    const held = await t.request<DebugProtocol.VariablesResponse>('variables', {
      variablesReference: scopes.body.scopes[1].variablesReference,
    });
    await t.request('variables', { variablesReference: held.body.variables[0].variablesReference });
    await t.request('evaluate', { expression: 'sb_writers', context: 'hover' });

    // a softirq on top of ls_seed/65 while it holds &dev->a_lock in its ioctl
    const soft = await t.request<DebugProtocol.GotoTargetsResponse>('gotoTargets', { source: { path: program }, line: 2263 });
    await t.request('goto', { threadId: 1, targetId: soft.body.targets[0].id });
    await t.event('stopped');
    await t.event('locktraceState');
    await t.request('stackTrace', { threadId: 1 });
    await t.request('evaluate', { expression: 'held.context', context: 'repl' });

    // a nested instance of a class: the second mm's mmap_lock while exec holds the first
    const nested = await t.request<DebugProtocol.GotoTargetsResponse>('gotoTargets', { source: { path: program }, line: 1722 });
    await t.request('goto', { threadId: 1, targetId: nested.body.targets[0].id });
    await t.event('stopped');
    await t.event('locktraceState');
    await t.request('stackTrace', { threadId: 1, levels: 3 });

    // lockdep's own report: ls_seed/66 takes &dev->a_lock holding &dev->b_lock
    await t.request('continue', { threadId: 1 });
    const inv = await t.event<DebugProtocol.StoppedEvent>('stopped');
    await t.event('locktraceState');
    await t.request('exceptionInfo', { threadId: inv.body.threadId });
    await t.request('stackTrace', { threadId: inv.body.threadId });
    await t.request('setExceptionBreakpoints', { filters: [] });
    await t.request('continue', { threadId: inv.body.threadId });
    await t.event('terminated');
    t.check('kernel-abba');
  });
});
