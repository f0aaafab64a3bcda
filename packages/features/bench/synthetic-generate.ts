/**
 * Generation time and memory of synthetic domains.
 * Run from packages/features: `node --import tsx bench/synthetic-generate.ts [--preset paper] [--domains mosei]`.
 */
import { parseArgs } from 'node:util';
import { generateSyntheticDomain } from '../src/synthetic/generator';
import { SYNTHETIC_DOMAINS, SYNTHETIC_PRESETS, type SyntheticDomain, type SyntheticPreset } from '../src/synthetic/presets';

const { values } = parseArgs({
  options: { preset: { type: 'string', default: 'tiny' }, domains: { type: 'string', default: SYNTHETIC_DOMAINS.join(',') } },
});
if (!(values.preset! in SYNTHETIC_PRESETS)) throw new Error(`unknown preset ${values.preset}`);
const preset = values.preset as SyntheticPreset;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

for (const domain of values.domains!.split(',') as SyntheticDomain[]) {
  const start = performance.now();
  const dataset = generateSyntheticDomain(domain, { preset });
  const seconds = (performance.now() - start) / 1000;
  let featureBytes = 0;
  for (const split of Object.values(dataset.splits)) {
    for (const tensor of Object.values(split.features)) featureBytes += tensor.data.byteLength;
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `${dataset.name}: ${seconds.toFixed(2)} s, features ${mib(featureBytes)}, rss ${mib(process.memoryUsage().rss)}, peak rss ${mib(peakRss)}`,
  );
}
