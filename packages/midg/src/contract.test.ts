// The shared model contract (packages/trainer/src/testing/contract.ts) on MIDG and each of its ablations.
import { before } from 'node:test';
import { useBackend } from '@midg/backend';
import { modelContractSuite } from '@midg/trainer/testing';
import { midgDefinition } from './definition';
import { MIDG_ABLATIONS } from './schema';

before(async () => {
  await useBackend('wasm');
});

for (const ablation of MIDG_ABLATIONS) {
  modelContractSuite(midgDefinition, { backend: 'wasm', overrides: { hiddenDim: 16, heads: 2, ablation } });
}
