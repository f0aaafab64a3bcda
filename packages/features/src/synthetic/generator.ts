/**
 * The synthetic multi-domain benchmark: MOSI-, MOSEI- and CH-SIMS-shaped domains drawn from one documented
 * generative process (docs/synthetic-benchmark.md). Everything is a pure function of (seed, domain, preset), and
 * each part comes from its own random stream, so a domain never depends on the others and dropping a modality
 * leaves the remaining features and the labels unchanged.
 */
import {
  DataError,
  MODALITIES,
  SPLITS,
  metricFamilyForRange,
  type Dataset,
  type Modality,
  type ModalityTensor,
  type Split,
  type SplitName,
} from '../dataset';
import {
  DEFAULT_SYNTHETIC_SEED,
  DOMAIN_STYLES,
  MECHANISM,
  SYNTHETIC_DOMAINS,
  SYNTHETIC_PRESETS,
  type DomainStyle,
  type PriorComponent,
  type SyntheticDomain,
  type SyntheticPreset,
  type SyntheticPresetSpec,
} from './presets';
import { validateDataset } from '../validate';
import { assignGroups, type SplitGroups } from './groups';
import { Rng, streamSeed } from './rng';

export interface SyntheticOptions {
  /** Default `tiny`. */
  preset?: SyntheticPreset;
  /** Default DEFAULT_SYNTHETIC_SEED (0). */
  seed?: number;
  /** Default all three. */
  modalities?: Modality[];
}

/** The latent variables behind one split, for probes and tests (normalized scale). */
export interface SplitLatents {
  /** Shared sentiment s, drawn from the domain's prior. */
  sentiment: Float32Array;
  /** Vocal sentiment ξ_a and facial sentiment ξ_v, standard normal; the label holds ω·(ξ_a + ξ_v). */
  vocalSentiment: Float32Array;
  facialSentiment: Float32Array;
  /** Audio tone b_a and facial expression b_v, standard normal, independent of s. */
  audioTone: Float32Array;
  facialExpression: Float32Array;
  /** The cross-modal label component c = κ · b_a · b_v. */
  interaction: Float32Array;
  /** Speaker-like groups: group per sample and the cue coefficients it was drawn with (the domain's without groups). */
  groups: SplitGroups;
}

/** Which channels of each modality carry the invariant content and which the domain-specific cue. */
export interface ChannelLayout {
  content: Record<Modality, number[]>;
  cue: Record<Modality, number[]>;
}

interface ModalityMechanism {
  sentiment: Float64Array;
  /** Loadings of the vocal / facial sentiment ξ and of the tone / expression factor b (audio and vision only). */
  nonverbal: Float64Array | undefined;
  interaction: Float64Array | undefined;
  /** nuisanceFactors loading vectors over the content channels. */
  nuisance: Float64Array[];
}

interface ModalityStyle {
  gain: Float64Array;
  shift: Float64Array;
}

interface SampleDraws {
  latents: Omit<SplitLatents, 'groups'>;
  labels: Float32Array;
  lengths: Record<Modality, Int32Array>;
}

/** Generates one synthetic domain, e.g. `generateSyntheticDomain('mosi')` is `synth:mosi:tiny`. */
export function generateSyntheticDomain(domain: SyntheticDomain, options: SyntheticOptions = {}): Dataset {
  return generateSyntheticDomainWithLatents(domain, options).dataset;
}

/** As generateSyntheticDomain, plus the latent variables of every sample (for probes and tests). */
export function generateSyntheticDomainWithLatents(
  domain: SyntheticDomain,
  options: SyntheticOptions = {},
): { dataset: Dataset; latents: Record<SplitName, SplitLatents> } {
  const presetName = options.preset ?? 'tiny';
  const seed = options.seed ?? DEFAULT_SYNTHETIC_SEED;
  const modalities = checkOptions(domain, presetName, seed, options.modalities);
  const preset: SyntheticPresetSpec = SYNTHETIC_PRESETS[presetName];
  const style = DOMAIN_STYLES[domain];
  const layout = syntheticChannelLayout(presetName);
  const mechanism = buildMechanism(seed, presetName, preset);
  const modalityStyles = buildDomainStyle(seed, domain, presetName, preset, style);

  const splits = {} as Record<SplitName, Split>;
  const latents = {} as Record<SplitName, SplitLatents>;
  for (const split of SPLITS) {
    const size = preset.sizes[domain][split];
    const draws = drawSamples(streamSeed(seed, 'samples', domain, presetName, split), size, preset.seqLen, style);
    // Its own stream, drawn only by presets with groups: tiny and paper are what they were before groups existed.
    const groups = assignGroups(streamSeed(seed, 'groups', domain, presetName, split), { domain, split, size }, style.cue, preset.groups);
    const features: Partial<Record<Modality, ModalityTensor>> = {};
    for (const m of modalities) {
      features[m] = fillModality(streamSeed(seed, 'features', domain, presetName, split, m), {
        modality: m,
        preset,
        layout,
        mechanism: mechanism[m],
        style: modalityStyles[m],
        noiseScale: style.noise[m],
        cueCoefficients: groups.cueCoefficients,
        draws,
      });
    }
    splits[split] = { size, features, labels: draws.labels, ids: groups.ids };
    latents[split] = { ...draws.latents, groups };
  }

  const dataset: Dataset = {
    name: `synth:${domain}:${presetName}`,
    domain,
    labelRange: style.labelRange,
    // As for any dataset, the label range picks the metrics: [-3, 3] (mosi, mosei) → mosi, [-1, 1] (sims) → sims.
    metricFamily: metricFamilyForRange(style.labelRange),
    dims: Object.fromEntries(modalities.map((m) => [m, preset.dims[m]])),
    seqLens: Object.fromEntries(modalities.map((m) => [m, preset.seqLen])),
    modalities,
    splits,
    source: { kind: 'synthetic', domain, preset: presetName, seed },
  };
  // The same gate every loader passes; a failure here is a generator bug, reported like bad data.
  validateDataset(dataset);
  return { dataset, latents };
}

/** Content channels come first, the cue channels last, in every modality. */
export function syntheticChannelLayout(presetName: SyntheticPreset): ChannelLayout {
  const preset: SyntheticPresetSpec = SYNTHETIC_PRESETS[presetName];
  const layout: ChannelLayout = { content: { t: [], a: [], v: [] }, cue: { t: [], a: [], v: [] } };
  for (const m of MODALITIES) {
    const contentCount = preset.dims[m] - preset.cueChannels[m];
    for (let j = 0; j < preset.dims[m]; j++) (j < contentCount ? layout.content : layout.cue)[m].push(j);
  }
  return layout;
}

function checkOptions(domain: string, preset: string, seed: number, modalities: Modality[] | undefined): Modality[] {
  if (!(SYNTHETIC_DOMAINS as readonly string[]).includes(domain)) {
    throw new DataError(`unknown synthetic domain "${domain}"; choose one of: ${SYNTHETIC_DOMAINS.join(', ')}`);
  }
  if (!Object.hasOwn(SYNTHETIC_PRESETS, preset)) {
    throw new DataError(`unknown synthetic preset "${preset}"; choose one of: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  }
  if (!Number.isSafeInteger(seed)) throw new DataError(`synthetic seed must be an integer, got ${seed}`);
  if (modalities === undefined) return [...MODALITIES];
  const unknown = modalities.filter((m) => !(MODALITIES as readonly string[]).includes(m));
  if (modalities.length === 0 || unknown.length > 0 || new Set(modalities).size !== modalities.length) {
    throw new DataError(`bad synthetic modalities [${modalities.join(', ')}]: use a non-empty subset of t, a, v`);
  }
  return MODALITIES.filter((m) => modalities.includes(m));
}

function randomVector(rng: Rng, length: number, norm: number): Float64Array {
  const vector = Float64Array.from({ length }, () => rng.normal());
  const scale = norm / Math.hypot(...vector);
  return vector.map((value) => value * scale);
}

/** The loadings shared by all domains: the invariant part of the problem. */
function buildMechanism(seed: number, presetName: SyntheticPreset, preset: SyntheticPresetSpec): Record<Modality, ModalityMechanism> {
  const rng = new Rng(streamSeed(seed, 'mechanism', presetName));
  const nonverbalLoading: Partial<Record<Modality, number>> = MECHANISM.nonverbalLoading;
  const interactionLoading: Partial<Record<Modality, number>> = MECHANISM.interactionLoading;
  const optional = (content: number, norm: number | undefined): Float64Array | undefined =>
    norm === undefined ? undefined : randomVector(rng, content, norm);
  const result = {} as Record<Modality, ModalityMechanism>;
  for (const m of MODALITIES) {
    const content = preset.dims[m] - preset.cueChannels[m];
    result[m] = {
      sentiment: randomVector(rng, content, MECHANISM.sentimentLoading[m]),
      nonverbal: optional(content, nonverbalLoading[m]),
      interaction: optional(content, interactionLoading[m]),
      nuisance: Array.from({ length: preset.nuisanceFactors }, () => randomVector(rng, content, MECHANISM.nuisanceLoading)),
    };
  }
  return result;
}

/** Per-channel gain and shift of one domain ("the recording setup"). */
function buildDomainStyle(
  seed: number,
  domain: SyntheticDomain,
  presetName: SyntheticPreset,
  preset: SyntheticPresetSpec,
  style: DomainStyle,
): Record<Modality, ModalityStyle> {
  const rng = new Rng(streamSeed(seed, 'style', domain, presetName));
  const result = {} as Record<Modality, ModalityStyle>;
  for (const m of MODALITIES) {
    const dim = preset.dims[m];
    result[m] = {
      gain: Float64Array.from({ length: dim }, () => Math.exp(style.gainSd * rng.normal())),
      shift: Float64Array.from({ length: dim }, () => style.shiftSd * rng.normal()),
    };
  }
  return result;
}

function drawFromPrior(rng: Rng, prior: readonly PriorComponent[]): number {
  let pick = rng.uniform();
  let component = prior[prior.length - 1]!;
  for (const candidate of prior) {
    if (pick < candidate.weight) {
      component = candidate;
      break;
    }
    pick -= candidate.weight;
  }
  return clamp(component.mean + component.sd * rng.normal(), -1, 1);
}

/** Latents, labels and true lengths: everything about a sample that is not a feature value. */
function drawSamples(streamKey: number, size: number, seqLen: number, style: DomainStyle): SampleDraws {
  const rng = new Rng(streamKey);
  const latents: SampleDraws['latents'] = {
    sentiment: new Float32Array(size),
    vocalSentiment: new Float32Array(size),
    facialSentiment: new Float32Array(size),
    audioTone: new Float32Array(size),
    facialExpression: new Float32Array(size),
    interaction: new Float32Array(size),
  };
  const labels = new Float32Array(size);
  const lengths = { t: new Int32Array(size), a: new Int32Array(size), v: new Int32Array(size) };
  const scale = Math.max(Math.abs(style.labelRange[0]), Math.abs(style.labelRange[1]));
  const minLength = Math.max(1, Math.round(0.2 * seqLen));
  for (let i = 0; i < size; i++) {
    const s = drawFromPrior(rng, style.sentimentPrior);
    const vocalSentiment = rng.normal();
    const facialSentiment = rng.normal();
    const audioTone = rng.normal();
    const facialExpression = rng.normal();
    const c = MECHANISM.interactionWeight * audioTone * facialExpression;
    const nonverbal = MECHANISM.nonverbalWeight * (vocalSentiment + facialSentiment);
    const normalized = clamp(s + nonverbal + c + style.annotationNoise * rng.normal(), -1, 1);
    latents.sentiment[i] = s;
    latents.vocalSentiment[i] = vocalSentiment;
    latents.facialSentiment[i] = facialSentiment;
    latents.audioTone[i] = audioTone;
    latents.facialExpression[i] = facialExpression;
    latents.interaction[i] = c;
    labels[i] = clamp(Math.round((normalized * scale) / style.labelStep) * style.labelStep, -scale, scale);
    // One utterance duration; each modality's frame count jitters around it (unaligned streams).
    const duration = clamp(style.length.mean + style.length.sd * rng.normal(), 0, 1) * seqLen;
    for (const m of MODALITIES) {
      lengths[m][i] = clamp(Math.round(duration * Math.exp(0.1 * rng.normal())), minLength, seqLen);
    }
  }
  return { latents, labels, lengths };
}

interface FillSpec {
  modality: Modality;
  preset: SyntheticPresetSpec;
  layout: ChannelLayout;
  mechanism: ModalityMechanism;
  style: ModalityStyle;
  noiseScale: number;
  cueCoefficients: SplitGroups['cueCoefficients'];
  draws: SampleDraws;
}

/**
 * x[i, τ, j] = gain_j · (e_i(τ) · signal_ij + static_ij + stepNoise · ε_iτj) + shift_j for τ < ℓ_i, zero after.
 * Written straight into the output Float32Array: the paper preset is ~1e9 values for MOSEI.
 */
function fillModality(streamKey: number, spec: FillSpec): ModalityTensor {
  const { modality, preset, mechanism, style, noiseScale, draws } = spec;
  const rng = new Rng(streamKey);
  const seqLen = preset.seqLen;
  const dim = preset.dims[modality];
  const contentCount = spec.layout.content[modality].length;
  const size = draws.labels.length;
  const lengths = draws.lengths[modality];
  const { latents } = draws;
  const nonverbalFactor = modality === 'a' ? latents.vocalSentiment : modality === 'v' ? latents.facialSentiment : undefined;
  const interactionFactor = modality === 'a' ? latents.audioTone : modality === 'v' ? latents.facialExpression : undefined;
  const cueLoading = MECHANISM.cueLoading[modality];
  const stepNoise = MECHANISM.stepNoise * noiseScale * Math.sqrt(seqLen);
  const data = new Float32Array(size * seqLen * dim);
  const signal = new Float64Array(dim);
  const base = new Float64Array(dim);
  const envelope = new Float64Array(seqLen);
  const noise = new Float64Array(dim);

  for (let i = 0; i < size; i++) {
    const length = lengths[i]!;
    const s = latents.sentiment[i]!;
    const xi = nonverbalFactor?.[i] ?? 0;
    const b = interactionFactor?.[i] ?? 0;
    fillEnvelope(rng, envelope, length);
    const nuisance = mechanism.nuisance.map(() => rng.normal());
    for (let j = 0; j < contentCount; j++) {
      signal[j] =
        mechanism.sentiment[j]! * s +
        (mechanism.nonverbal ? mechanism.nonverbal[j]! * xi : 0) +
        (mechanism.interaction ? mechanism.interaction[j]! * b : 0);
      let value = MECHANISM.idiosyncraticNoise * noiseScale * rng.normal();
      for (let k = 0; k < nuisance.length; k++) value += mechanism.nuisance[k]![j]! * nuisance[k]!;
      base[j] = value;
    }
    for (let j = contentCount; j < dim; j++) {
      const coefficient = ((j - contentCount) % 2 === 0 ? spec.cueCoefficients.a : spec.cueCoefficients.b)[i]!;
      signal[j] = cueLoading * coefficient * s;
      base[j] = MECHANISM.cueNoise * noiseScale * rng.normal();
    }
    for (let step = 0; step < length; step++) {
      const e = envelope[step]!;
      const row = (i * seqLen + step) * dim;
      rng.fillNormal(noise);
      for (let j = 0; j < dim; j++) {
        data[row + j] = style.gain[j]! * (e * signal[j]! + base[j]! + stepNoise * noise[j]!) + style.shift[j]!;
      }
    }
  }
  return { data, shape: [size, seqLen, dim], lengths };
}

/** A floor plus a Gaussian burst at a random step, scaled to mean 1 over the true length. */
function fillEnvelope(rng: Rng, envelope: Float64Array, length: number): void {
  const center = rng.uniform() * length;
  const width = Math.max(1, length / 4);
  let sum = 0;
  for (let step = 0; step < length; step++) {
    envelope[step] = MECHANISM.envelopeFloor + Math.exp(-((step + 0.5 - center) ** 2) / (2 * width * width));
    sum += envelope[step]!;
  }
  const mean = sum / length;
  for (let step = 0; step < length; step++) envelope[step] = envelope[step]! / mean;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
