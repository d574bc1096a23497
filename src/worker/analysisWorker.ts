// Worker thread that parses and analyses one trace for the extension host (big files: the host's
// thread stays free for the editor). Receives an AnalyzeRequest, posts progress, then the packed
// analysis (typed arrays transferred) or an error.
// May import src/core, src/editor/transfer, src/cli/readFile, src/protocol, Node built-ins; never `vscode`.

import { parentPort } from 'worker_threads';
import { TraceError, analyzeAsync, parseTrace } from '../core';
import { readTraceFile } from '../cli/readFile';
import { packAnalysis } from '../editor/transfer';
import { AnalyzeRequest, WorkerMessage } from '../protocol/analysisWorker';

function post(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

async function run(req: AnalyzeRequest): Promise<void> {
  try {
    const store =
      req.path !== undefined
        ? await readTraceFile(req.path, {
            format: req.format,
            onProgress: (b, size) => post({ type: 'progress', message: 'reading', percent: (50 * b) / Math.max(size, 1) }),
          })
        : parseTrace(req.text ?? '', { file: req.file, format: req.format });
    store.file = req.file;
    const n = Math.max(store.length, 1);
    const analysis = await analyzeAsync(store, {
      readLocks: req.readLocks,
      onProgress: (done) => post({ type: 'progress', message: 'analysing', percent: 50 + (50 * done) / n }),
    });
    const { packed, transfer } = packAnalysis(analysis);
    post({ type: 'done', analysis: packed }, transfer);
  } catch (e) {
    if (e instanceof TraceError) post({ type: 'error', message: e.message, traceError: { line: e.line, expected: e.expected } });
    else post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

parentPort?.once('message', (req: AnalyzeRequest) => void run(req));
