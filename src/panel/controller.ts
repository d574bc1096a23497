// The host half of the panel conversation, without VS Code: answers the webview's messages from a
// PanelModel and follows either a debug session (positions come from the adapter's
// `locktraceState` events, seeks go back to it) or its own position (no session).
// src/vscode/panel.ts wires it to a real webview; tests and the browser test drive it directly.
// Pure.

import {
  GraphDiffView,
  HostMessage,
  PANEL_PROTOCOL_VERSION,
  PanelSource,
  SeekTarget,
  TaskFilter,
  WebviewMessage,
  assertNever,
  emptyTaskFilter,
  hostMessage,
} from '../protocol/panel';
import type { ReplayStateBody, SeekArguments } from '../protocol/replayState';
import { PanelModel } from './model';

/** What the controller needs from its surroundings. */
export interface PanelHostPort {
  post(msg: HostMessage): void;
  /**
   * Asks the debug session to move (custom request `locktraceSeek`). Absent without a session:
   * the controller then moves its own position.
   */
  seekSession?(args: SeekArguments): Promise<ReplayStateBody | undefined>;
  /** Shows a 1-based trace line in the editor. */
  reveal(line: number): void;
  /** Something went wrong that the user should hear about. */
  log?(message: string): void;
}

export class PanelController {
  private ready = false;
  private position = 0;
  private lastState: ReplayStateBody | null = null;
  tasks: TaskFilter = emptyTaskFilter();
  selectedFindingId: number | null = null;
  /** The lock graph compared with another trace, when a comparison was asked for. */
  private diff: GraphDiffView | null = null;

  constructor(
    readonly model: PanelModel,
    private readonly port: PanelHostPort,
    initialIndex = 0,
  ) {
    this.position = model.resolve({ index: initialIndex });
  }

  get source(): PanelSource {
    return this.port.seekSession ? 'debug' : 'standalone';
  }

  get index(): number {
    return this.position;
  }

  /** Handles one message from the webview. */
  async handle(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        if (msg.version !== PANEL_PROTOCOL_VERSION) {
          this.port.post(
            hostMessage('error', {
              message: `panel protocol mismatch: webview v${msg.version}, host v${PANEL_PROTOCOL_VERSION}; reload the window`,
            }),
          );
          return;
        }
        this.ready = true;
        this.port.post(hostMessage('init', { source: this.source, trace: this.model.summary() }));
        this.pushState(this.lastState ?? this.model.stateAt(this.position));
        if (this.diff) this.port.post(hostMessage('diff', { diff: this.diff }));
        return;
      case 'seek':
        await this.seek(msg.target);
        return;
      case 'selectFinding': {
        this.selectedFindingId = msg.findingId;
        // by id: the reported findings may be a selection of the analyzer's (kinds, suppressions)
        const f = msg.findingId === null ? undefined : this.model.analysis.findings.find((x) => x.id === msg.findingId);
        if (f && msg.seek) await this.seek({ index: f.eventIndex });
        return;
      }
      case 'requestTimeline':
        this.tasks = msg.tasks;
        this.port.post(hostMessage('timeline', { window: this.model.timeline(msg) }));
        return;
      case 'setTaskFilter':
        this.tasks = msg.tasks;
        return;
      default:
        assertNever(msg);
    }
  }

  /** Moves to a target: through the debug session when there is one, else locally. */
  async seek(target: SeekTarget): Promise<void> {
    const index = this.model.resolve(target);
    this.port.reveal(this.model.store.line[index] ?? 1);
    if (this.port.seekSession) {
      try {
        const body = await this.port.seekSession({ index });
        if (body) this.onSessionState(body);
      } catch (e) {
        this.port.log?.(`locktraceSeek failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    this.moveTo(index);
  }

  /** Shows the graph compared with another trace (null: stops comparing). */
  setDiff(diff: GraphDiffView | null): void {
    this.diff = diff;
    if (this.ready) this.port.post(hostMessage('diff', { diff }));
  }

  get comparison(): GraphDiffView | null {
    return this.diff;
  }

  /** Without a session: the panel's own position. */
  moveTo(index: number): void {
    this.position = this.model.resolve({ index });
    this.pushState(this.model.stateAt(this.position));
  }

  /** A `locktraceState` event (or seek answer) from the adapter. */
  onSessionState(body: ReplayStateBody): void {
    this.position = this.model.resolve({ index: body.index });
    this.pushState(body);
  }

  private pushState(state: ReplayStateBody): void {
    this.lastState = state;
    if (!this.ready) return;
    this.port.post(hostMessage('state', { state }));
    // the graph is capped at GRAPH_MAX_NODES classes, so resending it with every stop is cheap.
    this.port.post(hostMessage('graph', { graph: this.model.graph(state.index) }));
  }
}
