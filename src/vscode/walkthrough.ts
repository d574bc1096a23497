// The Get Started walkthrough (`contributes.walkthroughs`, id `getStarted`): the commands its steps
// link to, all on the sample shipped in the extension (samples/syscall-order-inversion.trace): open
// it, show its findings in the Problems view, debug it, show its lock panel. Each returns what it
// did, so the integration test can follow the steps through the same links a user clicks.
import * as vscode from 'vscode';
import type { LocktraceContext } from './context';
import { Commands, DEBUG_TYPE } from './ids';
import type { TraceService } from './traces';

const SAMPLE = ['samples', 'syscall-order-inversion.trace'];

export function registerWalkthrough(ctx: LocktraceContext, traces: TraceService): void {
  const sample = vscode.Uri.joinPath(ctx.extension.extensionUri, ...SAMPLE);
  const reg = (id: string, fn: () => Promise<unknown>) => ctx.track(vscode.commands.registerCommand(id, fn));

  /** Shows the sample; beside the walkthrough when it is the active editor, so both stay in view. */
  const open = async (): Promise<vscode.TextEditor> => {
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === sample.toString());
    const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const column = visible?.viewColumn ?? (active instanceof vscode.TabInputText ? vscode.ViewColumn.Active : vscode.ViewColumn.Beside);
    const editor = await vscode.window.showTextDocument(sample, { viewColumn: column, preview: false, preserveFocus: false });
    traces.setActive(sample);
    return editor;
  };

  reg(Commands.openSample, async () => (await open()).document.uri);

  reg(Commands.walkthroughShowFindings, async () => {
    const editor = await open();
    const r = await traces.get(editor.document);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    return { uri: sample.toString(), lines: r.findings.map((f) => f.line) };
  });

  reg(Commands.walkthroughDebugSample, async () => {
    await open();
    const running = vscode.debug.activeDebugSession;
    if (running?.type === DEBUG_TYPE && running.configuration.program === sample.fsPath) {
      await vscode.commands.executeCommand('workbench.view.debug');
      return true;
    }
    return vscode.debug.startDebugging(undefined, {
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Debug the sample trace',
      program: sample.fsPath,
      stopOnEntry: false,
    });
  });

  reg(Commands.walkthroughShowPanel, async () => {
    await vscode.commands.executeCommand(Commands.showPanel, sample);
    return sample.toString();
  });
}
