// Every id locktrace contributes to VS Code, in one place: the commands (package.json's
// contributes.commands, menus and activation events name the same ones: a unit test compares
// them), the debug type, the language, the webview panel type, the trace view's custom editor type
// and URI scheme, and the task type. Features import them from here; no other file spells them.
// Plain constants: no `vscode`, so tests can read them.

import { PANEL_VIEW_TYPE } from '../protocol/panel';

/** Prefix of every contributed id: commands, settings, views, context keys, the debug type. */
export const PREFIX = 'locktrace';

/** The debug type of package.json's `contributes.debuggers`. */
export const DEBUG_TYPE = 'locktrace';
/** The language of trace documents (`contributes.languages`). */
export const LANGUAGE_ID = 'locktrace';
/** The task type of Record and Debug's recordings (`contributes.taskDefinitions`). */
export const TASK_TYPE = 'locktrace-record';
/**
 * The lock panel's webview panel type, also the key of its WebviewPanelSerializer. Declared with
 * the panel protocol, whose persisted state VS Code hands back under it.
 */
export { PANEL_VIEW_TYPE };

/**
 * The trace view: a read-only custom editor for traces of any size (src/vscode/traceView.ts).
 * Its documents are `locktrace-view:` URIs of trace files, the scheme package.json's
 * `customEditors` selector names, so that opening such a URI (the debugger's stack frames of a big
 * trace) always lands in the view.
 */
export const TRACE_VIEW_TYPE = 'locktrace.traceView';
export const TRACE_VIEW_SCHEME = 'locktrace-view';

/** Status bar items (their ids name them in VS Code's status bar menu). */
export const STATUS_BAR_ITEMS = {
  activeTrace: 'locktrace.activeTrace',
} as const;

/** Command ids (`contributes.commands`). */
export const Commands = {
  showOutput: 'locktrace.showOutput',
  debugTrace: 'locktrace.debugTrace',
  showPanel: 'locktrace.showPanel',
  showLockInTrace: 'locktrace.showLockInTrace',
  recordAndDebug: 'locktrace.recordAndDebug',
  checkTrace: 'locktrace.checkTrace',
  exportFindings: 'locktrace.exportFindings',
  selectActiveTrace: 'locktrace.selectActiveTrace',
  debugToLine: 'locktrace.debugToLine',
  revealLine: 'locktrace.revealLine',
  showFindingInPanel: 'locktrace.showFindingInPanel',
  openTraceView: 'locktrace.openTraceView',
  traceViewGoToLine: 'locktrace.traceView.goToLine',
  compareTraces: 'locktrace.compareTraces',
  proposeHierarchy: 'locktrace.proposeHierarchy',
  // the Get Started walkthrough's steps (src/vscode/walkthrough.ts)
  openSample: 'locktrace.openSample',
  walkthroughShowFindings: 'locktrace.walkthrough.showFindings',
  walkthroughDebugSample: 'locktrace.walkthrough.debugSample',
  walkthroughShowPanel: 'locktrace.walkthrough.showPanel',
} as const;
