/**
 * The grouped encoders compute what nn's per-modality TransformerEncoders compute: outputs and gradients, in
 * training mode with every dropout on, for several views in one pass, and with frozen dense weights (the layer-norm
 * gradients are the same, no other gradient is formed). Then the backbone: a two-view pass equals two passes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import type { Modality } from '@midg/features';
import { Dense, Dropout, TransformerEncoder, deriveSeed, sinusoidalPositions } from '@midg/nn';
import type { UnlabeledBatch } from '@midg/trainer';
import { CaspBackbone, encoderConfigOf, firstRealStep, type CaspBackboneConfig } from './backbone';
import { EncoderGroup, EncoderMember, disposeFrozen, type EncoderGroupConfig } from './encoder-group';

before(async () => {
  await useBackend('wasm');
});

const CONFIG: EncoderGroupConfig = { dim: 8, heads: 2, layers: 2, ffnDim: 32, dropout: 0.2, ffnDropout: 0.3, attentionDropout: 0.25 };
const BATCH = 5;
const LENGTH = 4;

function encoders(seed: number): TransformerEncoder[] {
  return [0, 1, 2].map(
    (m) =>
      new TransformerEncoder({
        dim: CONFIG.dim,
        heads: CONFIG.heads,
        layers: CONFIG.layers,
        ffnDim: CONFIG.ffnDim,
        dropout: CONFIG.dropout,
        ffnDropout: CONFIG.ffnDropout,
        attentionDropout: CONFIG.attentionDropout,
        activation: 'relu',
        seed: deriveSeed(seed, 'encoder', m),
      }),
  );
}

/** Per member and view an input [B, L, d]; per member a key mask with some padded steps (right and left). */
function inputs(views: number) {
  const x = [0, 1, 2].map((m) => Array.from({ length: views }, (_, v) => tf.randomNormal([BATCH, LENGTH, CONFIG.dim], 0, 1, 'float32', 10 * m + v) as tf.Tensor3D));
  const lengths = [[4, 3, 1, 2, 4], [2, 4, 4, 1, 3], [4, 4, 4, 4, 4]];
  const masks = lengths.map((row, m) =>
    tf.tensor2d(row.flatMap((n, b) => Array.from({ length: LENGTH }, (_, t) => (m === 1 && b === 0 ? Number(t >= LENGTH - n) : Number(t < n)))), [BATCH, LENGTH]),
  );
  return { x, masks };
}

const maxDifference = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** The group's layout [V·B, L, G·d] of per-member, per-view tensors [B, L, d]. */
const grouped = (x: tf.Tensor3D[][]) => tf.concat(x.map((perView) => tf.concat(perView, 0)), 2) as tf.Tensor3D;

describe('EncoderGroup', () => {
  for (const views of [1, 2]) {
    it(`${views} view(s), training with dropout: outputs and every gradient equal the per-modality nn encoders'`, () => {
      const reference = encoders(7);
      const subject = encoders(7);
      const group = new EncoderGroup(CONFIG, subject.map((e, m) => new EncoderMember(CONFIG, e, deriveSeed(7, 'encoder', m))));
      const { x, masks } = inputs(views);
      const weights = tf.randomNormal([views * BATCH, LENGTH, 3 * CONFIG.dim], 0, 1, 'float32', 99);
      const referenceLoss = () => {
        // nn's encoders, one pass per view (view 0 first), laid out as the group lays them out.
        const outputs = reference.map((encoder, m) => x[m]!.map((xv) => encoder.forward(xv, { training: true, keyMask: masks[m]! })));
        return tf.sum(tf.mul(grouped(outputs), weights)) as tf.Scalar;
      };
      const viewMasks = masks.map((mask) => tf.concat(Array.from({ length: views }, () => mask), 0) as tf.Tensor2D);
      const groupLoss = () => tf.sum(tf.mul(group.forward(grouped(x), viewMasks, { training: true, views }), weights)) as tf.Scalar;
      const expected = tf.variableGrads(referenceLoss, reference.flatMap((e) => e.trainableVariables()));
      const actual = tf.variableGrads(groupLoss, subject.flatMap((e) => e.trainableVariables()));
      const scale = Math.abs(expected.value.dataSync()[0]!);
      assert.ok(Math.abs(actual.value.dataSync()[0]! - expected.value.dataSync()[0]!) <= 1e-5 * scale, 'same loss');
      const referenceVariables = reference.flatMap((e) => e.trainableVariables());
      subject.flatMap((e) => e.trainableVariables()).forEach((v, i) => {
        const gradient = actual.grads[v.name]!;
        const want = expected.grads[referenceVariables[i]!.name]!;
        assert.ok(maxDifference(gradient, want) <= 1e-4 * (1 + tf.max(tf.abs(want)).dataSync()[0]!), `gradient of variable ${i} (${v.shape})`);
      });
      tf.dispose([...x.flat(), ...masks, ...viewMasks, weights, expected.value, actual.value, ...Object.values(expected.grads), ...Object.values(actual.grads)]);
      [...reference, ...subject].forEach((e) => e.dispose());
    });
  }

  it('frozen dense weights: the same outputs and layer-norm gradients, and no gradient for any other variable', () => {
    const live = encoders(3);
    const fixed = encoders(3);
    const liveGroup = new EncoderGroup(CONFIG, live.map((e, m) => new EncoderMember(CONFIG, e, deriveSeed(3, 'encoder', m))));
    const fixedGroup = new EncoderGroup(CONFIG, fixed.map((e, m) => new EncoderMember(CONFIG, e, deriveSeed(3, 'encoder', m))));
    const frozen = fixedGroup.freeze();
    const { x, masks } = inputs(2);
    const viewMasks = masks.map((mask) => tf.concat([mask, mask], 0) as tf.Tensor2D);
    const weights = tf.randomNormal([2 * BATCH, LENGTH, 3 * CONFIG.dim], 0, 1, 'float32', 5);
    const loss = (group: EncoderGroup, options: { frozen?: typeof frozen }) => () =>
      tf.sum(tf.mul(group.forward(grouped(x), viewMasks, { training: true, views: 2, ...options }), weights)) as tf.Scalar;
    const norms = (encoders: TransformerEncoder[]) => encoders.flatMap((e) => e.layerNormVariables());
    const expected = tf.variableGrads(loss(liveGroup, {}), norms(live));
    const tensors = tf.memory().numTensors;
    const actual = tf.variableGrads(loss(fixedGroup, { frozen }), norms(fixed));
    assert.equal(tf.memory().numTensors, tensors + 1 + norms(fixed).length, 'only the loss and the layer-norm gradients are left');
    assert.ok(Math.abs(actual.value.dataSync()[0]! - expected.value.dataSync()[0]!) <= 1e-5 * Math.abs(expected.value.dataSync()[0]!));
    norms(fixed).forEach((v, i) => {
      const want = expected.grads[norms(live)[i]!.name]!;
      assert.ok(maxDifference(actual.grads[v.name]!, want) <= 1e-4 * (1 + tf.max(tf.abs(want)).dataSync()[0]!), `LN gradient ${i}`);
    });
    disposeFrozen(frozen);
    tf.dispose([...x.flat(), ...masks, ...viewMasks, weights, expected.value, actual.value, ...Object.values(expected.grads), ...Object.values(actual.grads)]);
    [...live, ...fixed].forEach((e) => e.dispose());
  });
});

/**
 * The backbone as it was before the encoders were grouped (per modality: nn's Dense projection, √d, positions,
 * embedding dropout, nn's TransformerEncoder, first real step; then the head), built from nn's parts with the
 * backbone's seeds: the reference the grouped backbone must reproduce.
 */
function referenceBackbone(config: CaspBackboneConfig, modalities: Modality[], dims: Record<Modality, number>, seed: number) {
  const d = config.projDim;
  const projections = modalities.map((m) => new Dense({ inputDim: dims[m], units: d, seed: deriveSeed(seed, 'projection', m) }));
  const encoders = modalities.map(
    (m) =>
      new TransformerEncoder({ ...encoderConfigOf(config), activation: 'relu', seed: deriveSeed(seed, 'encoder', m) }),
  );
  const embedDropouts = modalities.map((m) => new Dropout(config.embedDropout, deriveSeed(seed, 'embed-dropout', m)));
  const dense = (name: string, inputDim: number, units: number) => new Dense({ inputDim, units, seed: deriveSeed(seed, name) });
  const [proj0, proj1, proj2, out] = [dense('proj0', modalities.length * d, d), dense('proj1', d, d), dense('proj2', d, d), dense('out', d, 1)];
  const outDropout = new Dropout(config.outDropout, deriveSeed(seed, 'out-dropout'));
  return {
    variables: () => [...projections, ...encoders, proj0, proj1, proj2, out].flatMap((part) => part.trainableVariables()),
    forward(batch: UnlabeledBatch, options: { training: boolean; zeroed?: Modality }) {
      const summaries = modalities.map((m, i) => {
        const features = batch.features[m]!;
        const input = options.zeroed === m ? tf.zerosLike(features) : features;
        let h = tf.add(tf.mul(projections[i]!.forward(input), Math.sqrt(d)), sinusoidalPositions(features.shape[1], d)) as tf.Tensor3D;
        h = embedDropouts[i]!.apply(h, options);
        return firstRealStep(encoders[i]!.forward(h, { training: options.training, keyMask: batch.masks[m]! }), batch.masks[m]!);
      });
      const representation = tf.concat(summaries, 1) as tf.Tensor2D;
      const hidden = tf.relu(proj0.forward(representation));
      const block = proj2.forward(outDropout.apply(tf.relu(proj1.forward(hidden)), options));
      return { representation, prediction: tf.reshape(out.forward(tf.add(block, hidden)), [-1]) };
    },
  };
}

describe('CaspBackbone', () => {
  const config: CaspBackboneConfig = { projDim: 8, heads: 2, nlevels: 2, attnDropout: 0.1, reluDropout: 0.2, resDropout: 0.1, embedDropout: 0.25, outDropout: 0.3 };
  const dims = { t: 6, a: 3, v: 5 };
  const batchOf = (lengths: Record<'t' | 'a' | 'v', number>): UnlabeledBatch => {
    const features: UnlabeledBatch['features'] = {};
    const masks: UnlabeledBatch['masks'] = {};
    (['t', 'a', 'v'] as const).forEach((m, i) => {
      features[m] = tf.randomNormal([BATCH, lengths[m], dims[m]], 0, 1, 'float32', i + 1) as tf.Tensor3D;
      masks[m] = tf.tensor2d(Array.from({ length: BATCH * lengths[m] }, (_, k) => Number(k % lengths[m] < 1 + ((k / lengths[m]) | 0) % lengths[m])), [BATCH, lengths[m]]);
    });
    return { features, masks, sourceIds: tf.zeros([BATCH]), indices: Int32Array.from({ length: BATCH }, (_, i) => i) };
  };

  for (const lengths of [{ t: 4, a: 4, v: 4 }, { t: 4, a: 3, v: 4 }]) {
    it(`a pass over [batch; batch with audio zeroed] equals the per-modality backbone's two passes: outputs and gradients (lengths ${JSON.stringify(lengths)})`, () => {
      const batch = batchOf(lengths);
      const backbone = new CaspBackbone(config, ['t', 'a', 'v'], dims, 11);
      const reference = referenceBackbone(config, ['t', 'a', 'v'], dims, 11);
      const weights = tf.randomNormal([2 * BATCH, 3 * config.projDim + 1], 0, 1, 'float32', 3);
      // Representation and prediction side by side, weighted: one scalar whose gradient reaches every variable.
      const score = (representation: tf.Tensor, prediction: tf.Tensor) => tf.sum(tf.mul(tf.concat([representation, tf.reshape(prediction, [-1, 1])], 1), weights)) as tf.Scalar;
      const expected = tf.variableGrads(() => {
        const first = reference.forward(batch, { training: true });
        const second = reference.forward(batch, { training: true, zeroed: 'a' });
        return score(tf.concat([first.representation, second.representation], 0), tf.concat([first.prediction, second.prediction], 0));
      }, reference.variables());
      const actual = tf.variableGrads(() => {
        const joint = backbone.forwardViews(batch, [{}, { zeroed: 'a' }], { training: true });
        return score(joint.representation, joint.prediction);
      }, backbone.trainableVariables());
      const scale = Math.abs(expected.value.dataSync()[0]!);
      assert.ok(Math.abs(actual.value.dataSync()[0]! - expected.value.dataSync()[0]!) <= 1e-5 * (1 + scale), 'outputs');
      const referenceVariables = reference.variables();
      backbone.trainableVariables().forEach((v, i) => {
        const want = expected.grads[referenceVariables[i]!.name]!;
        assert.ok(maxDifference(actual.grads[v.name]!, want) <= 1e-4 * (1 + tf.max(tf.abs(want)).dataSync()[0]!), `gradient of variable ${i} (${v.shape})`);
      });
      const eval1 = backbone.forward(batch, { training: false });
      const eval2 = reference.forward(batch, { training: false });
      assert.ok(maxDifference(eval1.representation, eval2.representation) <= 1e-5, 'eval-mode representations');
      tf.dispose([weights, expected.value, actual.value, ...Object.values(expected.grads), ...Object.values(actual.grads), eval1, eval2].flatMap((t) => (t instanceof tf.Tensor ? [t] : Object.values(t))));
      tf.dispose([...Object.values(batch.features), ...Object.values(batch.masks), batch.sourceIds]);
      backbone.dispose();
      referenceVariables.forEach((v) => v.dispose());
    });
  }
});
