// How the integration suites read a locktrace diagnostic's code: its value is the finding's cycle id
// (LT-xxxx) when it has one, else its kind; its target is the README's explanation of the kind.
import * as vscode from 'vscode';

/** The finding kind of a diagnostic (`inversion`, `held-across-syscall`, `parse-warning`, …). */
export function kindOf(d: vscode.Diagnostic): string {
  if (typeof d.code === 'object') return d.code.target.fragment || String(d.code.value);
  return String(d.code);
}

/** The cycle id a diagnostic's code carries, if any. */
export function cycleIdOf(d: vscode.Diagnostic): string | undefined {
  const v = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
  return /^LT-[0-9a-f]+$/.test(v) ? v : undefined;
}
