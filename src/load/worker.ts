// Worker thread that parses and analyses one trace off its caller's thread (the extension host, the
// standalone adapter): bundled to out/analysisWorker.js and started by loadAnalysis for big traces.
// Receives an AnalyzeRequest, posts progress, then the packed analysis (typed arrays transferred)
// or an error.

import { parentPort } from 'worker_threads';
import { TraceError } from '../core';
import { readAndAnalyse } from './analyse';
import { AnalyzeRequest, WorkerMessage, postedError } from './messages';
import { packAnalysis } from './transfer';

function post(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

async function run(req: AnalyzeRequest): Promise<void> {
  try {
    const analysis = await readAndAnalyse(req, { onProgress: (p) => post(p) });
    const { packed, transfer } = packAnalysis(analysis);
    post({ type: 'done', analysis: packed }, transfer);
  } catch (e) {
    if (e instanceof TraceError)
      post({ type: 'error', message: e.message, traceError: { file: e.file, line: e.line, expected: e.expected, got: e.got } });
    else post({ type: 'error', ...postedError(e) });
  }
}

parentPort?.once('message', (req: AnalyzeRequest) => void run(req));
