/** A plain-text summary of a dataset: per split and modality, shapes, true lengths, labels and bad values. */
import { MODALITY_NAMES, SPLITS, datasetMetricFamily, type Dataset } from './dataset';
import { scanTensor } from './validate';

/** Aligns columns: text to the left, numbers (and their headers) to the right. */
function table(header: string[], rows: string[][], numeric: boolean[]): string {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function stats(values: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(squares / values.length) };
}

const fixed = (value: number): string => (Number.isFinite(value) ? value.toFixed(3) : String(value));

export function inspectDataset(dataset: Dataset): string {
  const featureRows: string[][] = [];
  const labelRows: string[][] = [];
  for (const splitName of SPLITS) {
    const split = dataset.splits[splitName];
    for (const modality of dataset.modalities) {
      const tensor = split.features[modality];
      if (!tensor) continue;
      const lengths = stats(tensor.lengths);
      const scan = scanTensor(tensor);
      featureRows.push([
        splitName,
        MODALITY_NAMES[modality],
        `[${tensor.shape.join(', ')}]`,
        String(lengths.min),
        lengths.mean.toFixed(2),
        String(lengths.max),
        String(scan.nan),
        String(scan.infinite),
        String(scan.nonZeroPadding),
      ]);
    }
    const labels = stats(split.labels);
    labelRows.push([splitName, String(split.size), fixed(labels.min), fixed(labels.max), fixed(labels.mean), fixed(labels.std)]);
  }
  const [low, high] = dataset.labelRange;
  return [
    `${dataset.name}`,
    `domain ${dataset.domain}, labels in [${low}, ${high}], metrics ${datasetMetricFamily(dataset)}, modalities ${dataset.modalities.join('')}`,
    '',
    table(
      ['split', 'modality', 'shape [N, L, D]', 'len min', 'len mean', 'len max', 'NaN', 'inf', 'nonzero pad'],
      featureRows,
      [false, false, false, true, true, true, true, true, true],
    ),
    '',
    table(['split', 'samples', 'label min', 'label max', 'label mean', 'label std'], labelRows, [false, true, true, true, true, true]),
  ].join('\n');
}
