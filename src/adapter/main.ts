// The standalone debug adapter: `node out/debugAdapter.js` speaks DAP on stdin/stdout, so any
// DAP client (and the protocol tests) can replay a lock trace. Nothing may write to stdout here
// except the protocol. Traces are loaded from disk through src/load (big ones in the analysis
// worker, out/analysisWorker.js beside this bundle).

import { DebugSession } from '@vscode/debugadapter';
import { nodeTraceAccess } from './runtime';
import { LocktraceSession } from './session';

// A bug in one request must not take the whole session down: report it on stderr and go on.
process.on('uncaughtException', (e) => console.error(`locktrace adapter: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => console.error(`locktrace adapter: ${e instanceof Error ? e.stack : String(e)}`));

/** runDebugAdapter constructs the session itself (with obsolete boolean arguments): say which TraceAccess here. */
class StandaloneSession extends LocktraceSession {
  constructor() {
    super(nodeTraceAccess);
  }
}

DebugSession.run(StandaloneSession);
