// The one object created by activate() and passed to every feature's register…(ctx) function
// (rust-analyzer style): it owns the disposables, the `locktrace` output channel, settings access
// and the diagnostic collection, so no feature keeps module-level singletons.
// Must not import feature modules (they import it) or src/extension.ts.
import * as vscode from 'vscode';

/** Prefix of every contributed id: commands, settings, views, context keys, the debug type. */
export const PREFIX = 'locktrace';

/** Shared state of the extension for one activation. Disposed when the extension deactivates. */
export class LocktraceContext implements vscode.Disposable {
  /** Log output channel `locktrace` (View → Output), with levels (trace…error). */
  readonly output: vscode.LogOutputChannel;
  /** Problems reported for trace documents (lock-order inversions, parse errors, …). */
  readonly diagnostics: vscode.DiagnosticCollection;
  private readonly disposables: vscode.Disposable[] = [];

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
