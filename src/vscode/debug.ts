// The `locktrace` debug type in VS Code: runs the replay debug adapter inline in the extension
// host, its traces loaded by the TraceService (the same analysis the editor and the lock panel
// have, computed off the extension host's thread when big), fills in a launch configuration when
// there is no launch.json (F5 on a trace file), contributes the "locktrace: Debug Trace" command
// (editor title button on trace files), tells debug hovers to evaluate whole lock class names and
// addresses (src/adapter/evaluatable.ts), and offers a restart when a debugged trace changes on disk.
// The session of src/adapter runs inline here; no DAP types leak out of this file.
import * as vscode from 'vscode';
import { evaluatableAt } from '../adapter/evaluatable';
import { TraceAccess, nodeTraceAccess } from '../adapter/runtime';
import type { Analysis } from '../core';
import { LocktraceSession } from '../adapter/session';
import { LocktraceContext } from './context';
import { Commands, DEBUG_TYPE, LANGUAGE_ID } from './ids';
import { KernelSourceResolver } from './kernelSource';
import type { TraceService } from './traces';

/**
 * The inline adapters of running `locktrace` sessions, by session id: the lock panel takes the
 * session's analysis from here instead of analysing the trace a second time (same process).
 */
export class InlineReplays {
  private readonly sessions = new Map<string, LocktraceSession>();

  add(sessionId: string, adapter: LocktraceSession): void {
    this.sessions.set(sessionId, adapter);
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /** The analysis of a session's trace once its launch loaded it; undefined if none (failed, not inline). */
  async analysisOf(session: vscode.DebugSession): Promise<{ program: string; analysis: Analysis } | undefined> {
    return this.sessions.get(session.id)?.loadedAnalysis();
  }

  /** The analysis a session replays now, without waiting (a restart may have loaded a new one). */
  currentAnalysis(session: vscode.DebugSession): Analysis | undefined {
    return this.sessions.get(session.id)?.currentAnalysis();
  }
}

/**
 * The inline runtime's traces: the TraceService's analysis of the file, the lines read from disk,
 * and a kernel log's frames in the workspace's kernel tree or debug info (./kernelSource.ts).
 */
function serviceAccess(traces: TraceService, kernelSources: KernelSourceResolver): TraceAccess {
  return {
    loadAnalysis: (args) => traces.analysisFor(vscode.Uri.file(args.program), { format: args.format, readLocks: args.readLocks }),
    readLine: (program, offset) => nodeTraceAccess.readLine(program, offset),
    resolveFrames: async (program, frames) =>
      (await kernelSources.resolve(vscode.Uri.file(program), frames)).map(
        (s) => s && { path: s.location.uri.fsPath, line: s.location.range.start.line + 1 },
      ),
  };
}

/** `kernelSources`: where kernel logs' frames are in source (shared with the editor). */
export function registerDebug(ctx: LocktraceContext, traces: TraceService, kernelSources = new KernelSourceResolver(ctx)): InlineReplays {
  const replays = new InlineReplays();
  const access = serviceAccess(traces, kernelSources);
  ctx.track(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) => {
        const adapter = new LocktraceSession(access);
        replays.add(session.id, adapter);
        return new vscode.DebugAdapterInlineImplementation(adapter);
      },
    }),
  );
  ctx.track(vscode.debug.onDidTerminateDebugSession((s) => replays.remove(s.id)));
  // a session keeps replaying what it loaded; a restart loads the file again
  ctx.track(
    traces.onDidChangeOnDisk((uri) => {
      const s = vscode.debug.activeDebugSession;
      if (s?.type !== DEBUG_TYPE || s.configuration.program !== uri.fsPath) return;
      void vscode.window
        .showInformationMessage(
          `locktrace: ${uri.path.split('/').pop()} changed on disk; restart debugging to replay the new content.`,
          'Restart',
        )
        .then((pick) => pick && vscode.commands.executeCommand('workbench.action.debug.restart'));
    }),
  );
  ctx.track(vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new TraceConfigurationProvider()));
  ctx.track(
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      {
        provideDebugConfigurations: () => [launchConfigFor('${file}')],
      },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
  );
  ctx.track(
    vscode.languages.registerEvaluatableExpressionProvider(LANGUAGE_ID, {
      provideEvaluatableExpression: (doc, pos) => {
        const r = evaluatableAt(doc.lineAt(pos.line).text, pos.character);
        return r && new vscode.EvaluatableExpression(new vscode.Range(pos.line, r.start, pos.line, r.end), r.expression);
      },
    }),
  );
  ctx.track(
    vscode.commands.registerCommand(Commands.debugTrace, async (resource?: vscode.Uri) => {
      const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
      if (!uri || uri.scheme !== 'file') {
        void vscode.window.showErrorMessage('locktrace: open a trace file (on disk) to debug it.');
        return;
      }
      ctx.output.info(`debugging ${uri.fsPath}`);
      await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), launchConfigFor(uri.fsPath));
    }),
  );
  return replays;
}

function launchConfigFor(program: string): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name: 'Debug lock trace', program, stopOnEntry: true };
}

/** F5 without launch.json: debug the active trace file. */
class TraceConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc?.languageId === LANGUAGE_ID && doc.uri.scheme === 'file') return launchConfigFor(doc.uri.fsPath);
      void vscode.window.showInformationMessage('locktrace: open a trace file to debug it, or add a "locktrace" launch configuration.');
      return undefined;
    }
    if (!config.program) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc?.languageId === LANGUAGE_ID && doc.uri.scheme === 'file') config.program = doc.uri.fsPath;
    }
    // the adapter answers a missing or wrong program with a clear error response
    return config;
  }
}
