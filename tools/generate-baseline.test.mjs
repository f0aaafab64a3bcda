// The baseline generator (tools/nx-plugin/baseline) end to end, in a temporary copy of this repository:
// `npx nx g ./tools/nx-plugin:baseline demo-model`, then the new model trains one epoch through the CLI
// (`midg train ... --json`, finite target MAE), `midg models` lists it, and the boundary check finds nothing new.
// The refusals (bad names, a taken name, models.ts without its markers) run in-process on an Nx tree and must
// write nothing; the same command run twice is refused through the CLI. No network: the generator's callback links
// the package and updates package-lock.json offline. About 30 s on 2 shared cores.
// Run: node --test tools/generate-baseline.test.mjs (part of `npm test`).
//
// The copy: every file git knows (tracked, and untracked but not ignored: the working tree as `git status` sees
// it) is copied; node_modules is NOT copied but rebuilt as a real directory whose entries are symlinks to the
// original's third-party packages, with a fresh @midg/ scope whose links point into the COPY's packages (the
// original's @midg links are relative, ../../packages/..., and through a symlinked node_modules would resolve
// to the original tree). The same for a workspace's own node_modules (apps/orchestrator has one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBoundaries } from './check-boundaries.mjs';
import workspace from './lib/workspace.cjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const GENERATOR = './tools/nx-plugin:baseline';
const ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'true', NX_TUI: 'false', FORCE_COLOR: '0', CI: 'true' };

/**
 * `into`: a real directory holding one symlink per entry of `from` (absolute targets), except the @midg scope,
 * which gets links to the workspace projects of `copyRoot` (relative, as npm makes them), and .bin, whose links
 * are re-made so that workspace bins point into the copy. Files (.package-lock.json) are copied, never linked:
 * nothing run in the copy may write into the original through a link.
 */
function linkNodeModules(from, into, copyRoot, projects) {
  mkdirSync(into, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(into, entry.name);
    if (entry.name === '@midg' || entry.name === '.cache') continue;
    if (entry.name === '.bin') {
      mkdirSync(target);
      for (const bin of readdirSync(source)) {
        const resolved = resolve(source, readlinkSync(join(source, bin)));
        const inWorkspace = resolve(from, '@midg');
        const pointsTo = resolved.startsWith(inWorkspace + '/') ? join(into, relative(from, resolved)) : resolved;
        symlinkSync(pointsTo, join(target, bin));
      }
    } else if (entry.isFile()) {
      copyFileSync(source, target);
    } else {
      symlinkSync(realpathSync(source), target);
    }
  }
  if (projects) {
    mkdirSync(join(into, '@midg'));
    for (const project of projects) {
      const name = project.packageJson.name;
      if (!name?.startsWith('@midg/')) continue;
      symlinkSync(relative(join(into, '@midg'), join(copyRoot, project.root)), join(into, name));
    }
  }
}

function copyWorkspace() {
  const copy = realpathSync(mkdtempSync(join(tmpdir(), 'midg-generate-')));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const source = join(ROOT, file);
    let stat;
    try {
      stat = lstatSync(source);
    } catch {
      continue; // deleted in the working tree
    }
    if (!stat.isFile()) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(source, join(copy, file));
  }
  const projects = workspace.listWorkspaceProjects(copy);
  linkNodeModules(join(ROOT, 'node_modules'), join(copy, 'node_modules'), copy, projects);
  for (const project of projects) {
    const nested = join(ROOT, project.root, 'node_modules');
    if (existsSync(nested)) linkNodeModules(nested, join(copy, project.root, 'node_modules'), copy, null);
  }
  return copy;
}

/** Runs a command to completion (asynchronously, so that independent ones overlap): { status, out, stdout }. */
function run(cwd, command, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, out: `${stdout}${stderr}`, stdout }));
  });
}

const nxGenerate = (cwd, ...args) => run(cwd, 'npx', ['--no-install', 'nx', 'g', GENERATOR, ...args, '--no-interactive']);

/** Runs the copy's generator in-process on an Nx tree (nothing is flushed to disk): its error, and the tree. */
async function generateInMemory(copy, options, edit = () => {}) {
  const require = createRequire(join(copy, 'package.json'));
  const { FsTree } = require('nx/src/generators/tree');
  const generator = require(join(copy, 'tools/nx-plugin/baseline/generator.cjs'));
  const tree = new FsTree(copy, false);
  edit(tree);
  const changesBefore = tree.listChanges().length;
  try {
    await generator(tree, options);
  } catch (error) {
    assert.equal(tree.listChanges().length, changesBefore, 'a refusal writes nothing');
    return { error, tree };
  }
  return { error: undefined, tree };
}

test('nx g ./tools/nx-plugin:baseline demo-model: a package that trains, is listed and keeps the boundaries', { timeout: 180_000 }, async (t) => {
  const started = Date.now();
  const lap = (what) => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const copy = copyWorkspace();
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  lap('copy');

  // Refusals, in-process: one error each, before anything is written.
  const refusals = [
    [{ name: 'Demo_Model' }, /^baseline generator: "Demo_Model" is not a valid model name: use lower-case letters, digits and single dashes, starting with a letter/],
    [{ name: '2d-net' }, /"2d-net" is not a valid model name/],
    [{ name: 'demo--model' }, /"demo--model" is not a valid model name/],
    [{ name: 'late-fusion' }, /^baseline generator: packages\/baselines\/late-fusion already exists; choose another name or remove it first$/],
    [{ name: 'trainer' }, /^baseline generator: the workspace already has a package @midg\/trainer \(packages\/trainer\); choose another name$/],
  ];
  for (const [options, expected] of refusals) {
    const { error } = await generateInMemory(copy, options);
    assert.match(error?.message ?? 'no error', expected);
  }
  const withoutMarkers = await generateInMemory(copy, { name: 'demo-model' }, (tree) => {
    const models = tree.read('apps/orchestrator/src/models.ts', 'utf-8');
    tree.write('apps/orchestrator/src/models.ts', models.replace(/^.*<baseline-definitions>.*\n/m, ''));
  });
  assert.match(withoutMarkers.error?.message ?? 'no error', /must have exactly one comment line containing "<baseline-definitions>" \(found 0\)/);
  const dry = await generateInMemory(copy, { name: 'demo-model', skipInstall: true });
  assert.equal(dry.error, undefined);
  assert.deepEqual(
    dry.tree.listChanges().map((c) => `${c.type} ${c.path}`).sort(),
    [
      'CREATE packages/baselines/demo-model/README.md',
      'CREATE packages/baselines/demo-model/configs/demo-model.yaml',
      'CREATE packages/baselines/demo-model/package.json',
      'CREATE packages/baselines/demo-model/src/index.ts',
      'CREATE packages/baselines/demo-model/src/model.test.ts',
      'CREATE packages/baselines/demo-model/src/model.ts',
      'CREATE packages/baselines/demo-model/tsconfig.json',
      'UPDATE apps/orchestrator/package.json',
      'UPDATE apps/orchestrator/src/models.ts',
    ],
  );
  lap('refusals');

  // The one command.
  const violationsBefore = checkBoundaries(copy).violations.map((v) => v.message);
  const generated = await nxGenerate(copy, 'demo-model');
  assert.equal(generated.status, 0, generated.out);
  assert.match(generated.out, /Linked node_modules\/@midg\/demo-model/);
  lap('nx g');
  const dir = join(copy, 'packages/baselines/demo-model');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, '@midg/demo-model');
  assert.deepEqual(Object.keys(pkg.dependencies), ['@midg/features', '@midg/nn', '@midg/trainer', '@tensorflow/tfjs']);
  assert.deepEqual(pkg.devDependencies, { '@midg/backend': '*' });
  assert.deepEqual(pkg.nx.tags, ['layer:model', 'type:baseline']);
  const yaml = readFileSync(join(dir, 'configs/demo-model.yaml'), 'utf8');
  assert.match(yaml, /^datasets:\n {2}mosi: \{\}\n {2}mosei: \{\}\n {2}sims: \{\}$/m);
  assert.match(yaml, /section of the \*source\* dataset applies/);
  assert.match(readFileSync(join(dir, 'src/model.test.ts'), 'utf8'), /modelContractSuite\(demoModelDefinition/);
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /\*\*Paper:\*\* TODO[\s\S]*\*\*Reference code:\*\* TODO[\s\S]*## Porting choices/);
  const app = JSON.parse(readFileSync(join(copy, 'apps/orchestrator/package.json'), 'utf8'));
  assert.equal(app.dependencies['@midg/demo-model'], '*');
  assert.deepEqual(Object.keys(app.dependencies), Object.keys(app.dependencies).sort(), 'dependencies stay sorted');
  const models = readFileSync(join(copy, 'apps/orchestrator/src/models.ts'), 'utf8');
  assert.match(models, /import \{ demoModelDefinition \} from '@midg\/demo-model';\n\/\/ <baseline-imports>/);
  assert.match(models, /\n {2}demoModelDefinition,\n {2}\/\/ <baseline-definitions>/);
  // The callback linked the package and recorded it in the lockfile, offline.
  assert.equal(readlinkSync(join(copy, 'node_modules/@midg/demo-model')), '../../packages/baselines/demo-model');
  const lock = JSON.parse(readFileSync(join(copy, 'package-lock.json'), 'utf8'));
  assert.deepEqual(lock.packages['node_modules/@midg/demo-model'], { resolved: 'packages/baselines/demo-model', link: true });
  assert.equal(lock.packages['packages/baselines/demo-model']?.name, '@midg/demo-model');
  assert.equal(lock.packages['apps/orchestrator'].dependencies['@midg/demo-model'], '*');

  // The boundary check finds nothing new on the copy with the new package (in a clean checkout: nothing at all;
  // with work in progress in the tree, whatever that already breaks is not this test's concern).
  const violationsAfter = checkBoundaries(copy).violations.map((v) => v.message);
  assert.deepEqual(violationsAfter.filter((v) => !violationsBefore.includes(v)), []);

  // Together: one epoch through the CLI (the app's model list), `midg models`, and the same command again (refused).
  const midg = (...args) => run(copy, process.execPath, ['apps/orchestrator/bin/midg.js', ...args]);
  const [trained, listed, again] = await Promise.all([
    midg('train', '--model', 'demo-model', '--source', 'synth:mosi:tiny', '--target', 'synth:sims:tiny', '--set', 'epochs=1', '--json'),
    midg('models', '--json'),
    nxGenerate(copy, 'demo-model', '--dry-run'),
  ]);
  lap('train, models, nx g again');
  assert.equal(trained.status, 0, trained.out);
  const result = JSON.parse(trained.stdout);
  assert.ok(Number.isFinite(result.test?.MAE), `target MAE is finite: ${JSON.stringify(result.test)}`);
  assert.equal(result.epochsRun, 1);
  assert.equal(listed.status, 0, listed.out);
  const row = JSON.parse(listed.stdout).find((m) => m.name === 'demo-model');
  assert.ok(row, 'midg models lists demo-model');
  assert.deepEqual(Object.keys(row.datasets), ['mosi', 'mosei', 'sims']);
  assert.deepEqual(Object.keys(row.allowed), ['hiddenDim', 'dropout']);
  assert.equal(again.status, 1, again.out);
  assert.match(again.out, /baseline generator: packages\/baselines\/demo-model already exists/);
  assert.doesNotMatch(again.out, /stacktrace/, 'a refusal is one message, not a crash');
});
