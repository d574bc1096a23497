// Shared by the panel tests: the shared sample and a generated trace, parsed and analyzed by the real core.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze, parseTrace } from '../../../src/core';
import { PanelModel } from '../../../src/panel/model';
import { generateTrace } from '../../bench/generate';

/** Repository root: the nearest directory above the running bundle (out/test/…) that has package.json. */
export const ROOT = ((): string => {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'samples'))) return d;
    if (path.dirname(d) === d) return process.cwd();
  }
})();
export const SAMPLE = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');

export function sampleModel(): PanelModel {
  const store = parseTrace(fs.readFileSync(SAMPLE), { file: SAMPLE });
  return new PanelModel(analyze(store), SAMPLE);
}

/** A 300k-event trace from the benchmark's generator (64 tasks, nested locks, one hidden inversion), parsed once per process. */
let generated: PanelModel | undefined;
export function generatedModel(): PanelModel {
  if (generated) return generated;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-gen-'));
  const file = path.join(dir, 'gen.trace');
  try {
    generateTrace(file, { events: 300_000, format: 'ftrace', seed: 7 });
    const store = parseTrace(fs.readFileSync(file), { file });
    generated = new PanelModel(analyze(store), file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return generated;
}

/** A kernel log: the hand-checked syzbot circular report (three classes, a workqueue edge). */
export const KERNEL_LOG = path.join(ROOT, 'test', 'fixtures', 'kernel-log', 'syzbot-5.10-circular3.txt');

export function kernelLogModel(): PanelModel {
  const store = parseTrace(fs.readFileSync(KERNEL_LOG), { file: KERNEL_LOG });
  return new PanelModel(analyze(store), KERNEL_LOG);
}

/** The lockseed abba capture of the QEMU lockdep kernel, as the integration workspace holds it. */
export const KERNEL_ABBA = path.join(ROOT, 'test', 'workspace', 'kernel', 'lockseed-abba.trace');

let abba: PanelModel | undefined;
export function kernelAbbaModel(): PanelModel {
  abba ??= new PanelModel(analyze(parseTrace(fs.readFileSync(KERNEL_ABBA), { file: KERNEL_ABBA })), KERNEL_ABBA);
  return abba;
}
