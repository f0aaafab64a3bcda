/**
 * Speaker-like groups of the synthetic benchmark (preset `v2`): which group each sample of a split belongs to, each
 * group's cue coefficients, and the sample ids that carry the group to models (`<group>$_$<index>`, the MMSA
 * `<video>$_$<segment>` form the trainer reads group ids from).
 */
import { DataError, type SplitName } from '../dataset';
import type { DomainStyle, SpeakerGroups, SyntheticDomain } from './presets';
import { Rng } from './rng';

/** The separator of MMSA sample ids, `<video>$_$<segment>`; the part before it names the group. */
export const GROUP_SEPARATOR = '$_$';

export interface SplitGroups {
  /** Number of groups in the split (the split size when the preset has no groups: every sample is its own). */
  count: number;
  /** Group of every sample. */
  group: Int32Array;
  /** Cue coefficient of every sample on the even (A) and odd (B) cue channels: its group's, else the domain's. */
  cueCoefficients: { a: Float64Array; b: Float64Array };
  ids: string[];
}

/**
 * Groups of one split. Without `groups` every sample keeps the domain's cue and the id `synth-<domain>-<split>-<i>`
 * (the ids of presets tiny and paper). With `groups`, the split is cut into `perSplit` equal runs of samples; group g
 * gets the cue coefficients ρ_d + cueSpread·(z_g − z̄) per cue group, z ~ N(0, 1) from `streamKey`, centred so the
 * split's average cue is exactly the domain's.
 */
export function assignGroups(
  streamKey: number,
  where: { domain: SyntheticDomain; split: SplitName; size: number },
  cue: DomainStyle['cue'],
  groups: SpeakerGroups | undefined,
): SplitGroups {
  const { domain, split, size } = where;
  const prefix = `synth-${domain}-${split}`;
  if (!groups) {
    return {
      count: size,
      group: Int32Array.from({ length: size }, (_, i) => i),
      cueCoefficients: { a: new Float64Array(size).fill(cue.a), b: new Float64Array(size).fill(cue.b) },
      ids: Array.from({ length: size }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`),
    };
  }
  const count = groups.perSplit;
  if (!(Number.isSafeInteger(count) && count >= 2 && size % count === 0)) {
    throw new DataError(`synthetic ${domain}/${split}: ${size} samples cannot form ${count} equal speaker groups`);
  }
  const rng = new Rng(streamKey);
  const draws = Array.from({ length: count }, () => ({ a: rng.normal(), b: rng.normal() }));
  const centre = { a: mean(draws.map((d) => d.a)), b: mean(draws.map((d) => d.b)) };
  const groupCue = draws.map((d) => ({
    a: cue.a + groups.cueSpread * (d.a - centre.a),
    b: cue.b + groups.cueSpread * (d.b - centre.b),
  }));
  const perGroup = size / count;
  const group = Int32Array.from({ length: size }, (_, i) => Math.floor(i / perGroup));
  return {
    count,
    group,
    cueCoefficients: {
      a: Float64Array.from(group, (g) => groupCue[g]!.a),
      b: Float64Array.from(group, (g) => groupCue[g]!.b),
    },
    ids: Array.from(group, (g, i) => `${prefix}-g${String(g).padStart(2, '0')}${GROUP_SEPARATOR}${String(i % perGroup).padStart(5, '0')}`),
  };
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
