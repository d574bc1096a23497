// The trace view webview's side of the conversation with the extension host
// (src/protocol/traceView.ts): posting, listening (messages that are not the host's are dropped),
// the state VS Code keeps while the view is hidden or the window reloads, and `ready`.

import {
  TRACE_VIEW_PROTOCOL_VERSION,
  TraceViewHostMessage,
  TraceViewMessage,
  isTraceViewHostMessage,
} from '../../../src/protocol/traceView';

/** What the webview keeps with setState: where it was in which trace. */
export interface ViewState {
  path: string;
  /** First visible line, 0-based and fractional (0: line 1 at the top). */
  top: number;
  selected: number | null;
}

interface VsCodeApi {
  postMessage(msg: TraceViewMessage): void;
  getState(): ViewState | undefined;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export function post(msg: TraceViewMessage): void {
  vscode.postMessage(msg);
}

export function savedState(): ViewState | undefined {
  return vscode.getState();
}

export function saveState(s: ViewState): void {
  vscode.setState(s);
}

export function listen(handle: (msg: TraceViewHostMessage) => void): void {
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    if (isTraceViewHostMessage(ev.data)) handle(ev.data);
  });
}

/** The webview speaks first: the host pushes nothing before this. */
export function sayReady(): void {
  post({ type: 'ready', version: TRACE_VIEW_PROTOCOL_VERSION });
}
