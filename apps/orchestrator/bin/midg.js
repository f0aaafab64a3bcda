#!/usr/bin/env node
// The `midg` CLI. Sources are TypeScript; tsx compiles them on the fly, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
// `midg run-server` is the sweep's long-lived worker (src/sweep/executors/run-server.ts): hidden from --help, and
// started without the rest of the CLI (database drivers, tables), which it does not use.
if (process.argv[2] === 'run-server') await import('../src/sweep/executors/run-server.ts');
else await import('../src/cli.ts');
