export {
  ADAPTER_DEFAULTS,
  CrossModalAdapter,
  mseLoss,
  type AdapterOutput,
  type CrossModalAdapterConfig,
} from './adapter';
