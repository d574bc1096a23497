// Public surface of the source matcher: scan C/C++ text for lock sites and map them to a trace's
// lock classes. Pure: no `vscode`, no Node modules, no file system (callers pass text).
export { lex, LineMap } from './lexer';
export type { Token, SourcePos } from './lexer';
export { LOCK_FUNCTIONS } from './locks';
export type { SiteKind, LockFunction } from './locks';
export { scanSource, parseLockExpr, SourceScan } from './scan';
export type { LockSite, LockExpr, Segment, FunctionInfo } from './scan';
export { ClassIndex, NO_MATCH, parseClassName, basename } from './match';
export type { MatchHow, SiteMatch, RecordedSite } from './match';
