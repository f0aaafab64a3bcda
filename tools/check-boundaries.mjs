#!/usr/bin/env node
/**
 * Module-boundary check for the workspace: which project may import which.
 *
 *   node tools/check-boundaries.mjs [rootDir]      (rootDir defaults to this repository)
 *
 * For every workspace project (root package.json "workspaces" globs, see tools/lib/workspace.cjs) it
 * reads the "layer:<x>" tag from the package.json "nx" block, then checks
 *   - every import of `@midg/<name>` (and subpaths such as `@midg/nn/testing`) in the .ts files under
 *     src/ and bench/: static imports, `import type`, `export ... from`, side-effect imports, dynamic
 *     `import()`, `import('...')` types and `require()`; comments, template-literal text and regular
 *     expressions are skipped;
 *   - every `@midg/*` entry of the package.json dependency fields;
 *   - the extra per-project rules of PROJECT_RULES (e.g. no `@tensorflow/*` in features);
 *   - that a source file imports a `@midg` package only if its package.json declares it: in
 *     "dependencies" (or "peerDependencies"/"optionalDependencies"); *.test.ts, *.bench.ts and bench/
 *     files may also use "devDependencies".
 * Prints one line per violation to stderr, `<file>:<line>: <project> (layer:x) imports <dep> (layer:y): not allowed`,
 * and exits 1; exits 0 when there is none. Plain Node ESM, no dependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import workspace from './lib/workspace.cjs';

// ---------------------------------------------------------------------------------------------------
// THE RULES. The layers, bottom to top, and the layers each one may import (its own project never
// counts). A layer that is not listed in its own row may not import other projects of that layer.
// ---------------------------------------------------------------------------------------------------
export const LAYER_RULES = {
  // backend, features, metrics: data, tensors backend, metrics
  'layer:base': ['layer:base'],
  // nn: layers and encoders on TensorFlow.js
  'layer:nn': ['layer:base'],
  // decoupling, moie, adapter: the method's modules; never each other
  'layer:module': ['layer:base', 'layer:nn'],
  // trainer: the model interface and training loop; it knows no model, so neither nn nor modules
  'layer:trainer': ['layer:base'],
  // midg and packages/baselines/*: the models; never another model, never the app
  'layer:model': ['layer:base', 'layer:nn', 'layer:module', 'layer:trainer'],
  // apps/orchestrator: anything
  'layer:app': ['*'],
};

// Extra rules for single projects (keyed by package name), on top of their layer's row.
//   noWorkspaceImports: may import no @midg package at all
//   forbiddenExternal:  package-name prefixes it may neither import nor depend on
export const PROJECT_RULES = {
  '@midg/features': { noWorkspaceImports: true, forbiddenExternal: ['@tensorflow/'], why: 'feature data stays TF-free' },
  '@midg/metrics': { noWorkspaceImports: true, forbiddenExternal: ['@tensorflow/'], why: 'metrics are plain numbers' },
};

const WORKSPACE_SCOPE = '@midg/';
const SCANNED_DIRS = ['src', 'bench'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];
const RUNTIME_DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
const ALL_DEP_FIELDS = [...RUNTIME_DEP_FIELDS, 'devDependencies'];

// ---------------------------------------------------------------------------------------------------
// Import scanning
// ---------------------------------------------------------------------------------------------------

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await', 'extends', 'as', 'satisfies',
]);

/**
 * `text` with comments, template-literal text and regular-expression literals replaced by spaces and
 * the contents of quoted strings by "#" (quotes kept), newlines kept, so that offsets and line numbers
 * stay valid and text inside strings cannot look like an import. findImports reads the specifiers
 * back from the original text at the same offsets.
 */
export function maskNonCode(text) {
  const out = text.split('');
  const n = text.length;
  const blank = (from, to, filler = ' ') => {
    for (let k = from; k < to && k < n; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = filler;
  };
  const templateDepths = []; // brace depth at which each open `${` was entered
  let depth = 0;
  let prev = ''; // last significant token: a word, or a punctuation character
  let i = 0;

  // From i (just after "`" or after the "}" closing a `${`), blank template text up to the closing
  // "`" or the next "${"; returns the index to continue from.
  const scanTemplate = (start) => {
    let k = start;
    while (k < n) {
      if (text[k] === '\\') k += 2;
      else if (text[k] === '`') {
        blank(start, k);
        prev = 'template';
        return k + 1;
      } else if (text[k] === '$' && text[k + 1] === '{') {
        blank(start, k);
        templateDepths.push(depth);
        prev = '{';
        return k + 2;
      } else k++;
    }
    blank(start, n);
    return n;
  };

  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      blank(i, end);
      i = end;
    } else if (c === '/' && d === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      blank(i, end);
      i = end;
    } else if (c === "'" || c === '"') {
      let k = i + 1;
      while (k < n && text[k] !== c && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      blank(i + 1, k, '#');
      i = k + 1;
      prev = 'string';
    } else if (c === '`') {
      i = scanTemplate(i + 1);
    } else if (c === '/' && regexMayStartAfter(prev)) {
      // regular-expression literal: up to the unescaped "/" outside a character class
      let k = i + 1;
      let inClass = false;
      while (k < n && text[k] !== '\n') {
        if (text[k] === '\\') k += 2;
        else if (text[k] === '[') (inClass = true), k++;
        else if (text[k] === ']') (inClass = false), k++;
        else if (text[k] === '/' && !inClass) break;
        else k++;
      }
      if (k < n && text[k] === '/') {
        k++;
        while (k < n && /[a-z]/i.test(text[k])) k++;
        blank(i, k);
        i = k;
        prev = 'regex';
      } else {
        prev = '/'; // not a regex after all: a division
        i++;
      }
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let k = i + 1;
      while (k < n && /[A-Za-z0-9_$]/.test(text[k])) k++;
      prev = text.slice(i, k);
      i = k;
    } else if (c === '{') {
      depth++;
      prev = c;
      i++;
    } else if (c === '}') {
      if (templateDepths.length > 0 && templateDepths[templateDepths.length - 1] === depth) {
        templateDepths.pop();
        i = scanTemplate(i + 1);
      } else {
        depth--;
        prev = c;
        i++;
      }
    } else {
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  }
  return out.join('');
}

function regexMayStartAfter(prev) {
  if (prev === '') return true;
  if (/^[A-Za-z0-9_$]/.test(prev)) return KEYWORDS_BEFORE_EXPRESSION.has(prev);
  return !(prev === ')' || prev === ']' || prev === '}' || prev === 'string' || prev === 'template' || prev === 'regex');
}

const IMPORT_PATTERNS = [
  // import x from 'm'; import type { X } from 'm'; import {\n a,\n b } from 'm'; export * from 'm'; export { a } from 'm'
  /\b(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
  // import 'm';
  /\bimport\s*(['"])([^'"\n]+)\1/g,
  // import('m'), import('m').Type, require('m'), import x = require('m')
  /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1/g,
];

/** The module specifiers imported by a TypeScript/JavaScript source: [{ specifier, line }] in source order. */
export function findImports(text) {
  const masked = maskNonCode(text);
  const found = new Map(); // offset of the specifier -> specifier
  for (const pattern of IMPORT_PATTERNS) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(masked); m; m = pattern.exec(masked)) {
      const offset = m.index + m[0].length - m[2].length - 1;
      found.set(offset, text.slice(offset, offset + m[2].length));
    }
  }
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') lineStarts.push(k + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([offset, specifier]) => ({ specifier, line: lineOf(offset) }));
}

/** `@midg/nn/testing` -> `@midg/nn`; `@tensorflow/tfjs` -> `@tensorflow/tfjs`; `yaml/x` -> `yaml`. */
export function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// ---------------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------------

function listSources(dir, rel, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) listSources(join(dir, entry.name), `${rel}/${entry.name}`, out);
    else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(`${rel}/${entry.name}`);
  }
  return out;
}

/** 1-based line of `"name":` inside the `"field": {` object of a package.json text (1 if not found). */
function lineInPackageJson(text, field, name) {
  const lines = text.split('\n');
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const fieldRe = new RegExp(`"${esc(field)}"\\s*:`);
  const nameRe = new RegExp(`"${esc(name)}"\\s*:`);
  const start = lines.findIndex((l) => fieldRe.test(l));
  for (let k = Math.max(start, 0); k < lines.length; k++) if (nameRe.test(lines[k])) return k + 1;
  return 1;
}

function layerOf(project) {
  return project.tags.filter((t) => t.startsWith('layer:'));
}

/**
 * Checks the workspace at `root`. Returns { violations: [{ file, line, message }], projects, files },
 * violations sorted by file and line; `message` is the whole printed line.
 */
export function checkBoundaries(root) {
  const projects = workspace.listWorkspaceProjects(root);
  const byPackage = new Map(projects.map((p) => [p.packageJson.name, p]));
  const violations = [];
  const report = (file, line, text) => violations.push({ file, line, message: `${file}:${line}: ${text}` });
  let files = 0;

  const layers = new Map();
  for (const project of projects) {
    const tags = layerOf(project);
    if (tags.length !== 1 || !(tags[0] in LAYER_RULES)) {
      const what = tags.length === 0 ? 'has no layer:* tag' : `has layer tags ${tags.join(', ')}`;
      report(project.packageJsonPath, lineInPackageJson(readFileSync(join(root, project.packageJsonPath), 'utf8'), 'nx', 'tags'),
        `${project.name} ${what} in its package.json "nx" block; it needs exactly one of ${Object.keys(LAYER_RULES).join(', ')}`);
    } else {
      layers.set(project, tags[0]);
    }
  }

  // Why `project` may not use package `dep` (a package name), or null if it may. `verb`: "imports" for
  // sources, "depends on (<field>)" for package.json entries.
  const forbidden = (project, dep, verb) => {
    const layer = layers.get(project);
    const rules = PROJECT_RULES[project.packageJson.name];
    if (dep.startsWith(WORKSPACE_SCOPE)) {
      const target = byPackage.get(dep);
      if (!target) return `${project.name} (${layer}) ${verb} ${dep}: no workspace project has that name`;
      if (target === project) return null;
      const targetLayer = layers.get(target) ?? 'no layer';
      const allowed = LAYER_RULES[layer] ?? [];
      if (!allowed.includes('*') && !allowed.includes(targetLayer)) {
        return `${project.name} (${layer}) ${verb} ${dep} (${targetLayer}): not allowed`;
      }
      if (rules?.noWorkspaceImports) {
        return `${project.name} (${layer}) ${verb} ${dep} (${targetLayer}): not allowed (${project.name} may import no ${WORKSPACE_SCOPE}* package: ${rules.why})`;
      }
      return null;
    }
    const prefix = rules?.forbiddenExternal?.find((p) => dep.startsWith(p));
    if (prefix) return `${project.name} (${layer}) ${verb} ${dep}: not allowed (${project.name} may not use ${prefix}*: ${rules.why})`;
    return null;
  };

  for (const project of projects) {
    if (!layers.has(project)) continue;
    const pkg = project.packageJson;
    const pkgText = readFileSync(join(root, project.packageJsonPath), 'utf8');

    // package.json dependency fields
    for (const field of ALL_DEP_FIELDS) {
      for (const dep of Object.keys(pkg[field] ?? {})) {
        const why = forbidden(project, dep, `depends on (${field})`);
        if (why) report(project.packageJsonPath, lineInPackageJson(pkgText, field, dep), why);
      }
    }

    // sources
    const runtimeDeps = new Set(RUNTIME_DEP_FIELDS.flatMap((f) => Object.keys(pkg[f] ?? {})));
    const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));
    for (const dir of SCANNED_DIRS) {
      for (const file of listSources(join(root, project.root, dir), `${project.root}/${dir}`, [])) {
        files++;
        const testOnly = dir === 'bench' || /\.(test|bench)\.[cm]?tsx?$/.test(file);
        for (const { specifier, line } of findImports(readFileSync(join(root, file), 'utf8'))) {
          const dep = packageOf(specifier);
          const why = forbidden(project, dep, 'imports');
          if (why) {
            report(file, line, why);
          } else if (dep.startsWith(WORKSPACE_SCOPE) && dep !== pkg.name && !runtimeDeps.has(dep) && !(testOnly && devDeps.has(dep))) {
            const fields = testOnly ? '"dependencies" or "devDependencies"' : '"dependencies"';
            report(file, line, `${project.name} (${layers.get(project)}) imports ${specifier} (${layers.get(byPackage.get(dep))}), but ${project.packageJsonPath} does not list ${dep} in ${fields}`);
          }
        }
      }
    }
  }

  violations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { violations, projects: projects.length, files };
}

function main(argv) {
  const root = resolve(argv[0] ?? fileURLToPath(new URL('..', import.meta.url)));
  let result;
  try {
    result = checkBoundaries(root);
  } catch (error) {
    console.error(`check-boundaries: cannot check ${root}: ${error.message}`);
    return 2;
  }
  const { violations, projects, files } = result;
  for (const v of violations) console.error(v.message);
  if (violations.length > 0) {
    console.error(`check-boundaries: ${violations.length} violation(s) in ${projects} projects (${files} source files); rules: LAYER_RULES in tools/check-boundaries.mjs`);
    return 1;
  }
  console.log(`check-boundaries: ${projects} projects, ${files} source files: no violations`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
