/**
 * The contract between `midg train` and whoever runs it (the orchestrator's workers, scripts, notebooks).
 * `midg train --json` prints one TrainResult; with `--events` it first prints one EpochEvent line per epoch.
 */

/** A config value settable with `--set key=value` or swept by the orchestrator. */
export type ConfigValue = number | string | boolean;
export type ConfigRecord = Record<string, ConfigValue>;

/** Everything that determines one training run (its hash is the run key). */
export interface RunSpec {
  model: string;
  /** Dataset names as accepted by resolveDataset, e.g. `synth:mosi:tiny`, `mmsa:/data/mosi.pkl`, `mosi`. */
  source: string;
  target: string;
  seed: number;
  /** Tensor backend (`wasm`, `cpu`, ...): part of the key, since kernels differ in their last bits. */
  backend: string;
  /** Overrides merged over model defaults and per-dataset configs (e.g. alpha, beta, experts, ablation, modalities). */
  overrides: ConfigRecord;
}

/** Metric name → value, MMSA names (Has0_acc_2, Non0_F1_score, MAE, Corr, ...). */
export type MetricRecord = Record<string, number>;

/** A split's predictions on its native label scale and its labels, sample by sample in the split's order. */
export interface SplitPredictions {
  predictions: number[];
  labels: number[];
}

export interface EpochEvent {
  event: 'epoch';
  epoch: number;
  /** The configured upper bound on epochs (early stopping may end sooner). */
  maxEpochs: number;
  /** Mean training losses over the epoch by part (total, in, out, dis, reg, ...). */
  losses: Record<string, number>;
  /** What the model's onEpochEnd hook reported (e.g. discriminator accuracy), when it has one. */
  diagnostics?: Record<string, number>;
  /** The base learning rate at the end of the epoch (after the schedule). */
  learningRate: number;
  /** Source-validation metrics after this epoch. */
  valid: MetricRecord;
  samplesPerSecond: number;
}

export interface TrainResult {
  event: 'result';
  spec: RunSpec;
  /** The run key (a hash of the spec's identity and the resolved config). */
  key: string;
  /** The fully resolved config (defaults + dataset overrides + spec overrides). */
  config: ConfigRecord;
  /** Target test metrics on the target's native label scale. */
  test: MetricRecord;
  /** Source validation metrics of the selected (best) epoch. */
  valid: MetricRecord;
  bestEpoch: number;
  epochsRun: number;
  durationMs: number;
  backend: string;
  /** What test-time adaptation reported, and the target metrics before it (adapting models only). */
  adaptation?: { inputs: string; report: Record<string, number>; sourceOnlyTest: MetricRecord };
  /** Mean router weight per expert over the target test set (MoIE models only). */
  expertUsage?: number[];
  /** Path of the saved checkpoint directory, when one was written. */
  checkpoint?: string;
  /** The target test split's predictions behind `test` (paired per-sample tests such as McNemar's compare them). */
  testPredictions?: SplitPredictions;
  /** The training process's peak resident set size (`midg train` adds it; trainRun does not know its process). */
  peakRssBytes?: number;
  /** The same in MiB (peakRssBytes / 2^20), for people reading `midg train --json`. */
  peakRssMb?: number;
}
