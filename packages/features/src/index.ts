export * from './dataset';
export { KNOWN_DOMAINS, domainFromPath, parseDatasetName, type DatasetRef } from './names';
