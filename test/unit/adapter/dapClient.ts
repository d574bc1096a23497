// Helpers for the protocol-level tests: start the standalone adapter (out/debugAdapter.js) under
// @vscode/debugadapter-testsupport's DebugClient, launch, and wait for stops.
// Not a test file itself (no .test.ts suffix); bundled into each test that imports it.
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Repository root (tests run from out/test/unit/adapter). */
export const ROOT = path.resolve(__dirname, '../../../..');
export const ADAPTER = path.join(ROOT, 'out', 'debugAdapter.js');
export const SAMPLE = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'adapter');
/** The lockseed abba capture of the QEMU lockdep kernel, as the integration workspace holds it. */
export const KERNEL_ABBA = path.join(ROOT, 'test', 'workspace', 'kernel', 'lockseed-abba.trace');

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient('node', ADAPTER, 'locktrace');
  dc.defaultTimeout = 10000;
  await dc.start();
  return dc;
}

/**
 * Launches and resolves with the first stopped event. `configure` runs between `initialized` and
 * configurationDone (set breakpoints there).
 */
export async function launchAndStop(
  dc: DebugClient,
  args: Record<string, unknown>,
  configure?: () => Promise<unknown>,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    dc.waitForEvent('initialized').then(async () => {
      await configure?.();
      await dc.configurationDoneRequest();
    }),
    dc.launch(args),
  ]);
  return stopped;
}

/** Sends a request that makes the adapter stop again and resolves with that stopped event. */
export async function stopAfter(dc: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await request();
  return stopped;
}

export async function frames(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

export async function topLine(dc: DebugClient, threadId: number): Promise<number> {
  return (await frames(dc, threadId))[0].line;
}

/** Variables of a scope of a frame, by scope name. */
export async function scopeVars(dc: DebugClient, frameId: number, scope: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name === scope);
  if (!s) throw new Error(`no scope ${scope} (have ${scopes.map((x) => x.name).join(', ')})`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

/** Thread id of a task by its `comm-pid` name. */
export async function threadId(dc: DebugClient, name: string): Promise<number> {
  const t = (await dc.threadsRequest()).body.threads.find((x) => x.name === name);
  if (!t) throw new Error(`no thread ${name}`);
  return t.id;
}
