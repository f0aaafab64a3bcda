'use strict';
/**
 * The workspace's projects, for tools/nx-plugin and tools/check-boundaries.mjs.
 *
 * A project is a directory matched by a glob of the root package.json "workspaces" field that holds a
 * package.json: the rule npm uses, and the one Nx's built-in package.json plugin uses to decide which
 * package.json files are projects. Supported globs: path segments with `*` / `?` wildcards
 * (`packages/*`, `packages/baselines/*`, `apps/*`) and `!`-negations of those. `**` is refused with an
 * error rather than half-supported.
 *
 * CommonJS with no dependencies so that Nx can require() the plugin that uses it and ESM can import it.
 */
const fs = require('node:fs');
const path = require('node:path');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The "workspaces" globs of `<root>/package.json` (array form or yarn's `{ packages: [...] }`). */
function workspaceGlobs(root) {
  const pkg = readJson(path.join(root, 'package.json'));
  const ws = pkg.workspaces;
  if (Array.isArray(ws)) return ws;
  if (ws && Array.isArray(ws.packages)) return ws.packages;
  return [];
}

function segmentRegExp(segment) {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function isDir(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Directories (relative, '/'-separated) matching one workspace glob, whether or not they hold a package.json. */
function expandGlob(root, glob) {
  const segments = glob.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s.includes('**'))) {
    throw new Error(`workspace glob "${glob}": "**" is not supported by tools/lib/workspace.cjs`);
  }
  let dirs = [''];
  for (const segment of segments) {
    const next = [];
    const wild = /[*?]/.test(segment);
    const re = wild ? segmentRegExp(segment) : null;
    for (const dir of dirs) {
      if (!wild) {
        const candidate = dir ? `${dir}/${segment}` : segment;
        if (isDir(path.join(root, candidate))) next.push(candidate);
        continue;
      }
      let entries;
      try {
        entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        if (re.test(entry.name)) next.push(dir ? `${dir}/${entry.name}` : entry.name);
      }
    }
    dirs = next;
  }
  return dirs;
}

/**
 * Every workspace project of `root`, sorted by directory:
 * { root: 'packages/nn', packageJsonPath: 'packages/nn/package.json', packageJson, name, tags }.
 * `name` is the Nx project name (package.json "nx".name if set, else the package name).
 */
function listWorkspaceProjects(root) {
  const include = new Set();
  const exclude = new Set();
  for (const glob of workspaceGlobs(root)) {
    if (glob.startsWith('!')) for (const dir of expandGlob(root, glob.slice(1))) exclude.add(dir);
    else for (const dir of expandGlob(root, glob)) include.add(dir);
  }
  const projects = [];
  for (const dir of [...include].sort()) {
    if (exclude.has(dir)) continue;
    const packageJsonPath = `${dir}/package.json`;
    const abs = path.join(root, packageJsonPath);
    if (!fs.existsSync(abs)) continue;
    const packageJson = readJson(abs);
    const nx = packageJson.nx ?? {};
    projects.push({
      root: dir,
      packageJsonPath,
      packageJson,
      name: nx.name ?? packageJson.name ?? dir,
      tags: Array.isArray(nx.tags) ? nx.tags : [],
    });
  }
  return projects;
}

module.exports = { listWorkspaceProjects, workspaceGlobs };
