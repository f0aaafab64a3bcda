import type { Options } from 'yargs';
import { DEFAULT_BACKEND, listBackends } from '@midg/backend';

/** `--backend`, with its help built from the backend registry (a new backend file shows up here by itself). */
export function backendOption(): Options {
  const choices = listBackends().map((b) => `${b.name}: ${b.description}`);
  return { type: 'string', describe: `tensor backend (default: $MIDG_BACKEND, else ${DEFAULT_BACKEND}). ${choices.join('; ')}` };
}
