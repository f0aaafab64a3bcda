#!/usr/bin/env node
// A stand-in for `midg run-server` (run-server-protocol.ts) for the local executor's tests; plain JavaScript so that
// it starts fast. What a run does depends on its seed:
//   1: succeeds (two epoch lines, a result line whose config.pid is this process's pid)
//   2: fails as `midg train` does: `midg: error: boom` on stderr, run-end with exit code 1
//   3: the process kills itself with SIGKILL mid-run
//   4: hangs until killed
//   5: ends without a result line (run-end with exit code 0)
//   6: succeeds as 1 does, reporting a peak RSS of 1 TiB
//
//   node fake-run-server.mjs run-server
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

if (process.argv[2] !== 'run-server') {
  process.stderr.write(`fake run server: unexpected arguments ${process.argv.slice(2).join(' ')}\n`);
  process.exit(2);
}
const write = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const end = (exitCode, stderrTail = '') => write({ event: 'run-end', exitCode, stderrTail });

process.stdout.write('fake run server: not a protocol line, to be ignored\n');
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const { argv } = JSON.parse(line);
  const spec = JSON.parse(readFileSync(argv[argv.indexOf('--run-spec') + 1], 'utf8'));
  switch (spec.seed) {
    case 1:
    case 6: {
      for (const epoch of [1, 2]) write({ event: 'epoch', epoch, maxEpochs: 2, losses: { total: 1 / epoch }, learningRate: 0.001, valid: { MAE: 1 / epoch }, samplesPerSecond: 100 });
      const { key, ...runSpec } = spec;
      write({ event: 'result', spec: runSpec, key, config: { pid: process.pid }, test: { MAE: 0.9 }, valid: { MAE: 0.8 }, bestEpoch: 2, epochsRun: 2, durationMs: 1, backend: 'fake', ...(spec.seed === 6 ? { peakRssBytes: 2 ** 40 } : {}) });
      end(0);
      break;
    }
    case 2:
      process.stderr.write('midg: error: boom\n');
      end(1, 'midg: error: boom\n');
      break;
    case 3:
      process.stderr.write('about to die\n');
      process.kill(process.pid, 'SIGKILL');
      break;
    case 4:
      await new Promise(() => setInterval(() => undefined, 1 << 30));
      break;
    default:
      end(0);
  }
}
