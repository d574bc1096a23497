// What a kernel log puts in front of each kernel message: dmesg's `[ seconds]` or `-T` date,
// printk's caller id (`[ T123]`, `[ C1]`), journalctl/syslog's `Mon DD HH:MM:SS host kernel:`,
// /dev/kmsg records, `dmesg -r` levels, `dmesg -x` facility:level, and ANSI colours or stray CRs
// from terminals and serial consoles. Stripping them gives the text lockdep printed, plus a
// stream key: lines of one report share it, and fuzzer output interleaved with kernel messages
// (no prefix) or another CPU's messages (another caller id) does not.

export interface KernelLine {
  /** The message text as the kernel printed it (leading spaces kept: frames and `#N:` entries are indented). */
  text: string;
  /** Monotonic seconds from `[ 12.345678]` or a kmsg record, else NaN. */
  ts: number;
  /** Lines of one report share a stream: the prefix shape plus the printk caller id when there is one. */
  stream: string;
  /** True when a kernel-log prefix was recognised (a timestamp, a journal prefix, a caller id, a kmsg record). */
  prefixed: boolean;
}

// ESC [ … final byte (colours, cursor moves) and ESC ] … BEL/ST (titles); a lone ESC is dropped too.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\r\x00]/g;

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const DAYS = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
/** journalctl / syslog: `Dec 03 15:56:54 host kernel: `, `2026-12-03T15:56:54+0000 host kernel: `, `[ 11.47] host kernel: `. */
const JOURNAL = new RegExp(
  `^(?:(?:${MONTHS}) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?|\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?|\\[\\s*\\d+\\.\\d+\\]) \\S+ kernel: ?`,
);
/** /dev/kmsg: `4,1234,11479473,-;text` (and `-,caller=T123;` in newer kernels). */
const KMSG = /^(\d+),\d+,(\d+),([^;]*);/;
/** `dmesg -x`: `kern  :warn  : `. */
const FACILITY =
  /^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local\d)\s*:(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: ?/;
/** `dmesg -r` and console loglevel prefixes: `<4>`. */
const LEVEL = /^<\d{1,3}>/;
/** dmesg's monotonic `[   11.479473]`. */
const MONO = /^\[\s*(\d+\.\d+)\]/;
/** `dmesg -T`: `[Tue Dec  3 15:56:54 2026]`. */
const DATE = new RegExp(`^\\[(?:${DAYS}) (?:${MONTHS}) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\]`);
/** `dmesg --time-format iso`: `2026-12-03T15:56:54,123456+00:00 `. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d+[+-]\d\d:\d\d(?= )/;
/** printk caller id (CONFIG_PRINTK_CALLER): `[  T123]`, `[    C1]`. */
const CALLER = /^ ?\[\s*([TC]\d+)\]/;

/** Strips what a log put in front of a kernel message. */
export function stripPrefix(raw: string): KernelLine {
  let t = raw;
  if (t.indexOf('\x1b') >= 0) t = t.replace(ANSI, '');
  if (t.indexOf('\r') >= 0 || t.indexOf('\x00') >= 0) t = t.replace(CONTROL, '');
  let ts = NaN;
  let shape = '';
  let caller = '';
  let m: RegExpExecArray | null;
  if ((m = KMSG.exec(t))) {
    ts = Number(m[2]) / 1e6;
    caller = /caller=([TC]\d+)/.exec(m[3])?.[1] ?? '';
    return { text: t.slice(m[0].length), ts, stream: `kmsg|${caller}`, prefixed: true };
  }
  if ((m = JOURNAL.exec(t))) {
    shape = 'journal';
    const mono = MONO.exec(m[0]);
    if (mono) ts = Number(mono[1]);
    t = t.slice(m[0].length);
  }
  if ((m = FACILITY.exec(t))) {
    shape += 'x';
    t = t.slice(m[0].length);
  }
  if ((m = LEVEL.exec(t))) {
    shape += 'l';
    t = t.slice(m[0].length);
  }
  if ((m = MONO.exec(t))) {
    shape += 'm';
    ts = Number(m[1]);
    t = t.slice(m[0].length);
  } else if ((m = DATE.exec(t)) || (m = ISO.exec(t))) {
    shape += 'd';
    t = t.slice(m[0].length);
  }
  if ((m = CALLER.exec(t))) {
    caller = m[1];
    t = t.slice(m[0].length);
  }
  if (shape === '' && caller === '') return { text: t, ts, stream: '', prefixed: false };
  // the one space the printer puts between the prefix and the message
  if (t.charCodeAt(0) === 32) t = t.slice(1);
  return { text: t, ts, stream: `${shape}|${caller}`, prefixed: true };
}
