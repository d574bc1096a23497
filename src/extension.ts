// Extension entry point: creates the one LocktraceContext and hands it to each feature's register…
// function. Keep it a list of registrations; features live under src/vscode/.
import * as vscode from 'vscode';
import { LocktraceContext } from './vscode/context';
import { registerCommands } from './vscode/commands';
import { registerDebug } from './vscode/debug';
import { registerEditor } from './vscode/editor';
import { registerPanel } from './vscode/panel';
import { registerRecord } from './vscode/record';
import { registerSource } from './vscode/source';
import { TraceService } from './vscode/traces';

export function activate(extension: vscode.ExtensionContext): void {
  const ctx = new LocktraceContext(extension);
  // the analysed traces and the active trace, shared by the features that need them
  const traces = ctx.track(new TraceService(ctx));
  registerCommands(ctx);
  const replays = registerDebug(ctx);
  registerPanel(ctx, replays);
  registerEditor(ctx, traces);
  registerSource(ctx, traces);
  registerRecord(ctx, traces);
  ctx.output.info(
    `locktrace ${(extension.extension.packageJSON as { version: string }).version} activated (${vscode.env.appName} ${vscode.version})`,
  );
}

export function deactivate(): void {
  // Everything is disposed through extension.subscriptions (the context is registered there).
}
