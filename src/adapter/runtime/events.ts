// What the replay runtime reports, as a typed event map (not strings with `any[]` payloads): stops,
// output (warnings, logpoints), loading progress and the end of the trace. src/adapter/session.ts
// maps them to DAP events.

import type { Finding } from '../../core';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception' | 'goto' | 'pause';

export interface StopEvent {
  reason: StopReason;
  index: number;
  /** Short text for the UI (the finding's first line for exceptions). */
  description?: string;
  breakpointIds: number[];
  finding?: Finding;
}

export interface OutputEvent {
  text: string;
  /** Event (and its 1-based line) that produced it, for logpoints. */
  index?: number;
  line?: number;
  category: 'console' | 'stderr';
}

export interface ProgressEvent {
  phase: 'start' | 'update' | 'end';
  message: string;
  /** 0..100 */
  percent?: number;
}

/** What the runtime reports; the session subscribes with `on`. */
export interface RuntimeEvents {
  stopped: StopEvent;
  output: OutputEvent;
  progress: ProgressEvent;
  /** The replay ran past the last event. */
  end: { index: number };
}

export class Emitter<E> {
  private readonly listeners: { [K in keyof E]?: ((e: E[K]) => void)[] } = {};

  on<K extends keyof E>(kind: K, fn: (e: E[K]) => void): void {
    (this.listeners[kind] ??= []).push(fn);
  }

  protected emit<K extends keyof E>(kind: K, e: E[K]): void {
    for (const fn of this.listeners[kind] ?? []) fn(e);
  }
}
