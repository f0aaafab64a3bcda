export { EXECUTORS, loadSweepSpec, parseSweepSpec, splitPair, type DatasetPair, type ExecutorName, type SlurmResources, type StudySpec, type SweepSpec } from './spec';
export { expandSweep, gridCombinations, type PlannedRun, type StudyMembership } from './expand';
export {
  runSweep,
  type RunFailureSummary,
  type SweepCounts,
  type SweepEvent,
  type SweepOptions,
  type SweepEndStatus,
  type SweepStore,
  type SweepSummary,
} from './runner';
export type { Executor, ExecutorEvent, ExecutorOutcome, LaunchContext, LaunchItem } from './executors/executor';
export { createLocalExecutor, type LocalExecutorOptions } from './executors/local';
export { createSweepReporter, describeRun, type SweepReporter } from './progress';
export { collectHostInfo } from './host';
