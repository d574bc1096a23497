// The standalone debug adapter: `node out/debugAdapter.js` speaks DAP on stdin/stdout, so any
// DAP client (and the protocol tests) can replay a lock trace. Nothing may write to stdout here
// except the protocol.

import { DebugSession } from '@vscode/debugadapter';
import { LocktraceSession } from './session';

// A bug in one request must not take the whole session down: report it on stderr and go on.
process.on('uncaughtException', (e) => console.error(`locktrace adapter: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => console.error(`locktrace adapter: ${e instanceof Error ? e.stack : String(e)}`));

DebugSession.run(LocktraceSession);
