// Kernel logs (dmesg, console captures, journalctl -k, fuzzer reports) read as lock traces: the
// reader finds every lockdep report, the report parser reads it, the events make it steppable,
// and the analysis gives findings like a trace's (docs/kernel-logs.md).

export { analyzeKernelLog } from './analysis';
export { acquisitionSite, baseFunction, contextOfStack, frameLabel, isLockingFunction, syscallOfStack } from './context';
export { findLockingReport, looksLikeKernelLog } from './detect';
export { fillKernelLogStore } from './events';
export { parseFrame, parseLockLine, splitClassName, usageStates } from './lines';
export type { ChainEntry, HeldList, KernelEventInfo, KernelLockRef, KernelLog, KernelReport, UsageTrace } from './model';
export { stripPrefix } from './prefix';
export type { KernelLine } from './prefix';
export { KernelLogReader, MAX_REPORTS, MAX_REPORT_LINES } from './reader';
export type { RawReport } from './reader';
export { MAX_FRAMES, parseReport } from './report';
export { reportTitle } from './titles';
export {
  frameFunction,
  isLockingFrame,
  kernelEventInfo,
  kernelEventLabel,
  kernelHeldLabel,
  kernelLogSteps,
  kernelStackOf,
  kernelTaskName,
  lastStepOfReport,
  nextStep,
  prevStep,
  reportEventRange,
  reportOfEvent,
} from './frontEnd';
