// The one object created by activate() and passed to every feature's register…(ctx) function
// (rust-analyzer style): it owns the disposables, the `locktrace` output channel, settings access
// and the diagnostic collection, so no feature keeps module-level singletons. It is also the one
// subscriber to the debug adapter's `locktraceState` events, which features receive through it.
// Must not import feature modules (they import it) or src/extension.ts.
import * as vscode from 'vscode';
import { REPLAY_STATE_EVENT, ReplayStateBody } from '../protocol/replayState';
import { DEBUG_TYPE, PREFIX } from './ids';

/** A feature's listener for the replay state a locktrace debug session publishes at every stop. */
export type ReplayStateListener = (session: vscode.DebugSession, state: ReplayStateBody) => void;

/** Shared state of the extension for one activation. Disposed when the extension deactivates. */
export class LocktraceContext implements vscode.Disposable {
  /** Log output channel `locktrace` (View → Output), with levels (trace…error). */
  readonly output: vscode.LogOutputChannel;
  /** Problems reported for trace documents (lock-order inversions, parse errors, …). */
  readonly diagnostics: vscode.DiagnosticCollection;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly replayStateListeners = new Set<ReplayStateListener>();
  private replayStateEvents: vscode.Disposable | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = this.track(vscode.window.createOutputChannel(PREFIX, { log: true }));
    this.diagnostics = this.track(vscode.languages.createDiagnosticCollection(PREFIX));
    // Everything we own is released through the extension's subscriptions on deactivate.
    extension.subscriptions.push(this);
  }

  /** Takes ownership of a disposable (registration, listener, panel…) and returns it. */
  track<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  /** The `locktrace.*` settings, scoped to a resource (trace file) when given. Read on use, never cached. */
  settings(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(PREFIX, scope);
  }

  /** Calls `listener` when any `locktrace.*` setting changes; the subscription is owned by the context. */
  onDidChangeSettings(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(PREFIX)) listener(e);
      }),
    );
  }

  /**
   * Calls `listener` with every `locktraceState` event of a `locktrace` debug session, until the
   * returned disposable is disposed (not owned by the context: a listener for the whole activation
   * is passed to `track`). The extension's only subscription to the adapter's custom events.
   */
  onReplayState(listener: ReplayStateListener): vscode.Disposable {
    this.replayStateEvents ??= this.track(
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== REPLAY_STATE_EVENT) return;
        const state = e.body as ReplayStateBody | undefined;
        if (typeof state?.index !== 'number') return;
        for (const l of [...this.replayStateListeners]) l(e.session, state);
      }),
    );
    this.replayStateListeners.add(listener);
    return { dispose: () => this.replayStateListeners.delete(listener) };
  }

  dispose(): void {
    // Reverse order: later registrations may depend on earlier ones (e.g. on the output channel).
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        console.error(`[locktrace] dispose failed: ${String(e)}`);
      }
    }
  }
}
