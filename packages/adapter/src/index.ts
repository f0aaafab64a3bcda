export {
  ADAPTER_DEFAULTS,
  CrossModalAdapter,
  mseLoss,
  type AdapterOutput,
  type CrossModalAdapterConfig,
} from './adapter';
export { multiHeadAttention, type AttentionResult } from './attention';
