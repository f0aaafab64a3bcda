import type { Modality } from '@midg/features';
import { booleanKey, choiceKey, defineModel, numberKey } from '@midg/trainer';
import { SelfMmModel, type SelfMmConfig } from './model';

export { SelfMmModel, type SelfMmConfig } from './model';
export { SampleMemory, type LabelUpdateOptions, type Task } from './memory';
export { classCentres, relativeDistance, unimodalWeights, updatedUnimodalLabels, type ClassCentres } from './label-generation';

const width = () => numberKey({ min: 1, integer: true });
const rate = () => numberKey({ min: 0, max: 0.95 });
const positive = () => numberKey({ min: 0, minExclusive: true });
const decay = () => numberKey({ min: 0, max: 1 });

/** MMSA's Self-MM keys (config_regression.json "self_mm"), camel-cased; MMSA's "other" group is the trainer's learningRate/weightDecay. */
export const SELF_MM_SCHEMA = {
  textOut: width(),
  audioOut: width(),
  videoOut: width(),
  textEncoderDropout: rate(),
  audioEncoderDropout: rate(),
  videoEncoderDropout: rate(),
  postFusionDim: width(),
  postTextDim: width(),
  postAudioDim: width(),
  postVideoDim: width(),
  postFusionDropout: rate(),
  postTextDropout: rate(),
  postAudioDropout: rate(),
  postVideoDropout: rate(),
  learningRateText: positive(),
  learningRateAudio: positive(),
  learningRateVideo: positive(),
  weightDecayText: decay(),
  weightDecayAudio: decay(),
  weightDecayVideo: decay(),
  excludeZero: booleanKey(),
  centreLabels: choiceKey(['own', 'fusion'] as const),
} as const;

type Flat = { [K in keyof typeof SELF_MM_SCHEMA]: K extends 'excludeZero' ? boolean : K extends 'centreLabels' ? 'own' | 'fusion' : number };

/** The flat keys regrouped per modality / task. */
export function selfMmConfigOf(c: Flat): SelfMmConfig {
  const perModality = (t: number, a: number, v: number): Record<Modality, number> => ({ t, a, v });
  return {
    encoderOut: perModality(c.textOut, c.audioOut, c.videoOut),
    encoderDropout: perModality(c.textEncoderDropout, c.audioEncoderDropout, c.videoEncoderDropout),
    postDim: { m: c.postFusionDim, ...perModality(c.postTextDim, c.postAudioDim, c.postVideoDim) },
    postDropout: { m: c.postFusionDropout, ...perModality(c.postTextDropout, c.postAudioDropout, c.postVideoDropout) },
    learningRate: perModality(c.learningRateText, c.learningRateAudio, c.learningRateVideo),
    weightDecay: perModality(c.weightDecayText, c.weightDecayAudio, c.weightDecayVideo),
    excludeZero: c.excludeZero,
    centreLabels: c.centreLabels,
  };
}

export const selfMmDefinition = defineModel({
  name: 'self-mm',
  description: 'baseline: Self-MM (Yu et al. 2021), fusion + unimodal heads; unimodal labels generated from class-centre distances',
  schema: SELF_MM_SCHEMA,
  configFile: new URL('../configs/self-mm.yaml', import.meta.url),
  testOverrides: { textOut: 8, audioOut: 8, videoOut: 8, postFusionDim: 8, postTextDim: 8, postAudioDim: 8, postVideoDim: 8 },
  create: (config, info, seed) => new SelfMmModel(selfMmConfigOf(config), info, seed),
});
