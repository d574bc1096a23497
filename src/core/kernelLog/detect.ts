// Content detection of kernel logs (never the file name): most lines carry a kernel-log prefix
// (dmesg timestamps or dates, journal prefixes, printk caller ids, kmsg records), a lockdep report
// title shows up, or the log starts the way a boot log does.

import { stripPrefix } from './prefix';
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
