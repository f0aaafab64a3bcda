import * as tf from '@tensorflow/tfjs';
import { MODALITIES, type Modality } from '@midg/features';
import { deriveSeed, disposeVariables, partVariables, type ForwardOptions, type TrainablePart } from './layers';
import { UNIMODAL_ENCODER_DEFAULTS, UnimodalEncoder } from './unimodal';

/** One tensor per present modality. */
export type ModalityTensors<T extends tf.Tensor> = Partial<Record<Modality, T>>;

export interface MultimodalEncoderConfig {
  /** Feature dim per present modality; the modalities encoded are exactly the keys given. */
  dims: Partial<Record<Modality, number>>;
  /** Output width d of every modality. Default 64. */
  hiddenDim?: number;
  /** Feed-forward width inside each encoder. Default 2·hiddenDim. */
  ffnDim?: number;
  /** Default 0.1. */
  dropout?: number;
  seed: number;
}

/** One UnimodalEncoder per present modality (in t, a, v order), each with its own derived seed. */
export class MultimodalEncoder implements TrainablePart {
  readonly modalities: Modality[];
  readonly outputDim: number;
  readonly encoders: Readonly<Partial<Record<Modality, UnimodalEncoder>>>;

  constructor(config: MultimodalEncoderConfig) {
    this.modalities = MODALITIES.filter((m) => config.dims[m] !== undefined);
    if (this.modalities.length === 0) throw new Error('MultimodalEncoder needs at least one modality in dims');
    this.outputDim = config.hiddenDim ?? UNIMODAL_ENCODER_DEFAULTS.hiddenDim;
    const encoders: Partial<Record<Modality, UnimodalEncoder>> = {};
    for (const m of this.modalities) {
      encoders[m] = new UnimodalEncoder({
        inputDim: config.dims[m]!,
        hiddenDim: this.outputDim,
        ffnDim: config.ffnDim,
        dropout: config.dropout,
        seed: deriveSeed(config.seed, 'encoder', m),
      });
    }
    this.encoders = encoders;
  }

  /** features[m] [B, L_m, D_m] and masks[m] [B, L_m] for every encoded modality → A_m [B, d] per modality. */
  forward(
    features: ModalityTensors<tf.Tensor3D>,
    masks: ModalityTensors<tf.Tensor2D>,
    options: ForwardOptions,
  ): ModalityTensors<tf.Tensor2D> {
    const encoded: ModalityTensors<tf.Tensor2D> = {};
    for (const m of this.modalities) {
      const x = features[m];
      const mask = masks[m];
      if (!x || !mask) throw new Error(`MultimodalEncoder: missing ${x ? 'mask' : 'features'} for modality "${m}"`);
      encoded[m] = this.encoders[m]!.forward(x, mask, options);
    }
    return encoded;
  }

  trainableVariables(): tf.Variable[] {
    return partVariables(this.modalities.map((m) => this.encoders[m]!));
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
