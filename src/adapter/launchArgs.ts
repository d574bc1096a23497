// Launch arguments of the `locktrace` debug type: the TypeScript interface, the schema that
// package.json's `contributes.debuggers[0].configurationAttributes.launch` must match (a unit test
// compares them), and validation with messages meant for users.

import * as fs from 'fs';
import * as path from 'path';
import type { FormatOption, ReadLockRule } from '../core';

export interface LaunchArguments {
  /** Trace file to replay. */
  program: string;
  /** Stop at the first event instead of running to the first breakpoint or finding. */
  stopOnEntry?: boolean;
  /** Only stop on events of this task: a pid, a comm, or `comm-pid`. */
  task?: string | number;
  format?: FormatOption;
  readLocks?: ReadLockRule;
}

/** Subset of JSON schema used by configurationAttributes. */
export interface AttributeSchema {
  type: string | string[];
  description: string;
  default?: unknown;
  enum?: string[];
}

export const FORMATS: FormatOption[] = ['auto', 'ftrace', 'trace-cmd', 'perf', 'jsonl', 'kernel-log'];
export const READ_LOCK_RULES: ReadLockRule[] = ['non-recursive', 'recursive'];

/**
 * One entry per LaunchArguments key (the `Record<keyof …>` type makes a missing or extra key a
 * compile error); package.json must say the same (test/unit/adapter/launchArgs.test.ts).
 */
export const LAUNCH_ATTRIBUTES: Record<keyof LaunchArguments, AttributeSchema> = {
  program: {
    type: 'string',
    description: 'Trace file to replay (ftrace text, trace-cmd report, perf script or locktrace JSONL).',
    default: '${file}',
  },
  stopOnEntry: {
    type: 'boolean',
    description: 'Stop at the first event instead of running to the first breakpoint or finding.',
    default: true,
  },
  task: {
    type: ['string', 'number'],
    description: 'Only stop on events of this task: a pid, a comm, or comm-pid (e.g. "dio-reader-2102").',
  },
  format: {
    type: 'string',
    description: 'Trace format; "auto" detects it from the first lines.',
    enum: FORMATS,
    default: 'auto',
  },
  readLocks: {
    type: 'string',
    description: 'How read acquisitions take part in lock ordering: "non-recursive" (readers are treated like writers) or "recursive".',
    enum: READ_LOCK_RULES,
    default: 'non-recursive',
  },
};

export const REQUIRED_LAUNCH_ATTRIBUTES: (keyof LaunchArguments)[] = ['program'];

/** Checks raw launch arguments; returns them typed with `program` made absolute, or an error message. */
export function validateLaunchArguments(
  input: Record<string, unknown> | undefined | null,
  cwd = process.cwd(),
): { args: LaunchArguments } | { error: string } {
  const raw: Record<string, unknown> = input && typeof input === 'object' ? input : {};
  const program = raw.program;
  if (typeof program !== 'string' || program.trim() === '') {
    return { error: 'locktrace: the launch configuration needs "program": the trace file to replay (for example "${file}")' };
  }
  const abs = path.resolve(cwd, program);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return { error: `locktrace: cannot open trace file ${abs}: no such file` };
  }
  if (st.isDirectory()) return { error: `locktrace: ${abs} is a directory, not a trace file` };
  if (raw.stopOnEntry !== undefined && typeof raw.stopOnEntry !== 'boolean') {
    return { error: `locktrace: "stopOnEntry" must be true or false, got ${JSON.stringify(raw.stopOnEntry)}` };
  }
  if (raw.task !== undefined && typeof raw.task !== 'string' && typeof raw.task !== 'number') {
    return { error: `locktrace: "task" must be a pid, a comm or comm-pid, got ${JSON.stringify(raw.task)}` };
  }
  if (raw.format !== undefined && !(FORMATS as unknown[]).includes(raw.format)) {
    return { error: `locktrace: "format" must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(raw.format)}` };
  }
  if (raw.readLocks !== undefined && !(READ_LOCK_RULES as unknown[]).includes(raw.readLocks)) {
    return { error: `locktrace: "readLocks" must be one of ${READ_LOCK_RULES.join(', ')}, got ${JSON.stringify(raw.readLocks)}` };
  }
  return {
    args: {
      program: abs,
      stopOnEntry: raw.stopOnEntry,
      task: raw.task,
      format: raw.format as FormatOption | undefined,
      readLocks: raw.readLocks as ReadLockRule | undefined,
    },
  };
}
