export { modelContractSuite, type ContractOptions } from './contract';
export { PROBE_SCHEMA, ProbeModel, probeModelDefinition } from './probe-model';
