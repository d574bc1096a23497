// Public surface of the pure core: parse a trace, analyze it, replay it, report it.
// Everything here runs in the CLI, the debug adapter, the extension host, workers and tests.

export * from './types';
export { EventStore, StringTable, kindLabel } from './store';
export type { CallSite } from './store';
export { TraceParser, parseTrace } from './parse';
export type { ParseOptions } from './parse';
export { detectFormat } from './parse/textFormats';
export { normalizeAddress } from './parse/interpret';
export type { Arch } from './parse/interpret';
export { AnalysisCancelled, analysisProbe, analyze, analyzeAsync, describeEdge } from './analysis/analyzer';
export type { Analysis, AnalyzeOptions, EdgeAttributes, LockGraph, NodeAttributes } from './analysis/analyzer';
export { Replay } from './analysis/replay';
export { formatDuration } from './analysis/contention';
export type { ContentionGroup, ContentionSummary, ContentionWait } from './analysis/contention';
export { nestedNames, parseProcLockdep, sharedNames, splitLockdepName } from './analysis/kernelClasses';
export type { LockdepClass, ProcLockdep } from './analysis/kernelClasses';
export type { HeldLockView, ReplayView, SyscallView, TaskView } from './analysis/replay';
export { cycleFingerprint, cycleId, matchesCycleId, parseCycleId } from './analysis/cycles';
export type { ComponentCycle, InstanceGraphEdge, LockComponent } from './analysis/lockGraph';
export { diffAnalyses, unionCycles } from './analysis/diff';
export type { DiffCycle, DiffEdge, EdgeWhere, GraphDiff, UnionCycle, UnionResult } from './analysis/diff';
export { HierarchyMatcher, hierarchyToJson, orderViolations, parseHierarchy, proposeHierarchy } from './analysis/hierarchy';
export type { Hierarchy, ProposedHierarchy } from './analysis/hierarchy';
export { describeWork } from './analysis/workqueue';
export { componentsOf, describeUsage, formatText, toJsonReport, toSarif, usageMeaning } from './report';
export type { JsonReport } from './report';
