#!/usr/bin/env node
// The `midg` CLI. Sources are TypeScript; tsx compiles them on the fly, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
