import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { MIDG_BIN } from '../bin-path';

// Every option and positional of every command says what it does: in `--help`, yargs prints an option's description
// between its name and its `[type]` brackets, so an undescribed one has only the brackets after its name.

/** The options and positionals of a help text that have no description (name → the text after it). */
export function undescribedOptions(help: string): string[] {
  const found: string[] = [];
  let section = '';
  for (const line of help.split('\n')) {
    const header = /^(\S.*):$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section === 'Commands' || section === 'Examples' || section === '') continue;
    // `  -h, --help  Show help  [boolean]`, `      --seed  [number]`, or a positional `  dataset  synth:...  [string]`.
    const entry = section === 'Positionals' ? /^ {2}([\w-]+)(?: {2,}(.*))?$/.exec(line) : /^\s+(?:-\w, )?(--[\w-]+)(?:\s+(.*))?$/.exec(line);
    if (!entry) continue;
    const rest = (entry[2] ?? '').trim();
    if (rest === '' || rest.startsWith('[')) found.push(`${entry[1]}${rest ? ` ${rest}` : ''}`);
  }
  return found;
}

const help = async (args: string[]): Promise<string> => {
  const result = await execa(process.execPath, [MIDG_BIN, ...args, '--help'], { reject: false, env: { CI: '1' } });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout;
};

describe('the help parser', () => {
  it('finds options and positionals that have only type brackets', () => {
    const text = [
      'midg data synth',
      '',
      'Positionals:',
      '  dataset  synth:<domain>[:<preset>], mmsa:<path> or an alias                [string] [required]',
      '  other                                                                      [string] [required]',
      '',
      'Options:',
      '      --version  Show version number                                                    [boolean]',
      '      --preset                            [string] [choices: "tiny", "paper"] [default: "tiny"]',
      '      --db       results database: an SQLite file, or a postgresql://user@host/database URL',
      '                                                                [string] [default: "results/x"]',
      '      --seed                                                               [number] [default: 0]',
      '  -h, --help     Show help                                                              [boolean]',
      '',
      'Examples:',
      '  midg data synth --preset tiny  [string] looks like an option but is an example',
    ].join('\n');
    assert.deepEqual(undescribedOptions(text), [
      'other [string] [required]',
      '--preset [string] [choices: "tiny", "paper"] [default: "tiny"]',
      '--seed [number] [default: 0]',
    ]);
  });
});

/** Every command and subcommand; each must list no undescribed option. */
const COMMANDS = [
  [],
  ['train'],
  ['data'],
  ['data', 'inspect'],
  ['data', 'synth'],
  ['eval'],
  ['bench'],
  ['models'],
  ['sweep'],
  ['query'],
  ['query', 'show'],
  ['tables'],
  ['db'],
  ['db', 'copy'],
];

describe('midg --help', () => {
  const texts = new Map<string, Promise<string>>();
  const name = (args: string[]): string => ['midg', ...args].join(' ');
  before(async () => {
    // Each help is a CLI start (a few seconds); three at a time.
    const queue = [...COMMANDS];
    const next = async (): Promise<void> => {
      for (let args = queue.shift(); args; args = queue.shift()) {
        const text = help(args);
        texts.set(name(args), text);
        await text.catch(() => undefined);
      }
    };
    await Promise.all([next(), next(), next()]);
  });
  for (const args of COMMANDS) {
    it(`${name(args)} --help describes every option`, async () => {
      assert.deepEqual(undescribedOptions(await texts.get(name(args))!), []);
    });
  }
});
