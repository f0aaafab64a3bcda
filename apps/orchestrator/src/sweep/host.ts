import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RunHostInfo } from '../db';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function readPackageVersion(file: string): [string, string] | undefined {
  if (!existsSync(file)) return undefined;
  const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
  return name && version ? [name, version] : undefined;
}

/** Versions of the workspace packages and of TensorFlow.js, which decide what a run computes. */
function packageVersions(): Record<string, string> {
  const files = ['packages', 'apps'].flatMap((folder) => {
    const dir = join(REPO_ROOT, folder);
    return existsSync(dir) ? readdirSync(dir).map((entry) => join(dir, entry, 'package.json')) : [];
  });
  const tensorflow = join(REPO_ROOT, 'node_modules', '@tensorflow');
  if (existsSync(tensorflow)) files.push(...readdirSync(tensorflow).map((entry) => join(tensorflow, entry, 'package.json')));
  const versions = Object.fromEntries(files.map(readPackageVersion).filter((entry) => entry !== undefined));
  return { node: process.versions.node, ...versions };
}

async function git(...args: string[]): Promise<string | undefined> {
  const result = await execa('git', args, { cwd: REPO_ROOT, reject: false });
  return result.exitCode === 0 ? String(result.stdout).trim() : undefined;
}

/** Where runs are executed and from what code: recorded on every run as it starts. */
export async function collectHostInfo(): Promise<RunHostInfo> {
  const [commit, changes] = await Promise.all([git('rev-parse', 'HEAD'), git('status', '--porcelain', '--untracked-files=no')]);
  return { host: hostname(), gitCommit: commit ?? null, gitDirty: Boolean(changes), packageVersions: packageVersions() };
}
