// The webview's one state (PanelViewState of ./viewModel.ts, initialised from what VS Code kept
// across a reload) and the one function that runs after every change of it (./panel.ts sets it:
// persist, ask for the timeline window, schedule a render).

import { restoredState } from './host';
import { PanelViewState, ViewRange, initialState } from './viewModel';

let current: PanelViewState = initialState(restoredState());
let onChange = (): void => undefined;

export function state(): PanelViewState {
  return current;
}

export function setState(next: PanelViewState): void {
  current = next;
  onChange();
}

export function setUi(patch: Partial<PanelViewState['ui']>): void {
  setState({ ...current, ui: { ...current.ui, ...patch } });
}

/** Moves the timeline's view (a pan or zoom), when there is one. */
export function changeView(f: (v: ViewRange, total: number) => ViewRange): void {
  const total = current.trace?.totalEvents ?? 0;
  const v = current.ui.view;
  if (!v || total === 0) return;
  setUi({ view: f(v, total) });
}

export function onStateChange(f: () => void): void {
  onChange = f;
}
