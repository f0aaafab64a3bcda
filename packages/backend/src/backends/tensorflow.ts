import { BackendUnavailableError, type BackendProvider } from '../types';

/**
 * Native libtensorflow through @tensorflow/tfjs-node (or -gpu). Optional: its install script downloads
 * libtensorflow, so it is not a dependency of this repository. Install it yourself where that works.
 */
export const tensorflowBackend: BackendProvider = {
  name: 'tensorflow',
  description: 'native libtensorflow via @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (optional, install yourself)',
  tfName: 'tensorflow',
  async load() {
    const errors: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(pkg);
        return;
      } catch (error) {
        errors.push(`${pkg}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    throw new BackendUnavailableError(
      'backend "tensorflow" needs @tensorflow/tfjs-node (or -gpu), which is not installed: ' +
        'run `npm install --no-save @tensorflow/tfjs-node@4.22.0` on a machine where libtensorflow can be downloaded ' +
        `(${errors.join('; ')})`,
    );
  },
};
