// The standalone debug adapter: `node out/debugAdapter.js` speaks DAP on stdin/stdout, so any
// DAP client (and the protocol tests) can replay a lock trace. Nothing may write to stdout here
// except the protocol.
// May import src/adapter and @vscode/debugadapter.

import { DebugSession } from '@vscode/debugadapter';
import { LocktraceSession } from './session';

DebugSession.run(LocktraceSession);
