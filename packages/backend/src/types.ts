/** One tensor backend: a small file under ./backends registers one of these. */
export interface BackendProvider {
  /** The name users pass to `--backend` / `MIDG_BACKEND`. */
  readonly name: string;
  /** One line shown by `midg --help` and in errors. */
  readonly description: string;
  /** The TF.js backend name that `tf.setBackend` receives after `load`. */
  readonly tfName: string;
  /** Imports and registers the backend; throws a BackendUnavailableError saying how to install it. */
  load(options: BackendOptions): Promise<void>;
}

export interface BackendOptions {
  /** Threads for backends that support it (wasm). Default 1: reproducible, and the orchestrator parallelises across processes. */
  threads?: number;
}

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}
