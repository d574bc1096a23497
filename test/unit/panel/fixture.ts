// Shared by the panel tests: the shared sample, parsed and analyzed by the real core.
import * as fs from 'fs';
import * as path from 'path';
import { analyze, parseTrace } from '../../../src/core';
import { PanelModel } from '../../../src/panel/model';

/** Repository root (tests run from out/test/unit/panel). */
export const ROOT = path.resolve(__dirname, '../../../..');
export const SAMPLE = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');

export function sampleModel(): PanelModel {
  const store = parseTrace(fs.readFileSync(SAMPLE), { file: SAMPLE });
  return new PanelModel(analyze(store), SAMPLE);
}
