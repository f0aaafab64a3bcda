// Tests for the local Nx plugin tools/nx-plugin/index.cjs on a throw-away workspace. Run: node --test tools/*.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import plugin from './nx-plugin/index.cjs';

function write(root, file, text) {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
}

test('test only where src has *.test.ts, typecheck only where tsconfig.json exists, nothing outside the workspaces', async () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-plugin-'));
  try {
    write(root, 'package.json', JSON.stringify({ workspaces: ['packages/*', 'packages/baselines/*'] }));
    write(root, 'packages/a/package.json', '{"name":"a"}');
    write(root, 'packages/a/tsconfig.json', '{}');
    write(root, 'packages/a/src/deep/x.test.ts', '');
    write(root, 'packages/b/package.json', '{"name":"b"}');
    write(root, 'packages/b/tsconfig.json', '{}');
    write(root, 'packages/b/src/index.ts', '');
    write(root, 'packages/baselines/c/package.json', '{"name":"c"}');
    write(root, 'packages/baselines/c/src/c.test.ts', '');
    write(root, 'tools/fixtures/d/package.json', '{"name":"d"}');
    write(root, 'tools/fixtures/d/src/d.test.ts', '');

    const [pattern, createNodes] = plugin.createNodesV2;
    assert.equal(pattern, '**/package.json');
    const files = ['package.json', 'packages/a/package.json', 'packages/b/package.json', 'packages/baselines/c/package.json', 'tools/fixtures/d/package.json'];
    const results = await createNodes(files, undefined, { workspaceRoot: root });
    const targets = Object.fromEntries(
      results.map(([file, { projects }]) => [file, Object.fromEntries(Object.entries(Object.values(projects)[0].targets).map(([k, v]) => [k, v.command]))]),
    );
    assert.deepEqual(targets, {
      'packages/a/package.json': { typecheck: 'tsc -p tsconfig.json --noEmit', test: 'node ../../tools/run-tests.mjs src' },
      'packages/b/package.json': { typecheck: 'tsc -p tsconfig.json --noEmit' },
      'packages/baselines/c/package.json': { test: 'node ../../../tools/run-tests.mjs src' },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
