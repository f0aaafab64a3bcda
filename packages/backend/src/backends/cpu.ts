import type { BackendProvider } from '../types';

/** Pure-JS kernels bundled with @tensorflow/tfjs: slow, but has every gradient. */
export const cpuBackend: BackendProvider = {
  name: 'cpu',
  description: 'pure JavaScript kernels (fallback; slow, every op and gradient available)',
  tfName: 'cpu',
  async load() {
    // Registered by @tensorflow/tfjs itself.
  },
};
