/**
 * Sizes, dims and per-domain parameters of the synthetic benchmark. docs/synthetic-benchmark.md explains every
 * number here; keep the two in step.
 */
import type { Modality, SplitName } from '../dataset';

export const SYNTHETIC_DOMAINS = ['mosi', 'mosei', 'sims'] as const;
export type SyntheticDomain = (typeof SYNTHETIC_DOMAINS)[number];

/** The seed `synth:<domain>:<preset>` uses unless another is given. */
export const DEFAULT_SYNTHETIC_SEED = 0;

export interface SyntheticPresetSpec {
  /** Padded sequence length, the same for every modality. */
  seqLen: number;
  /** Feature dim per modality, shared by all domains (one feature-extraction config). */
  dims: Readonly<Record<Modality, number>>;
  /** The last `cueChannels[m]` channels of modality m carry the domain-specific (spurious) cue. */
  cueChannels: Readonly<Record<Modality, number>>;
  /** Per-sample nuisance factors (speaker, recording setup) mixed into each modality's content channels. */
  nuisanceFactors: number;
  sizes: Readonly<Record<SyntheticDomain, Readonly<Record<SplitName, number>>>>;
  /** Speaker-like groups (absent: every sample is its own group, the cue coefficients are the domain's). */
  groups?: SpeakerGroups;
}

/**
 * Speaker-like groups within every split of a domain. Each group has its own cue coefficients, drawn around the
 * domain's, so the cue→label relation varies across groups while the content→label relation is shared.
 */
export interface SpeakerGroups {
  /** Groups per split; every split's size must be a multiple of it (equal-sized groups, contiguous samples). */
  perSplit: number;
  /** Std of a group's cue coefficient around the domain's (per cue group A and B, centred within each split). */
  cueSpread: number;
}

/** The features of `tiny`, which benchmark v2 shares (same shapes and cue channels, other sizes and groups). */
const TINY_FEATURES = {
  seqLen: 8,
  dims: { t: 32, a: 12, v: 10 },
  cueChannels: { t: 4, a: 2, v: 2 },
  nuisanceFactors: 3,
} as const;

export const SYNTHETIC_PRESETS = {
  tiny: {
    ...TINY_FEATURES,
    sizes: {
      mosi: { train: 320, valid: 96, test: 256 },
      mosei: { train: 640, valid: 128, test: 320 },
      sims: { train: 320, valid: 96, test: 256 },
    },
  },
  paper: {
    seqLen: 50,
    dims: { t: 768, a: 74, v: 35 },
    cueChannels: { t: 8, a: 4, v: 4 },
    nuisanceFactors: 3,
    sizes: {
      mosi: { train: 1284, valid: 229, test: 686 },
      mosei: { train: 16326, valid: 1871, test: 4659 },
      sims: { train: 1368, valid: 456, test: 457 },
    },
  },
  // Benchmark v2 (issue #8): tiny's features, speaker-like groups with their own cues, test splits of 2000.
  v2: {
    ...TINY_FEATURES,
    sizes: {
      mosi: { train: 1024, valid: 384, test: 2000 },
      mosei: { train: 1280, valid: 384, test: 2000 },
      sims: { train: 1024, valid: 384, test: 2000 },
    },
    groups: { perSplit: 8, cueSpread: 1.5 },
  },
} as const satisfies Record<string, SyntheticPresetSpec>;
export type SyntheticPreset = keyof typeof SYNTHETIC_PRESETS;

/** One Gaussian component of a label prior, on the normalized scale [-1, 1]. */
export interface PriorComponent {
  weight: number;
  mean: number;
  sd: number;
}

export interface DomainStyle {
  labelRange: readonly [number, number];
  /** Labels are averages of annotator scores, so they sit on a grid of this step (native scale). */
  labelStep: number;
  /** Prior of the core sentiment s on the normalized scale. */
  sentimentPrior: readonly PriorComponent[];
  /** Annotator disagreement added to the normalized label before rounding. */
  annotationNoise: number;
  /** Utterance length as a fraction of seqLen: mean and spread. */
  length: { mean: number; sd: number };
  /** Multiplies every noise term of a modality (recording quality, language of the text encoder). */
  noise: Readonly<Record<Modality, number>>;
  /** Per-channel gain exp(N(0, gainSd²)) and shift N(0, shiftSd²) applied to every feature (domain style). */
  gainSd: number;
  shiftSd: number;
  /** Coefficient of s on the even (A) and odd (B) cue channels: the spurious cue, different in each domain. */
  cue: { readonly a: number; readonly b: number };
}

export const DOMAIN_STYLES: Readonly<Record<SyntheticDomain, DomainStyle>> = {
  // Balanced and bimodal: most clips are clearly positive or clearly negative.
  mosi: {
    labelRange: [-3, 3],
    labelStep: 0.2,
    sentimentPrior: [
      { weight: 0.46, mean: -0.55, sd: 0.1 },
      { weight: 0.04, mean: 0, sd: 0.05 },
      { weight: 0.5, mean: 0.55, sd: 0.1 },
    ],
    annotationNoise: 0.05,
    length: { mean: 0.55, sd: 0.22 },
    noise: { t: 1, a: 1, v: 1 },
    gainSd: 0.15,
    shiftSd: 0.2,
    cue: { a: 1, b: 0 },
  },
  // Skewed positive with a large near-neutral mass.
  mosei: {
    labelRange: [-3, 3],
    labelStep: 1 / 3,
    sentimentPrior: [
      { weight: 0.2, mean: -0.4, sd: 0.15 },
      { weight: 0.35, mean: 0.02, sd: 0.04 },
      { weight: 0.45, mean: 0.4, sd: 0.15 },
    ],
    annotationNoise: 0.06,
    length: { mean: 0.7, sd: 0.2 },
    noise: { t: 1.1, a: 1.25, v: 1.1 },
    gainSd: 0.2,
    shiftSd: 0.35,
    cue: { a: -1, b: 1 },
  },
  // Skewed negative; the text encoder is weaker on this (Chinese) domain.
  sims: {
    labelRange: [-1, 1],
    labelStep: 0.2,
    sentimentPrior: [
      { weight: 0.55, mean: -0.5, sd: 0.18 },
      { weight: 0.15, mean: 0, sd: 0.04 },
      { weight: 0.3, mean: 0.45, sd: 0.18 },
    ],
    annotationNoise: 0.08,
    length: { mean: 0.6, sd: 0.2 },
    noise: { t: 1.3, a: 1.1, v: 1.2 },
    gainSd: 0.25,
    shiftSd: 0.45,
    cue: { a: 0, b: -1 },
  },
};

/**
 * The domain-invariant mechanism (normalized label scale):
 *   u = s + ω·(ξ_a + ξ_v) + κ·b_a·b_v + annotation noise.
 * Loadings are vector norms over a modality's content channels, so the information a modality carries does not
 * depend on its dim.
 */
export const MECHANISM = {
  /** Norm of the loading of the shared sentiment s, per modality: text is the strongest. */
  sentimentLoading: { t: 4.5, a: 1.2, v: 1.3 },
  /** ω: weight of the vocal (ξ_a) and facial (ξ_v) sentiment, seen only by audio and vision. */
  nonverbalWeight: 0.2,
  /** Norm of the loading of ξ_a (audio) and ξ_v (vision). */
  nonverbalLoading: { a: 1.8, v: 1.8 },
  /** κ: weight of the cross-modal part c = κ·b_a·b_v. */
  interactionWeight: 0.15,
  /** Norm of the loading of the audio tone b_a (audio) and the facial expression b_v (vision). */
  interactionLoading: { a: 3, v: 3 },
  /** Norm of each nuisance factor's loading. */
  nuisanceLoading: 1.5,
  /** Per-sample, per-channel noise that does not average out over time. */
  idiosyncraticNoise: 1,
  /** Per-step noise, as the std it leaves after mean pooling a full-length sample. */
  stepNoise: 0.5,
  /** Loading of s on a cue channel (times the domain's cue coefficient), and that channel's own noise. */
  cueLoading: { t: 2, a: 1, v: 1 },
  cueNoise: 0.5,
  /** Floor of the temporal envelope: the share of the signal present outside the expressive burst. */
  envelopeFloor: 0.3,
} as const;
