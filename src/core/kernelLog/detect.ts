// Content detection of kernel logs (never the file name): most lines carry a kernel-log prefix
// (dmesg timestamps or dates, journal prefixes, printk caller ids, kmsg records), a lockdep report
// title shows up, or the log starts the way a boot log does.

import { stripPrefix } from './prefix';
import { FindingKind } from '../types';
import { reportTitle } from './titles';

const BOOT_LINE =
  /^(?:Linux version \d|Command line: |Booting Linux on physical CPU|Kernel command line: |BIOS-provided physical RAM map|Initializing cgroup subsys)/;

/** True when the first lines of an input look like a kernel log. */
export function looksLikeKernelLog(firstLines: readonly string[]): boolean {
  let content = 0;
  let prefixed = 0;
  for (const raw of firstLines) {
    const k = stripPrefix(raw);
    const t = k.text.trim();
    if (t === '' && !k.prefixed) continue;
    content++;
    if (k.prefixed) prefixed++;
    if (reportTitle(t) || BOOT_LINE.test(t)) return true;
  }
  return content > 0 && prefixed * 2 >= content;
}

/** Where a title may start on a line: every report title has one of these (titles.ts). */
const TITLE_HINT = /(?:WARNING|BUG|INFO): |\[ (?:INFO|BUG|WARNING): |DEBUG_LOCKS_WARN_ON\(/g;

/**
 * The first locking report of a text (a lockdep report or another locking report, titles.ts), with
 * its 1-based line, or null. Looks at lines holding a title's first word only, so a big log that
 * has none costs one regex scan. What tells a kernel log worth opening as a lock trace from any
 * other log: a dmesg without a report is not one.
 */
export function findLockingReport(text: string): { line: number; kind: FindingKind; title: string } | null {
  TITLE_HINT.lastIndex = 0;
  for (let m = TITLE_HINT.exec(text); m; m = TITLE_HINT.exec(text)) {
    const start = text.lastIndexOf('\n', m.index) + 1;
    let end = text.indexOf('\n', m.index);
    if (end < 0) end = text.length;
    const t = reportTitle(stripPrefix(text.slice(start, end)).text.trim());
    if (t) {
      let line = 1;
      for (let k = text.indexOf('\n'); k >= 0 && k < start; k = text.indexOf('\n', k + 1)) line++;
      return { line, kind: t.kind, title: t.title };
    }
    TITLE_HINT.lastIndex = end;
  }
  return null;
}
