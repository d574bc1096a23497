// The extension ⇄ webview protocol of the trace view (a read-only custom editor that shows a trace
// of any size, src/vscode/traceView.ts and media/src/traceView/): typed, versioned, plain JSON.
// The webview speaks first (`ready`); the host answers with `status` while the trace is analysed,
// then `init` (line count, the grammar, the findings, the debugger's line). The webview never gets
// the file: it asks for the lines it shows (`requestLines`), which the host reads at their byte
// offsets through the trace's index, so a 1 GB trace costs the webview only what is on screen.
//
// Lines named `line` are 1-based trace lines; `character`, `start` and `end` are 0-based UTF-16
// offsets in a line's text. test/unit/protocol/versions.test.ts compares the shape of every type
// here with test/golden/protocol/traceView.txt and fails when it changed while
// TRACE_VIEW_PROTOCOL_VERSION did not.

import type { FindingKindName } from './replayState';

/** Bumped on any change of the types below (the version test insists); both sides check it. */
export const TRACE_VIEW_PROTOCOL_VERSION = 2;

/** The host answers at most this many lines per `requestLines`. */
export const TRACE_VIEW_MAX_LINES = 2000;
/** Longer lines are cut to this many characters (the rest is never read). */
export const TRACE_VIEW_MAX_LINE_CHARS = 4096;

// ---------------------------------------------------------------------------------------------
// Payloads

/** A rule of the TextMate grammar (syntaxes/locktrace.tmLanguage.json), what the webview's tokenizer reads. */
export interface GrammarRule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
  patterns?: GrammarRule[];
  /** `#name` of a repository rule. */
  include?: string;
}

/** The grammar as the host read it from the extension's syntaxes/ folder. */
export interface GrammarBody {
  scopeName: string;
  patterns: GrammarRule[];
  repository: Record<string, GrammarRule>;
}

export type FindingSeverity = 'error' | 'warning' | 'information' | 'hint';

/** A reported finding, decorated on its line (severity from `locktrace.findings.severity`). */
export interface TraceViewFinding {
  id: number;
  line: number;
  kind: FindingKindName;
  severity: FindingSeverity;
  /** Short title: `lock order inversion (syscall-order)`. */
  title: string;
  /** The lockdep-style report. */
  message: string;
  /** Lock classes taking part (their first occurrence on the line is underlined). */
  locks: string[];
}

export interface TraceViewSummary {
  /** Absolute path of the trace file. */
  path: string;
  /** File name, for titles. */
  name: string;
  bytes: number;
  lineCount: number;
  events: number;
  format: string;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Host → webview. */
export type TraceViewHostMessage =
  /** Before `init`: what the host is doing (analysing the trace). */
  | { type: 'status'; version: number; message: string }
  | {
      type: 'init';
      version: number;
      trace: TraceViewSummary;
      grammar: GrammarBody;
      findings: TraceViewFinding[];
      /** The debugger's line in this trace (null: not being debugged). */
      position: number | null;
      /** A line to show and select once painted (null: keep the webview's own). */
      reveal: number | null;
    }
  /** Lines `from` … `from + texts.length - 1`; `cut` lists those cut at TRACE_VIEW_MAX_LINE_CHARS. */
  | { type: 'lines'; version: number; requestId: number; from: number; texts: string[]; cut: number[] }
  /** The debugger moved (null: its session ended). */
  | { type: 'position'; version: number; line: number | null }
  /** Show a line: `select` marks it (go to line, a finding), `frame` marks it as the focused stack frame. */
  | { type: 'reveal'; version: number; line: number; mark: 'select' | 'frame' }
  /** The hover of a `hover` request: Markdown (links from `viewLink`), or null when nothing is there. */
  | { type: 'hover'; version: number; requestId: number; line: number; start: number; end: number; markdown: string | null }
  | { type: 'error'; version: number; message: string; retry: boolean };

/** Webview → host. */
export type TraceViewMessage =
  /** First message of the webview: nothing is pushed before it. */
  | { type: 'ready'; version: number }
  /** Ask for `count` lines from `from` (at most TRACE_VIEW_MAX_LINES are answered). */
  | { type: 'requestLines'; requestId: number; from: number; count: number }
  /** What is at `character` of a line whose text is `text` (as the host sent it). */
  | { type: 'hover'; requestId: number; line: number; character: number; text: string }
  /** Start debugging (or move the session) and stop at a line. */
  | { type: 'debugToLine'; line: number }
  /** Open the lock panel at a line. */
  | { type: 'showInPanel'; line: number }
  /** Analyse again after an error or a cancelled analysis. */
  | { type: 'retry' }
  /** The first lines after an `init` are on screen (for the first-paint measurement). */
  | { type: 'painted'; line: number; lines: number }
  /** One scroll gesture ended: its animation frames and how many showed lines not read yet. */
  | { type: 'scrolled'; stats: ScrollStats };

export interface ScrollStats {
  /** Animation frames while scrolling, and the gaps between them (ms). */
  frames: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Frames longer than 50 ms. */
  longFrames: number;
  /** Frames that showed a line whose text had not arrived yet (drawn empty). */
  blankFrames: number;
  /** Lines moved. */
  lines: number;
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by both sides

export function traceViewHostMessage<T extends TraceViewHostMessage['type']>(
  type: T,
  body: Omit<Extract<TraceViewHostMessage, { type: T }>, 'type' | 'version'>,
): Extract<TraceViewHostMessage, { type: T }> {
  return { type, version: TRACE_VIEW_PROTOCOL_VERSION, ...body } as Extract<TraceViewHostMessage, { type: T }>;
}

const HOST_TYPES: ReadonlySet<string> = new Set<TraceViewHostMessage['type']>([
  'status',
  'init',
  'lines',
  'position',
  'reveal',
  'hover',
  'error',
]);
const WEBVIEW_TYPES: ReadonlySet<string> = new Set<TraceViewMessage['type']>([
  'ready',
  'requestLines',
  'hover',
  'debugToLine',
  'showInPanel',
  'retry',
  'painted',
  'scrolled',
]);

function hasType(x: unknown): x is { type: string } {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

/** Shallow guard for what arrives through postMessage. */
export function isTraceViewHostMessage(x: unknown): x is TraceViewHostMessage {
  return hasType(x) && HOST_TYPES.has(x.type) && (x as { version?: unknown }).version === TRACE_VIEW_PROTOCOL_VERSION;
}

export function isTraceViewMessage(x: unknown): x is TraceViewMessage {
  return hasType(x) && WEBVIEW_TYPES.has(x.type);
}

/** Hover links: Markdown link targets the webview handles itself (show a line, debug to it). */
export const viewLink = {
  reveal: (line: number): string => `#reveal-${line}`,
  debug: (line: number): string => `#debug-${line}`,
};

/** What a `viewLink` target asks for (undefined: not one of ours). */
export function parseViewLink(href: string): { kind: 'reveal' | 'debug'; line: number } | undefined {
  const m = /^#(reveal|debug)-(\d+)$/.exec(href);
  return m ? { kind: m[1] as 'reveal' | 'debug', line: Number(m[2]) } : undefined;
}
