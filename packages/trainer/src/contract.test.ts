// The shared model contract suite, run here against the trainer's own probe model.
import { before } from 'node:test';
import { useBackend } from '@midg/backend';
import { modelContractSuite, probeModelDefinition } from './testing';

before(async () => {
  await useBackend('wasm');
});

modelContractSuite(probeModelDefinition, { backend: 'wasm' });
