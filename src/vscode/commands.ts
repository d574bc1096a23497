// General commands that belong to no single feature (feature commands live with their feature).
import * as vscode from 'vscode';
import type { LocktraceContext } from './context';

/** Command ids contributed in package.json (`contributes.commands`). */
export const Commands = {
  showOutput: 'locktrace.showOutput',
} as const;

/** Registers the general commands on the context. */
export function registerCommands(ctx: LocktraceContext): void {
  ctx.track(
    vscode.commands.registerCommand(Commands.showOutput, () => {
      ctx.output.show(true);
    }),
  );
}
