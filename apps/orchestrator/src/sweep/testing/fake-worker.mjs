#!/usr/bin/env node
// A stand-in for `midg train` that follows the worker protocol, for the sweep runner's tests. Plain JavaScript on
// purpose: the tests start it dozens of times and tsx would add most of a second to every start.
//
//   node fake-worker.mjs [--plan <plan.json>] [--markers <dir>] train --run-spec <file.json> --json --events
//        [--checkpoint-dir <dir>] [--datasets <file>]
//   node fake-worker.mjs [...] train --run-spec <dir>/spec.json --run-dir <dir> [...]
//
// With --json --events it speaks the stdout protocol; with --run-dir it does what `midg train --run-dir` does:
// appends each epoch line to <dir>/events.jsonl and writes <dir>/result.json atomically (through a rename).
//
// --markers: every invocation writes <dir>/<run id>.<attempt>.<pid>.json ({ spec, argv }), so tests can count
// invocations; the attempt is how many markers of the same run existed before, plus one.
// --plan: { "rules": [{ "match": { "seed": 2, ... }, "attempts": [<behaviour>, ...] }] }. The first rule whose match
// fields (model, source, target, seed, or an override key) all equal the run's decides; attempt n uses
// attempts[n-1] (the last one when n is larger). Without a matching rule the run succeeds.
// Behaviours: { "do": "succeed", "delayMs": 0, "epochs": 2, "test": {...}, "valid": {...} } (delayMs: spread over the epochs)
//             { "do": "exit", "code": 3, "stderr": "..." }   { "do": "hang" }   { "do": "sigkill" }
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const all = process.argv.slice(2);
const trainAt = all.indexOf('train');
const leading = all.slice(0, Math.max(0, trainAt));
const argv = all.slice(Math.max(0, trainAt));
const option = (args, name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const runDir = option(argv, '--run-dir');
if (trainAt < 0 || (!runDir && (!argv.includes('--json') || !argv.includes('--events')))) {
  process.stderr.write(`midg: error: fake worker called with unexpected arguments: ${all.join(' ')}\n`);
  process.exit(2);
}
const spec = JSON.parse(readFileSync(option(argv, '--run-spec'), 'utf8'));
const runId = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12);

let attempt = 1;
const markers = option(leading, '--markers');
if (markers) {
  mkdirSync(markers, { recursive: true });
  attempt = readdirSync(markers).filter((name) => name.startsWith(`${runId}.`)).length + 1;
  // Written whole then renamed: tests poll this folder and must never read a half-written marker.
  const marker = join(markers, `${runId}.${attempt}.${process.pid}.json`);
  writeFileSync(`${marker}.tmp`, JSON.stringify({ spec, argv }));
  renameSync(`${marker}.tmp`, marker);
}

const planFile = option(leading, '--plan');
const plan = planFile ? JSON.parse(readFileSync(planFile, 'utf8')) : { rules: [] };
const fields = { model: spec.model, source: spec.source, target: spec.target, seed: spec.seed, ...spec.overrides };
const rule = plan.rules.find((candidate) => Object.entries(candidate.match).every(([key, value]) => fields[key] === value));
const behaviour = rule ? rule.attempts[Math.min(attempt, rule.attempts.length) - 1] : { do: 'succeed' };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const line = (message) => {
  if (!runDir) process.stdout.write(`${JSON.stringify(message)}\n`);
  else if (message.event === 'epoch') appendFileSync(join(runDir, 'events.jsonl'), `${JSON.stringify(message)}\n`);
  else {
    writeFileSync(join(runDir, 'result.json.tmp'), JSON.stringify(message));
    renameSync(join(runDir, 'result.json.tmp'), join(runDir, 'result.json'));
  }
};

process.stdout.write('fake worker: not a protocol line, to be ignored\n');
switch (behaviour.do) {
  case 'exit':
    process.stderr.write(behaviour.stderr ?? '');
    process.exit(behaviour.code);
    break;
  case 'sigkill':
    process.kill(process.pid, 'SIGKILL');
    break;
  case 'hang':
    setInterval(() => undefined, 1 << 30);
    break;
  case 'succeed': {
    const epochs = behaviour.epochs ?? 2;
    const started = Date.now();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      await sleep((behaviour.delayMs ?? 0) / epochs);
      line({ event: 'epoch', epoch, maxEpochs: epochs, losses: { total: 1 / epoch }, learningRate: 0.001, valid: { MAE: 1 / epoch }, samplesPerSecond: 100 });
    }
    const checkpointDir = option(argv, '--checkpoint-dir');
    if (checkpointDir) {
      mkdirSync(checkpointDir, { recursive: true });
      writeFileSync(join(checkpointDir, 'manifest.json'), JSON.stringify({ spec }));
    }
    const { key, ...runSpec } = spec;
    line({
      event: 'result',
      spec: runSpec,
      key: key ?? runId,
      config: { fake: true, ...spec.overrides },
      test: behaviour.test ?? { Has0_acc_2: 0.5 + spec.seed / 1e6, MAE: 0.9 },
      valid: behaviour.valid ?? { MAE: 0.8 },
      bestEpoch: epochs,
      epochsRun: epochs,
      durationMs: Date.now() - started,
      backend: 'fake',
      ...(checkpointDir ? { checkpoint: checkpointDir } : {}),
    });
    break;
  }
  default:
    process.stderr.write(`midg: error: fake worker: unknown behaviour ${JSON.stringify(behaviour)}\n`);
    process.exit(2);
}
