// The shared model contract (packages/trainer/src/testing/contract.ts) over every model the CLI registers, on every
// backend that loads here (wasm and the pure-JS cpu one; the native one when installed).
import { forEachBackend } from '@midg/backend/testing';
import { modelContractSuite } from '@midg/trainer/testing';
import { MODELS } from './models';

forEachBackend((backend) => {
  for (const definition of MODELS) modelContractSuite(definition, { backend, overrides: definition.testOverrides });
});
