import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The PostgreSQL server and Slurm cluster the tests need. They come from the environment tools/services.sh prints
// (MIDG_TEST_PG_URL, MIDG_TEST_SLURM, SLURM_CONF); when it is not set, the first test that needs them runs
// `tools/services.sh up` itself (starting them, and installing Debian's packages when missing) and takes its output.
// They stay up for later tests and runs; `tools/services.sh down` stops them. A test never skips for lack of them:
// if they cannot be started, it fails saying so.

const SERVICES = fileURLToPath(new URL('../../../../../tools/services.sh', import.meta.url));

function bringUp(): void {
  let output: string;
  try {
    output = execFileSync('bash', [SERVICES, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (error) {
    const { stderr, status } = error as { stderr?: string; status?: number };
    throw new Error(
      `these tests need PostgreSQL and Slurm, and \`tools/services.sh up\` failed (exit ${status ?? '?'}): ${String(stderr ?? '').trim()}\n` +
        'run `eval "$(tools/services.sh up)"` yourself to see why, or set MIDG_TEST_PG_URL, MIDG_TEST_SLURM and SLURM_CONF',
    );
  }
  for (const line of output.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) process.env[match[1]!] = match[2]!;
  }
}

/** The PostgreSQL server for tests: a URL to its maintenance database, where tests create their own databases. */
export function postgresTestUrl(): string {
  if (!process.env.MIDG_TEST_PG_URL) bringUp();
  return process.env.MIDG_TEST_PG_URL!;
}

/** Makes sure a Slurm cluster answers for this process and its children (SLURM_CONF is set when services.sh made it). */
export function requireSlurm(): void {
  if (!process.env.MIDG_TEST_SLURM) bringUp();
}
