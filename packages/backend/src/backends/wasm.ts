import type { BackendProvider } from '../types';
import { shareIdentityOnWasm } from './wasm-identity';

/** WebAssembly kernels (XNNPACK): the default, about 10x the pure-JS cpu backend. */
export const wasmBackend: BackendProvider = {
  name: 'wasm',
  description: 'WebAssembly kernels (default; portable, about 10x faster than cpu)',
  tfName: 'wasm',
  async load(options) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Threads only take effect when the threaded wasm binary is usable; harmless otherwise.
    wasm.setThreadsCount(Math.max(1, options.threads ?? 1));
    shareIdentityOnWasm();
  },
};
