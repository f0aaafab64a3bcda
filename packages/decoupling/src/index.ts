export { ClubEstimator, type ClubEstimatorConfig } from './club';
export {
  EntropyDecoupler,
  klBound,
  type BranchPosteriors,
  type DecouplingOutput,
  type DecouplingParts,
  type DisEstimator,
  type EntropyDecouplerConfig,
  type KlPrior,
} from './decoupler';
export type { GaussianParams } from './gaussian';
