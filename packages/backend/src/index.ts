export { BackendUnavailableError, type BackendOptions, type BackendProvider } from './types';
export { DEFAULT_BACKEND, listBackends, registerBackend, requestedBackend, useBackend } from './registry';
