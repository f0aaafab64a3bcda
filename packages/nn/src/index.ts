export {
  Dense,
  Dropout,
  LayerNorm,
  Mlp,
  MlpHead,
  SeedStream,
  assertPositiveInt,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  stopGradient,
  tidyOutput,
  type Activation,
  type DenseConfig,
  type ForwardOptions,
  type MlpConfig,
  type MlpHeadConfig,
  type TrainablePart,
} from './layers';
export { layerNormOp, sumRows, withOpByOpLayers } from './fused';
export {
  MultiHeadAttention,
  multiHeadAttention,
  type AttentionDropout,
  type AttentionForwardOptions,
  type AttentionOptions,
  type AttentionResult,
  type MultiHeadAttentionConfig,
} from './attention';
export { MultimodalEncoder, type ModalityTensors, type MultimodalEncoderConfig } from './multimodal';
export { UNIMODAL_ENCODER_DEFAULTS, UnimodalEncoder, maskFromLengths, type UnimodalEncoderConfig } from './unimodal';
export {
  TransformerEncoder,
  TransformerLayer,
  gelu,
  lastRealStep,
  sinusoidalPositions,
  type TransformerEncoderConfig,
  type TransformerForwardOptions,
  type TransformerLayerConfig,
} from './transformer';
