// The webview's side of the conversation with the extension host (src/protocol/panel.ts): the
// VS Code API object, posting messages, the state VS Code keeps across reloads, and the `ready`
// handshake. Messages that are not the host's (other frames may post too) are dropped here.

import {
  HostMessage,
  PANEL_PROTOCOL_VERSION,
  PanelPersistedState,
  SeekTarget,
  WebviewMessage,
  isHostMessage,
} from '../../src/protocol/panel';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): PanelPersistedState | undefined;
  setState(s: PanelPersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

export function post(msg: WebviewMessage): void {
  vscode.postMessage(msg);
}

export function seek(target: SeekTarget): void {
  post({ type: 'seek', target });
}

/** What the webview kept with setState before a reload (or nothing). */
export function restoredState(): PanelPersistedState | undefined {
  return vscode.getState();
}

export function persist(s: PanelPersistedState): void {
  vscode.setState(s);
}

/** Calls `handle` with every message of the host. */
export function listen(handle: (msg: HostMessage) => void): void {
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const msg = ev.data;
    if (!isHostMessage(msg)) return;
    handle(msg);
  });
}

/** The webview speaks first: the host pushes nothing before this. */
export function sayReady(): void {
  post({ type: 'ready', version: PANEL_PROTOCOL_VERSION });
}
