// Extension entry point: creates the one LocktraceContext and hands it to each feature's register…
// function. Keep it a list of registrations; features live under src/vscode/. Returns the
// extension's API: only `testing`, which the integration tests read (see TraceServiceProbe).
import * as vscode from 'vscode';
import { LocktraceContext } from './vscode/context';
import { registerCommands } from './vscode/commands';
import { registerDebug } from './vscode/debug';
import { registerEditor } from './vscode/editor';
import { registerHierarchy } from './vscode/hierarchy';
import { KernelSourceResolver } from './vscode/kernelSource';
import { registerPanel } from './vscode/panel';
import { registerRecord } from './vscode/record';
import { registerSource } from './vscode/source';
import { TraceService, TraceServiceProbe } from './vscode/traces';
import { registerWalkthrough } from './vscode/walkthrough';

/** What `activate` returns (`vscode.extensions.getExtension('locktrace.locktrace').exports`). */
export interface LocktraceApi {
  /** For the integration tests: analyses on the extension host's thread and the service's loads. */
  readonly testing: TraceServiceProbe;
}

export function activate(extension: vscode.ExtensionContext): LocktraceApi {
  const ctx = new LocktraceContext(extension);
  // the one owner of analyses and the active trace, shared by every feature that needs a trace
  const traces = ctx.track(new TraceService(ctx));
  // where kernel logs' stack frames are in source, for the debugger and the editor alike
  const kernelSources = new KernelSourceResolver(ctx);
  registerCommands(ctx);
  const replays = registerDebug(ctx, traces, kernelSources);
  registerPanel(ctx, traces, replays);
  registerEditor(ctx, traces, kernelSources);
  registerHierarchy(ctx, traces);
  registerSource(ctx, traces);
  registerRecord(ctx, traces);
  registerWalkthrough(ctx, traces);
  ctx.output.info(
    `locktrace ${(extension.extension.packageJSON as { version: string }).version} activated (${vscode.env.appName} ${vscode.version})`,
  );
  return { testing: traces.probe };
}

export function deactivate(): void {
  // Everything is disposed through extension.subscriptions (the context is registered there).
}
