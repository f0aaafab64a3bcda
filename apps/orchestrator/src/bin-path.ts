import { fileURLToPath } from 'node:url';

/** The `midg` executable: what sweep workers run, and what the CLI tests spawn. */
export const MIDG_BIN = fileURLToPath(new URL('../bin/midg.js', import.meta.url));
