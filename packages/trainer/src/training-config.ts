import { DIM_ALIGNMENTS, parseModalities } from '@midg/features';
import { choiceKey, numberKey, stringKey, type ConfigOf } from './schema';

export const LR_SCHEDULES = ['none', 'plateau', 'warmup-cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

function isModalitySet(text: string): boolean {
  try {
    parseModalities(text);
    return true;
  } catch {
    return false;
  }
}

/** The keys the trainer reads (defaults in configs/training.yaml); every model's config includes them. */
export const TRAINING_SCHEMA = {
  epochs: numberKey({ min: 1, integer: true }),
  batchSize: numberKey({ min: 1, integer: true }),
  learningRate: numberKey({ min: 0, minExclusive: true }),
  weightDecay: numberKey({ min: 0, max: 1 }),
  gradClipNorm: numberKey({ min: 0 }),
  gradClipValue: numberKey({ min: 0 }),
  lrSchedule: choiceKey(LR_SCHEDULES),
  plateauFactor: numberKey({ min: 0, max: 1, minExclusive: true }),
  plateauPatience: numberKey({ min: 1, integer: true }),
  warmupEpochs: numberKey({ min: 0 }),
  patience: numberKey({ min: 1, integer: true }),
  modalities: stringKey('a non-empty subset of t, a, v such as t, ta or tav', isModalitySet, { variant: true }),
  maxTrainSamples: numberKey({ min: 0, integer: true }),
  dimAlignment: choiceKey(DIM_ALIGNMENTS),
} as const;

export type TrainingConfig = ConfigOf<typeof TRAINING_SCHEMA>;
