export * from './dataset';
export { KNOWN_DOMAINS, domainFromPath, parseDatasetName, type DatasetRef } from './names';
export { loadMmsa, undeclaredUnitRangeWarning, writeMmsa, type MmsaOptions } from './mmsa';
export { scanTensor, validateDataset, type TensorScan } from './validate';
export { inspectDataset } from './inspect';
export { loadDatasetsConfig, parseModalities, resolveDataset, type DatasetAlias, type ResolveOptions } from './resolve';
export { DIM_ALIGNMENTS, alignTargetToSource, labelScale, type DimAlignment } from './pair';
export * from './synthetic';
