// Tests for tools/check-boundaries.mjs against the fixture workspaces in tools/fixtures/boundaries/
// (the real repository is checked by `npm test` running the script directly). Run: node --test tools/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { findImports } from './check-boundaries.mjs';

const script = fileURLToPath(new URL('./check-boundaries.mjs', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/boundaries/', import.meta.url));

function check(fixture) {
  const result = spawnSync(process.execPath, [script, join(fixtures, fixture)], { encoding: 'utf8' });
  const lines = result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('check-boundaries:'));
  return { status: result.status, lines, stdout: result.stdout, stderr: result.stderr };
}

test('clean fixture: every allowed edge passes', () => {
  const { status, stdout, stderr } = check('clean');
  assert.equal(status, 0, stderr);
  assert.match(stdout, /check-boundaries: 9 projects, \d+ source files: no violations/);
});

test('nn importing trainer fails with file, line and both layers', () => {
  const { status, lines } = check('nn-imports-trainer');
  assert.equal(status, 1);
  assert.deepEqual(lines, [
    'packages/nn/src/layers.ts:3: @midg/nn (layer:nn) imports @midg/trainer (layer:trainer): not allowed',
  ]);
});

test('other rules: one violation line each', () => {
  const { status, lines } = check('other-rules');
  assert.equal(status, 1);
  assert.deepEqual(lines, [
    'packages/baselines/late-fusion/src/index.ts:1: @midg/late-fusion (layer:model) imports @midg/nn/testing (layer:nn), but packages/baselines/late-fusion/package.json does not list @midg/nn in "dependencies"',
    'packages/baselines/late-fusion/src/index.ts:4: @midg/late-fusion (layer:model) imports @midg/orchestrator (layer:app): not allowed',
    'packages/features/package.json:7: @midg/features (layer:base) depends on (dependencies) @tensorflow/tfjs: not allowed (@midg/features may not use @tensorflow/*: feature data stays TF-free)',
    'packages/features/src/index.ts:1: @midg/features (layer:base) imports @tensorflow/tfjs: not allowed (@midg/features may not use @tensorflow/*: feature data stays TF-free)',
    'packages/features/src/index.ts:2: @midg/features (layer:base) imports @midg/metrics (layer:base): not allowed (@midg/features may import no @midg/* package: feature data stays TF-free)',
    'packages/midg/src/index.ts:2: @midg/midg (layer:model) imports @midg/late-fusion (layer:model): not allowed',
    'packages/midg/src/index.ts:3: @midg/midg (layer:model) imports @midg/metrics (layer:base), but packages/midg/package.json does not list @midg/metrics in "dependencies"',
    'packages/midg/src/index.ts:4: @midg/midg (layer:model) imports @midg/nope: no workspace project has that name',
    'packages/moie/package.json:8: @midg/moie (layer:module) depends on (dependencies) @midg/decoupling (layer:module): not allowed',
    'packages/moie/src/index.ts:2: @midg/moie (layer:module) imports @midg/decoupling (layer:module): not allowed',
    'packages/trainer/bench/profile.ts:1: @midg/trainer (layer:trainer) imports @midg/nn (layer:nn): not allowed',
    'packages/trainer/src/registry.ts:1: @midg/trainer (layer:trainer) imports @midg/midg (layer:model): not allowed',
    'packages/untagged/package.json:8: @midg/untagged has no layer:* tag in its package.json "nx" block; it needs exactly one of layer:base, layer:nn, layer:module, layer:trainer, layer:model, layer:app',
  ]);
});

test('a missing root directory is a usage error (exit 2), not a pass', () => {
  const { status, stderr } = check('does-not-exist');
  assert.equal(status, 2);
  assert.match(stderr, /cannot check/);
});

test('findImports: every import form, with lines; nothing from comments, strings, templates or regexes', () => {
  const source = [
    "import * as tf from '@tensorflow/tfjs';", // 1
    'import {', // 2
    '  a,', // 3
    "} from '@midg/nn';", // 4
    "import type { B } from '@midg/trainer/testing';", // 5
    "export * from './local.js';", // 6
    "import '@midg/side-effect';", // 7
    "const lazy = await import('@midg/lazy');", // 8
    "type T = typeof import('@midg/type-only');", // 9
    "const req = require('@midg/required');", // 10
    "// import { c } from '@midg/in-line-comment';", // 11
    "/* import d from '@midg/in-block-comment'; */", // 12
    "const s = \"import e from '@midg/in-string'\";", // 13
    "const t = `import f from '@midg/in-template' ${lazy} from '@midg/in-template-2'`;", // 14
    "const r = /import g from '@midg\\/in-regex'/g; const q = 1 / 2; export { a } from '@midg/after-division';", // 15
  ].join('\n');
  assert.deepEqual(findImports(source), [
    { specifier: '@tensorflow/tfjs', line: 1 },
    { specifier: '@midg/nn', line: 4 },
    { specifier: '@midg/trainer/testing', line: 5 },
    { specifier: './local.js', line: 6 },
    { specifier: '@midg/side-effect', line: 7 },
    { specifier: '@midg/lazy', line: 8 },
    { specifier: '@midg/type-only', line: 9 },
    { specifier: '@midg/required', line: 10 },
    { specifier: '@midg/after-division', line: 15 },
  ]);
});
