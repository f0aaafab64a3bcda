export {
  ResultsStore,
  configValueMatches,
  type AttemptFailure,
  type ArtifactRecord,
  type EpochLogRecord,
  type RunDetail,
  type RunFailure,
  type RunFilter,
  type RunHostInfo,
  type RunRecord,
  type RunStatus,
  type SweepMember,
  type SweepRecord,
  type SweepStatus,
} from './store';
export { runReadOnlySql, type SqlResult } from './sql';
