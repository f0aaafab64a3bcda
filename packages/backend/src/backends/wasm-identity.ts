/**
 * Identity for the wasm backend by reference: the output shares the input's memory and the backend's reference
 * count goes up, as the wasm backend's own Reshape and the cpu backend's Identity do. TF.js's wasm Identity copies
 * its input instead, and the engine calls Identity for every tensor the gradient tape saves (Engine.clone): on a
 * MIDG training step that was about 780 copies. Sharing is safe because no kernel writes into its inputs.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of BackendWasm this kernel uses. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

function hasRefCounting(backend: unknown): backend is RefCounting {
  return typeof (backend as Partial<RefCounting>).incRef === 'function';
}

/** Replaces the wasm backend's Identity kernel (once the backend module is loaded) with the by-reference one. */
export function shareIdentityOnWasm(): void {
  const copying = tf.getKernel(tf.Identity, 'wasm');
  if (!copying || copying.kernelFunc === identityByReference) return;
  copyingIdentity = copying.kernelFunc;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ ...copying, kernelFunc: identityByReference });
}

/** The wasm backend's own Identity, kept for what cannot be shared. */
let copyingIdentity: tf.KernelFunc | undefined;

const identityByReference: tf.KernelFunc = (args) => {
  const x = args.inputs.x as tf.TensorInfo;
  const backend = args.backend;
  // Strings live on the host, not in the heap: the original kernel handles them.
  if (x.dtype === 'string' || !hasRefCounting(backend)) return copyingIdentity!(args);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
