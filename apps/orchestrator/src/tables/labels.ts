import { domainOfDatasetName, sourceNames } from '@midg/trainer';

// How datasets and pairs are named in column headers, block titles and notes. Models are shown by their names.

/** Short column labels (MOSI, MOSEI, SIMS, MOSI+SIMS); full names where two datasets would get the same label. */
export function datasetLabeler(names: string[]): (name: string) => string {
  const shortOne = (name: string): string => {
    const domain = domainOfDatasetName(name);
    return ['mosi', 'mosei', 'sims'].includes(domain) ? domain.toUpperCase() : name;
  };
  // Pooled sources (a+b) read as MOSI+SIMS.
  const short = (name: string): string => sourceNames(name).map(shortOne).join('+');
  const distinct = [...new Set(names)];
  const clashes = new Set(distinct.map(short).filter((label, index, all) => all.indexOf(label) !== index));
  return (name) => (clashes.has(short(name)) ? name : short(name));
}

/** `MOSI→MOSEI` for a cross-domain pair, `MOSI` for an in-domain one, with the given dataset labels. */
export function pairLabelOf(label: (name: string) => string, source: string, target: string): string {
  return source === target ? label(source) : `${label(source)}→${label(target)}`;
}
