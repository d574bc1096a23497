// Test-side helpers for driving `locktrace` debug sessions in the real extension host: a
// DebugAdapterTracker that records every DAP message between VS Code and the adapter (per session),
// waiting for messages, launching the shared sample, and cleaning up sessions and breakpoints.
// Used by debug.test.ts and panel.test.ts. Everything goes through VS Code's debug API.
import * as path from 'path';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { waitFor } from './wait';

// out/test/integration/*.js → repo root
export const REPO = path.resolve(__dirname, '../../..');
export const SAMPLE = path.join(REPO, 'samples/syscall-order-inversion.trace');
export const SAMPLE_URI = vscode.Uri.file(SAMPLE);
export const DEBUG_TYPE = 'locktrace';

type Msg = DebugProtocol.ProtocolMessage;

/** Polls `fn` until it returns something truthy. */
export { waitFor };

/** Every message of every `locktrace` session, in order, as the tracker saw it. */
export class DapLog implements vscode.Disposable {
  /** Session id → messages (both directions; `dir` says which). */
  private readonly log = new Map<string, { dir: 'toAdapter' | 'fromAdapter'; msg: Msg }[]>();
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: (session) => {
        const list: { dir: 'toAdapter' | 'fromAdapter'; msg: Msg }[] = [];
        this.log.set(session.id, list);
        return {
          onWillReceiveMessage: (m: Msg) => void list.push({ dir: 'toAdapter', msg: m }),
          onDidSendMessage: (m: Msg) => void list.push({ dir: 'fromAdapter', msg: m }),
        };
      },
    });
  }

  /** Position in a session's log; wait…(from: mark) only looks at later messages. */
  mark(session: vscode.DebugSession): number {
    return this.log.get(session.id)?.length ?? 0;
  }

  messages(session: vscode.DebugSession, from = 0): Msg[] {
    return (this.log.get(session.id) ?? []).slice(from).map((m) => m.msg);
  }

  fromAdapter(session: vscode.DebugSession, from = 0): Msg[] {
    return (this.log.get(session.id) ?? [])
      .slice(from)
      .filter((m) => m.dir === 'fromAdapter')
      .map((m) => m.msg);
  }

  /** The first event `name` from the adapter after `from` (that `pred` accepts). */
  async event<E extends DebugProtocol.Event>(
    session: vscode.DebugSession,
    name: string,
    from = 0,
    pred: (e: E) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<E> {
    return waitFor(
      `"${name}" event from ${session.name}`,
      () => this.fromAdapter(session, from).find((m): m is E => m.type === 'event' && (m as E).event === name && pred(m as E)),
      timeoutMs,
    );
  }

  /** The first response to `command` from the adapter after `from`. */
  async response<R extends DebugProtocol.Response>(
    session: vscode.DebugSession,
    command: string,
    from = 0,
    timeoutMs = 20_000,
  ): Promise<R> {
    return waitFor(
      `"${command}" response from ${session.name}`,
      () => this.fromAdapter(session, from).find((m): m is R => m.type === 'response' && (m as R).command === command),
      timeoutMs,
    );
  }

  /** The line of a frame id as VS Code's own stackTrace requests received it (latest answer wins). */
  frameLine(session: vscode.DebugSession, frameId: number): number | undefined {
    let line: number | undefined;
    for (const m of this.fromAdapter(session)) {
      if (m.type !== 'response' || (m as DebugProtocol.Response).command !== 'stackTrace') continue;
      const f = (m as DebugProtocol.StackTraceResponse).body?.stackFrames?.find((x) => x.id === frameId);
      if (f) line = f.line;
    }
    return line;
  }

  dispose(): void {
    this.registration.dispose();
  }
}

/** Starts a `locktrace` launch on the sample (or `program`) and returns the new session. */
export async function launch(extra: Partial<vscode.DebugConfiguration> = {}): Promise<vscode.DebugSession> {
  const started = new Promise<vscode.DebugSession>((resolve) => {
    const sub = vscode.debug.onDidStartDebugSession((s) => {
      if (s.type !== DEBUG_TYPE) return;
      sub.dispose();
      resolve(s);
    });
  });
  const folder = vscode.workspace.workspaceFolders?.[0];
  const ok = await vscode.debug.startDebugging(folder, {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'integration test',
    program: SAMPLE,
    stopOnEntry: true,
    ...extra,
  });
  if (!ok) throw new Error('startDebugging returned false');
  return started;
}

/**
 * Waits until VS Code itself shows the session stopped at `line` (its focused stack frame, as its
 * own stackTrace request answered it): the UI has caught up with the adapter.
 */
export async function vscodeAt(
  log: DapLog,
  session: vscode.DebugSession,
  line: number,
  timeoutMs = 20_000,
): Promise<vscode.DebugStackFrame> {
  return waitFor(
    `VS Code's focused frame at line ${line}`,
    () => {
      const a = vscode.debug.activeStackItem;
      return a instanceof vscode.DebugStackFrame && a.session.id === session.id && log.frameLine(session, a.frameId) === line && a;
    },
    timeoutMs,
  );
}

/** Stops every debug session and waits until they are gone; removes all breakpoints. */
export async function cleanUp(): Promise<void> {
  if (vscode.debug.breakpoints.length) vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
  await waitFor('no debug session', () => vscode.debug.activeDebugSession === undefined, 15_000);
}

/** threadId of a task (`comm-pid`) through the real session. */
export async function threadOf(session: vscode.DebugSession, name: string): Promise<number> {
  const r = (await session.customRequest('threads')) as DebugProtocol.ThreadsResponse['body'];
  const t = r.threads.find((x) => x.name === name);
  if (!t) throw new Error(`no thread ${name}: ${r.threads.map((x) => x.name).join(', ')}`);
  return t.id;
}

export async function stackOf(session: vscode.DebugSession, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  const r = (await session.customRequest('stackTrace', { threadId })) as DebugProtocol.StackTraceResponse['body'];
  return r.stackFrames;
}

/** Sends an execution request and returns the stopped event it led to. */
export async function stepAndStop(
  log: DapLog,
  session: vscode.DebugSession,
  command: string,
  args: object,
): Promise<DebugProtocol.StoppedEvent> {
  const m = log.mark(session);
  await session.customRequest(command, args);
  return log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
}
