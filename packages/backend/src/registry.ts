import * as tf from '@tensorflow/tfjs';
import { cpuBackend } from './backends/cpu';
import { tensorflowBackend } from './backends/tensorflow';
import { wasmBackend } from './backends/wasm';
import { BackendUnavailableError, type BackendOptions, type BackendProvider } from './types';

const providers = new Map<string, BackendProvider>();

/** Adds a backend (a GPU backend is one more file calling this). */
export function registerBackend(provider: BackendProvider): void {
  providers.set(provider.name, provider);
}

[wasmBackend, cpuBackend, tensorflowBackend].forEach(registerBackend);

export const DEFAULT_BACKEND = 'wasm';

export function listBackends(): BackendProvider[] {
  return [...providers.values()];
}

/** The backend asked for: explicit argument, then MIDG_BACKEND, then the default. */
export function requestedBackend(explicit?: string): string {
  return explicit ?? process.env.MIDG_BACKEND ?? DEFAULT_BACKEND;
}

/** Loads and activates a backend by name; the name tf.getBackend() reports is returned. */
export async function useBackend(name?: string, options: BackendOptions = {}): Promise<string> {
  const wanted = requestedBackend(name);
  const provider = providers.get(wanted);
  if (!provider) {
    throw new BackendUnavailableError(
      `unknown backend "${wanted}"; choose one of: ${[...providers.keys()].join(', ')}`,
    );
  }
  if (tf.getBackend() === provider.tfName) return provider.tfName;
  await provider.load(options);
  const ok = await tf.setBackend(provider.tfName);
  if (!ok) throw new BackendUnavailableError(`backend "${wanted}" failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
