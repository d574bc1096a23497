// General commands that belong to no single feature (feature commands live with their feature).
import * as vscode from 'vscode';
import type { LocktraceContext } from './context';
import { Commands } from './ids';

/** Registers the general commands on the context. */
export function registerCommands(ctx: LocktraceContext): void {
  ctx.track(
    vscode.commands.registerCommand(Commands.showOutput, () => {
      ctx.output.show(true);
    }),
  );
}
