// `locktrace` command line: `check` analyses traces and prints findings (text, JSON, SARIF);
// `diff` and `hierarchy` look at the lock graph (graph.ts); `record` captures a new trace.
// Thin: argument parsing and output around the loading layer.

import * as fs from 'fs';
import {
  Analysis,
  DEFAULT_FINDING_KINDS,
  FINDING_KINDS,
  FindingKind,
  FormatOption,
  ReadLockRule,
  Severity,
  TraceError,
  findingSeverity,
  formatText,
  toJsonReport,
  toSarif,
} from '../core';
import { unionCycles } from '../core/analysis/diff';
import { Suppressions, findSuppressionsFile, loadAnalysis, readSuppressions } from '../load';
import { runRecord } from '../record/cli';
import { GraphUsageError, runDiff, runHierarchy } from './graph';
import { formatUnion } from './union';

const USAGE = `usage:
  locktrace check FILE... [--format auto|ftrace|trace-cmd|perf|jsonl|kernel-log] [--json | --sarif]
                  [--fail-on KIND...] [--read-locks non-recursive|recursive] [--sort]
                  [--arch x86_64|arm64] [--no-progress]
                  [--suppressions FILE | --no-suppressions] [--lockdep FILE | --no-lockdep] [--contention]
                  [--guarded error|warning|information|hint|off] [--union]
  locktrace diff OLD NEW [--json] [--format …] [--read-locks …]
  locktrace hierarchy FILE [--write] [--suppressions FILE] [--json]
  locktrace record [--kernel | --contention | --auto] [-o OUT] [--pid PID | -- CMD ARGS...]
  locktrace --version | --help

Finding kinds: ${FINDING_KINDS.join(', ')}.
--contention adds findings of kind contention: where syscalls waited for kernel locks, and how long
(they fail the check only with --fail-on contention).
Exit status: 0 no findings, 1 findings (of the --fail-on kinds), 2 bad usage or unreadable input;
diff: 1 when NEW has cycles OLD has not.`;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

class UsageError extends Error {}

interface CheckArgs {
  files: string[];
  format: FormatOption;
  output: 'text' | 'json' | 'sarif';
  failOn: FindingKind[];
  readLocks: ReadLockRule;
  sort: boolean;
  arch: 'x86_64' | 'arm64';
  progress: boolean;
  /** undefined: look for .locktrace.json next to each trace, then in the current directory; null: none. */
  suppressions: string | null | undefined;
  /** The traced kernel's /proc/lockdep; undefined: TRACE.lockdep when there is one; null: none. */
  lockdep: string | null | undefined;
  /** Severity of inversions a gate lock makes safe (error and warning fail the run; off hides them). */
  guarded: Severity | 'off';
  /** Also report the cycles of the union of the traces' graphs that no single trace has whole. */
  union: boolean;
  /** Report `contention` findings too. */
  contention: boolean;
}

const SEVERITIES = ['error', 'warning', 'information', 'hint', 'off'];

function parseCheckArgs(argv: string[]): CheckArgs {
  const a: CheckArgs = {
    files: [],
    format: 'auto',
    output: 'text',
    failOn: [...DEFAULT_FINDING_KINDS],
    readLocks: 'non-recursive',
    sort: false,
    arch: 'x86_64',
    progress: true,
    suppressions: undefined,
    lockdep: undefined,
    guarded: 'information',
    union: false,
    contention: false,
  };
  let failOnGiven = false;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    const value = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--format': {
        const v = value();
        if (!['auto', 'ftrace', 'trace-cmd', 'perf', 'jsonl', 'kernel-log'].includes(v))
          throw new UsageError(`--format: expected auto, ftrace, trace-cmd, perf, jsonl or kernel-log, got ${JSON.stringify(v)}`);
        a.format = v as FormatOption;
        break;
      }
      case '--json':
        a.output = 'json';
        break;
      case '--sarif':
        a.output = 'sarif';
        break;
      case '--fail-on': {
        if (!failOnGiven) a.failOn = [];
        failOnGiven = true;
        // one or more kinds, comma or space separated
        let took = 0;
        while (k + 1 < argv.length && !argv[k + 1].startsWith('-')) {
          for (const kind of argv[++k].split(',').filter(Boolean)) {
            if (!(FINDING_KINDS as readonly string[]).includes(kind))
              throw new UsageError(`--fail-on: unknown finding kind ${JSON.stringify(kind)} (expected ${FINDING_KINDS.join(', ')})`);
            a.failOn.push(kind as FindingKind);
          }
          took++;
          // stop after kinds when the next argument is an existing file
          if (k + 1 < argv.length && fs.existsSync(argv[k + 1])) break;
        }
        if (took === 0) throw new UsageError('--fail-on needs at least one finding kind');
        break;
      }
      case '--read-locks': {
        const v = value();
        if (v !== 'non-recursive' && v !== 'recursive')
          throw new UsageError(`--read-locks: expected non-recursive or recursive, got ${JSON.stringify(v)}`);
        a.readLocks = v;
        break;
      }
      case '--sort':
        a.sort = true;
        break;
      case '--arch': {
        const v = value();
        if (v !== 'x86_64' && v !== 'arm64') throw new UsageError(`--arch: expected x86_64 or arm64, got ${JSON.stringify(v)}`);
        a.arch = v;
        break;
      }
      case '--no-progress':
        a.progress = false;
        break;
      case '--suppressions':
        a.suppressions = value();
        break;
      case '--no-suppressions':
        a.suppressions = null;
        break;
      case '--lockdep':
        a.lockdep = value();
        if (!fs.existsSync(a.lockdep)) throw new UsageError(`--lockdep: no such file ${a.lockdep}`);
        break;
      case '--no-lockdep':
        a.lockdep = null;
        break;
      case '--guarded': {
        const v = value();
        if (!SEVERITIES.includes(v)) throw new UsageError(`--guarded: expected ${SEVERITIES.join(', ')}, got ${JSON.stringify(v)}`);
        a.guarded = v as Severity | 'off';
        break;
      }
      case '--union':
        a.union = true;
        break;
      case '--contention':
        a.contention = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        a.files.push(arg);
    }
  }
  if (a.files.length === 0) throw new UsageError('check needs at least one trace FILE');
  if (a.union && a.files.length < 2) throw new UsageError('--union needs at least two trace files');
  if (a.union && a.output === 'sarif') throw new UsageError('--union: use --json or text output');
  return a;
}

async function check(argv: string[], io: Io): Promise<number> {
  const args = parseCheckArgs(argv);
  const reports: object[] = [];
  const texts: string[] = [];
  let failing = 0;
  const analyses: { file: string; analysis: Analysis }[] = [];
  // --fail-on decides, except that a guarded inversion fails only at error or warning severity
  const fails = (f: { kind: FindingKind; guardedBy?: string[] }) =>
    args.failOn.includes(f.kind) &&
    (f.kind !== 'inversion' || !f.guardedBy?.length || args.guarded === 'error' || args.guarded === 'warning');
  for (const file of args.files) {
    const showProgress = args.progress && io.stderr.isTTY === true;
    const sup = loadSuppressions(args.suppressions, file, io);
    // in-process (no worker): the CLI's thread has nothing else to do while a trace loads
    const analysis = await loadAnalysis(
      file,
      {
        format: args.format,
        sort: args.sort,
        arch: args.arch,
        readLocks: args.readLocks,
        suppressions: sup,
        lockdep: args.lockdep,
        kinds: args.contention ? FINDING_KINDS : DEFAULT_FINDING_KINDS,
        workerThreshold: Infinity,
      },
      {
        onProgress: showProgress
          ? (p) =>
              io.stderr.write(
                `\r${file}: ${p.message} ${Math.round(p.phase === 'reading' ? 2 * p.percent : 2 * (p.percent - 50))}%${p.phase === 'reading' ? '' : '   '}`,
              )
          : undefined,
      },
    );
    if (showProgress) io.stderr.write('\r\x1b[K');
    const store = analysis.store;
    if (args.union) analyses.push({ file, analysis });
    const { suppressed } = analysis;
    const kept = args.guarded === 'off' ? analysis.findings.filter((f) => findingSeverity(f, 'off') !== 'off') : analysis.findings;
    failing += kept.filter(fails).length;
    if (args.output === 'json') {
      const report: object = toJsonReport(analysis, file, kept);
      // only when a rule matched, so reports without suppressions keep their documented shape
      if (suppressed.length && sup) {
        Object.assign(report, {
          suppressed: suppressed.map((x) => ({
            kind: x.finding.kind,
            line: x.finding.line,
            locks: x.finding.locks,
            reason: x.rule.reason ?? null,
            file: sup.file,
          })),
        });
      }
      reports.push(report);
    } else if (args.output === 'sarif') reports.push(toSarif(analysis, file, kept, args.guarded === 'off' ? undefined : args.guarded));
    else {
      for (const w of store.warnings) io.stderr.write(`${file}:${w.line}: warning: ${w.message}\n`);
      if (store.warningCount > store.warnings.length)
        io.stderr.write(`${file}: ${store.warningCount - store.warnings.length} more warnings not shown\n`);
      texts.push(formatText(analysis, file, kept));
      const supText = suppressed.length && sup ? `, ${suppressed.length} suppressed by ${sup.file}` : '';
      const reports = store.kernelLog?.reports.length;
      texts.push(
        reports !== undefined
          ? `${file}: kernel log, ${reports} locking report(s), ${store.classes.size} lock classes, ${kept.length} finding(s)${supText}\n`
          : `${file}: ${store.length} events, ${store.tasks.length} tasks, ${store.classes.size} lock classes, ${kept.length} finding(s)${supText}\n`,
      );
    }
  }
  const union = args.union ? unionCycles(analyses) : undefined;
  if (union && args.failOn.includes('inversion')) failing += union.cycles.length;
  if (union && args.output === 'json') io.stdout.write(`${JSON.stringify({ version: 1, reports, union })}\n`);
  else if (args.output === 'json') io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : { version: 1, reports })}\n`);
  else if (args.output === 'sarif') {
    // one SARIF log; several files become several runs.
    const runs = reports.flatMap((r) => (r as { runs: object[] }).runs);
    io.stdout.write(`${JSON.stringify({ ...reports[0], runs }, null, 2)}\n`);
  } else io.stdout.write(texts.join('\n') + (union ? `\n${formatUnion(union)}` : ''));
  return failing > 0 ? 1 : 0;
}

/**
 * The suppression rules for a trace: the file given with --suppressions, else `.locktrace.json`
 * next to the trace, else in the current directory (none with --no-suppressions).
 */
function loadSuppressions(option: string | null | undefined, trace: string, io: Io): Suppressions | undefined {
  if (option === null) return undefined;
  let file: string | undefined;
  if (option !== undefined) {
    if (!fs.existsSync(option)) throw new UsageError(`--suppressions: no such file ${option}`);
    file = option;
  } else file = findSuppressionsFile(trace);
  if (!file) return undefined;
  const sup = readSuppressions(file, trace);
  for (const e of sup.errors) io.stderr.write(`${file}: warning: ${e}\n`);
  return sup;
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'check':
        return await check(rest, io);
      case 'record':
        return await runRecord(rest, io);
      case 'diff':
        return await runDiff(rest, io);
      case 'hierarchy':
        return await runHierarchy(rest, io);
      case '--version':
      case '-V':
        io.stdout.write(`locktrace ${VERSION}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof GraphUsageError) {
      io.stderr.write(`locktrace: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof TraceError) {
      io.stderr.write(`locktrace: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.path) {
      io.stderr.write(
        `locktrace: ${err.path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory, expected a trace file' : err.message}\n`,
      );
      return 2;
    }
    throw e;
  }
}

declare const LOCKTRACE_VERSION: string | undefined;
const VERSION = typeof LOCKTRACE_VERSION === 'string' ? LOCKTRACE_VERSION : '0.1.0';
