'use strict';
/**
 * Local Nx plugin (registered in nx.json "plugins"): gives every workspace project the shared targets
 * so that no package.json repeats them.
 *
 *   typecheck  `tsc -p tsconfig.json --noEmit` in the project root; cached. Only for projects with a
 *              tsconfig.json (all of them today).
 *   test       `node <workspace>/tools/run-tests.mjs src` in the project root; not cached (the old
 *              targetDefaults had `cache: false` too). Only for projects with at least one
 *              src/**\/*.test.ts: run-tests.mjs exits 1 when it finds no test files (that protects
 *              against a wrong directory), so a project without tests simply has no `test` target
 *              and `nx run-many -t test` skips it. `npx nx show projects --with-target test` lists the
 *              projects that do have tests.
 *
 * Why a plugin and not nx.json targetDefaults: Nx 24 applies targetDefaults only to targets that a
 * project already has from some other source (see createTargetDefaultsResults in
 * node_modules/nx/dist/src/project-graph/utils/project-configuration/target-defaults.js, which only
 * iterates over existing target names), so targetDefaults alone cannot add a target to a project.
 *
 * Targets declared in a package.json "nx" block (e.g. apps/orchestrator's `sweep`) are merged on top.
 * Plain CommonJS, no dependencies: Nx require()s it directly.
 */
const fs = require('node:fs');
const path = require('node:path');
const { listWorkspaceProjects } = require('../lib/workspace.cjs');

function hasTestFile(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && hasTestFile(path.join(dir, entry.name))) return true;
    } else if (entry.name.endsWith('.test.ts')) {
      return true;
    }
  }
  return false;
}

function inferTargets(workspaceRoot, projectRoot) {
  const abs = path.join(workspaceRoot, projectRoot);
  const targets = {};
  if (fs.existsSync(path.join(abs, 'tsconfig.json'))) {
    targets.typecheck = {
      command: 'tsc -p tsconfig.json --noEmit',
      options: { cwd: '{projectRoot}' },
      cache: true,
      inputs: ['default', '^default', { externalDependencies: ['typescript'] }],
      outputs: [],
      metadata: {
        description: 'Type-check the project: tsc -p tsconfig.json --noEmit (tools/nx-plugin)',
        technologies: ['typescript'],
      },
    };
  }
  if (hasTestFile(path.join(abs, 'src'))) {
    const runner = path.relative(abs, path.join(workspaceRoot, 'tools', 'run-tests.mjs')).split(path.sep).join('/');
    targets.test = {
      command: `node ${runner} src`,
      options: { cwd: '{projectRoot}' },
      cache: false,
      metadata: {
        description: 'Run src/**/*.test.ts with node:test under tsx: tools/run-tests.mjs (tools/nx-plugin)',
      },
    };
  }
  return targets;
}

const createNodesV2 = [
  '**/package.json',
  async (configFiles, _options, context) => {
    const workspaceRoot = context.workspaceRoot;
    const projectRoots = new Set(listWorkspaceProjects(workspaceRoot).map((p) => p.root));
    const results = [];
    for (const file of configFiles) {
      const projectRoot = path.posix.dirname(file.split(path.sep).join('/'));
      if (!projectRoots.has(projectRoot)) continue; // root package.json, test fixtures, ...
      const targets = inferTargets(workspaceRoot, projectRoot);
      if (Object.keys(targets).length === 0) continue;
      results.push([file, { projects: { [projectRoot]: { targets } } }]);
    }
    return results;
  },
];

module.exports = { name: 'midg-shared-targets', createNodesV2 };
