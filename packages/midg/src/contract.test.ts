// The shared model contract (packages/trainer/src/testing/contract.ts) on MIDG and each of its ablations, and on
// midg-dg (its own defaults: latent-domain labels, the shared adversary, an environment penalty).
import { before } from 'node:test';
import { useBackend } from '@midg/backend';
import { modelContractSuite } from '@midg/trainer/testing';
import { midgDefinition, midgDgDefinition } from './definition';
import { MIDG_ABLATIONS } from './schema';

before(async () => {
  await useBackend('wasm');
});

for (const ablation of MIDG_ABLATIONS) {
  modelContractSuite(midgDefinition, { backend: 'wasm', overrides: { hiddenDim: 16, heads: 2, ablation } });
}

// The domain-generalization options of issue 8 on together (the tiny synthetic ids have no video: one group per
// sample). GroupDRO keeps state across steps, so the leak check covers it.
modelContractSuite(midgDefinition, {
  backend: 'wasm',
  overrides: {
    hiddenDim: 16,
    heads: 2,
    domainLabels: 'video',
    invariantOn: 'shared',
    grlSchedule: 'dann',
    discriminatorOptimizer: 'separate',
    envPenalty: 'groupdro',
  },
});

modelContractSuite(midgDgDefinition, { backend: 'wasm', overrides: midgDgDefinition.testOverrides });
