'use strict';
/**
 * Nx generator `baseline` of the local plugin (tools/nx-plugin/generators.json):
 *
 *   npx nx g ./tools/nx-plugin:baseline <name> [--description "..."] [--skipInstall] [--dry-run]
 *
 * writes packages/baselines/<name>/ from the templates in ./files (package.json, tsconfig.json,
 * configs/<name>.yaml, src/index.ts, src/model.ts, src/model.test.ts, README.md), adds @midg/<name> to
 * apps/orchestrator/package.json and registers the definition in apps/orchestrator/src/models.ts at its two
 * marker comments (MODELS_MARKERS). Every check runs before anything is written: a bad name, an existing
 * package, or models.ts without its markers is one error and no file changes.
 *
 * After Nx has written the files, the callback (skipped by --skipInstall and --dry-run) does what `npm install`
 * would do for a new workspace package, offline: the link node_modules/@midg/<name> -> ../../packages/baselines/<name>
 * and the package's entries in package-lock.json (`npm install --package-lock-only --offline`, which touches
 * nothing in node_modules, so packages installed with --no-save stay). Should the lockfile step fail, it says so
 * and asks for `npm install`.
 *
 * Plain CommonJS on the devkit that ships inside the `nx` package (nx/src/devkit-exports): no @nx/devkit.
 * Templates use Nx's conventions: `__name__` in file names, a `.template` suffix, `<%= key %>` in the text.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { logger, readJson, writeJson } = require('nx/src/devkit-exports');
const { listWorkspaceProjects } = require('../../lib/workspace.cjs');

const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const BASELINES_DIR = 'packages/baselines';
const APP_PACKAGE_JSON = 'apps/orchestrator/package.json';
const MODELS_FILE = 'apps/orchestrator/src/models.ts';
/** The marker comments in MODELS_FILE: new lines go right above each. */
const MODELS_MARKERS = { imports: '<baseline-imports>', definitions: '<baseline-definitions>' };
const TEMPLATES = path.join(__dirname, 'files');
const DEFAULT_DESCRIPTION = 'baseline (scaffold): masked mean per modality → Dense → MLP head, MSE; replace with the method';

/** The error every refusal throws: Nx prints its message as the command's one error. */
function refuse(message) {
  const error = new Error(`baseline generator: ${message}`);
  error.stack = ''; // a refusal, not a crash: no stack, and no "Pass --verbose to see the stacktrace"
  return error;
}

/** Identifiers derived from a kebab-case model name: demo-model → DemoModel, demoModel, DEMO_MODEL. */
function namesOf(name) {
  const words = name.split('-');
  const className = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return {
    name,
    className,
    camelName: className[0].toLowerCase() + className.slice(1),
    constantName: words.map((w) => w.toUpperCase()).join('_'),
  };
}

function tsString(text) {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\r?\n/g, ' ')}'`;
}

function render(template, values, file) {
  return template.replace(/<%=\s*(\w+)\s*%>/g, (_, key) => {
    if (!(key in values)) throw new Error(`template ${file}: unknown placeholder "${key}"`);
    return values[key];
  });
}

/** Template files below `dir`, relative and '/'-separated. */
function listTemplates(dir, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTemplates(dir, child));
    else if (entry.name.endsWith('.template')) out.push(child);
  }
  return out.sort();
}

/** MODELS_FILE with the import and the definition inserted above their markers; refuses what it cannot place. */
function registerInModels(text, names) {
  const definition = `${names.camelName}Definition`;
  const packageName = `@midg/${names.name}`;
  if (text.includes(`'${packageName}'`) || text.includes(`"${packageName}"`)) {
    throw refuse(`${MODELS_FILE} already imports ${packageName}`);
  }
  if (new RegExp(`\\b${definition}\\b`).test(text)) throw refuse(`${MODELS_FILE} already uses the name ${definition}`);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const at = {};
  for (const [key, marker] of Object.entries(MODELS_MARKERS)) {
    const found = lines.flatMap((line, i) => (line.includes(marker) && /^\s*\/\//.test(line) ? [i] : []));
    if (found.length !== 1) {
      throw refuse(
        `${MODELS_FILE} must have exactly one comment line containing "${marker}" (found ${found.length}); ` +
          `the generator inserts the ${key === 'imports' ? 'import' : 'definition'} above it. Restore the marker ` +
          `(see git log -p ${MODELS_FILE}) or register the model by hand.`,
      );
    }
    at[key] = found[0];
  }
  const indent = (i) => lines[i].match(/^\s*/)[0];
  const inserts = [
    [at.imports, `${indent(at.imports)}import { ${definition} } from '${packageName}';`],
    [at.definitions, `${indent(at.definitions)}${definition},`],
  ].sort((a, b) => b[0] - a[0]); // bottom first, so the upper index stays valid
  for (const [index, line] of inserts) lines.splice(index, 0, line);
  return lines.join(eol);
}

function sortedObject(record) {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The link npm makes for a workspace package: node_modules/@midg/<name> -> ../../packages/baselines/<name>. */
function linkWorkspacePackage(root, name) {
  const scopeDir = path.join(root, 'node_modules', '@midg');
  if (!fs.existsSync(scopeDir)) return `no ${path.relative(root, scopeDir)} (dependencies not installed): run npm install`;
  const link = path.join(scopeDir, name);
  const target = path.relative(scopeDir, path.join(root, BASELINES_DIR, name));
  let existing;
  try {
    existing = fs.readlinkSync(link);
  } catch (error) {
    if (error.code === 'EINVAL') return `node_modules/@midg/${name} exists and is not a link: remove it and run npm install`;
    if (error.code !== 'ENOENT') throw error;
  }
  if (existing === undefined) fs.symlinkSync(target, link, 'junction');
  else if (path.resolve(scopeDir, existing) !== path.resolve(scopeDir, target)) {
    return `node_modules/@midg/${name} links to ${existing}, not ${target}: remove it and run npm install`;
  }
  return null;
}

/** `npm install --package-lock-only --offline`: records the new workspace package in package-lock.json. */
function updateLockfile(root) {
  if (!fs.existsSync(path.join(root, 'package-lock.json'))) return 'no package-lock.json to update';
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' },
  );
  if (result.error) return `could not run npm: ${result.error.message}`;
  if (result.status !== 0) {
    const why = `${result.stderr}${result.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
    return `npm install --package-lock-only --offline failed (${why})`;
  }
  return null;
}

async function baselineGenerator(tree, options) {
  const name = String(options.name ?? '').trim();
  if (!NAME_PATTERN.test(name)) {
    throw refuse(
      `"${name}" is not a valid model name: use lower-case letters, digits and single dashes, starting with a letter ` +
        `(e.g. my-model, mult-2)`,
    );
  }
  const names = namesOf(name);
  const dir = `${BASELINES_DIR}/${name}`;
  const packageName = `@midg/${name}`;
  if (tree.exists(dir)) throw refuse(`${dir} already exists; choose another name or remove it first`);
  const existing = listWorkspaceProjects(tree.root).find((p) => p.packageJson.name === packageName);
  if (existing) throw refuse(`the workspace already has a package ${packageName} (${existing.root}); choose another name`);
  for (const file of [APP_PACKAGE_JSON, MODELS_FILE]) if (!tree.exists(file)) throw refuse(`${file} not found: run from the MIDG workspace`);
  const appPkg = readJson(tree, APP_PACKAGE_JSON);
  if (appPkg.dependencies?.[packageName]) throw refuse(`${APP_PACKAGE_JSON} already depends on ${packageName}`);
  const models = registerInModels(tree.read(MODELS_FILE, 'utf-8'), names);

  // The package.
  const description = (options.description ?? '').trim() || DEFAULT_DESCRIPTION;
  const values = { ...names, descriptionLiteral: tsString(description) };
  for (const file of listTemplates(TEMPLATES)) {
    const target = `${dir}/${file.replace(/\.template$/, '').replace(/__name__/g, name)}`;
    tree.write(target, render(fs.readFileSync(path.join(TEMPLATES, file), 'utf8'), values, file));
  }
  const tfjs = (tree.exists('packages/nn/package.json') && readJson(tree, 'packages/nn/package.json').dependencies?.['@tensorflow/tfjs']) || '^4.22.0';
  writeJson(tree, `${dir}/package.json`, {
    name: packageName,
    version: '0.1.0',
    private: true,
    description: `Baseline ${name} (packages/baselines/${name}/README.md: paper, reference code, porting choices).`,
    type: 'module',
    exports: { '.': './src/index.ts' },
    types: './src/index.ts',
    dependencies: { '@midg/features': '*', '@midg/nn': '*', '@midg/trainer': '*', '@tensorflow/tfjs': tfjs },
    devDependencies: { '@midg/backend': '*' },
    nx: { tags: ['layer:model', 'type:baseline'] },
  });

  // The app: its dependency and its model list.
  appPkg.dependencies = sortedObject({ ...appPkg.dependencies, [packageName]: '*' });
  writeJson(tree, APP_PACKAGE_JSON, appPkg);
  tree.write(MODELS_FILE, models);

  return () => {
    const done = [`${dir} written; ${packageName} added to ${APP_PACKAGE_JSON} and registered in ${MODELS_FILE}.`];
    const problems = [];
    if (options.skipInstall) {
      problems.push('--skipInstall: nothing linked and package-lock.json unchanged');
    } else {
      const linkProblem = linkWorkspacePackage(tree.root, name);
      if (linkProblem) problems.push(linkProblem);
      else done.push(`Linked node_modules/@midg/${name} -> ../../${dir}.`);
      const lockProblem = updateLockfile(tree.root);
      if (lockProblem) problems.push(lockProblem);
      else done.push(`Recorded ${packageName} in package-lock.json (npm install --package-lock-only --offline).`);
    }
    const lines = ['', ...done];
    if (problems.length > 0) {
      lines.push('', `Still to do: run \`npm install\` (it links ${packageName} and records it in package-lock.json; npm ci refuses a lockfile without it).`);
      for (const p of problems) lines.push(`  (${p})`);
    }
    lines.push(
      '',
      'Next:',
      `  npx nx test ${packageName}`,
      `  npx midg train --model ${name} --source synth:mosi:tiny --target synth:sims:tiny --set epochs=1`,
      `  then replace ${dir}/src/model.ts with the method and fill the TODOs of its README.md and configs/${name}.yaml.`,
    );
    logger.info(lines.join('\n'));
  };
}

module.exports = baselineGenerator;
module.exports.default = baselineGenerator;
module.exports.baselineGenerator = baselineGenerator;
module.exports.NAME_PATTERN = NAME_PATTERN;
module.exports.MODELS_MARKERS = MODELS_MARKERS;
