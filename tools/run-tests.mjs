#!/usr/bin/env node
// Runs every *.test.ts below the given directory (default: ./src) with node:test under tsx.
// Node 20's `--test` cannot glob .ts files itself, so we list them here.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const root = resolve(process.argv[2] ?? 'src');
const files = findTests(root).sort();
if (files.length === 0) {
  console.error(`run-tests: no *.test.ts files under ${root}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
