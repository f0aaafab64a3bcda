/**
 * Where a MIDG training step spends its time, phase by phase, on random data of the reference shape (batch 32;
 * text 50×768, audio 50×74, vision 50×35; d = 64, 4 heads, K = 4): copying the batch in, the forward pass, the
 * backward pass, clipping + Adam, and the model's afterStep (the CLUB nets' own Adam step). Each phase is timed
 * in wall-clock time and in this process's CPU time (process.cpuUsage): on a shared machine the CPU time is the
 * steadier figure, since waiting for a core does not count.
 *
 *   cd packages/midg && node --import tsx bench/step-profile.ts [--steps 20] [--set key=value ...]
 *
 * Prints figures; not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { disposeBatch, makeBatch, modelOnRandomBatch, parseBenchArgs, registerModels, startStopwatch, type Batch, type ConfigRecord } from '@midg/trainer';
import { midgDefinition } from '../src/index';

// --set values stay strings: resolveRun types them against the config defaults, as `midg train --set` does.
const args = parseBenchArgs('step-profile', process.argv.slice(2), { numbers: { steps: 20 } });
const { steps } = args.numbers;
const overrides: ConfigRecord = { hiddenDim: 64, heads: 4, experts: 4, ...args.overrides };

await useBackend('wasm', { threads: 1 });
registerModels([midgDefinition]);
const n = 32;
const { model, optimizer, training, view, indices } = modelOnRandomBatch({ model: 'midg', overrides, batchSize: n });
const variables = model.trainableVariables();

const PHASES = ['batch', 'forward', 'backward', 'clip + Adam', 'afterStep'] as const;
type Phase = (typeof PHASES)[number];
const wall: Record<Phase, number> = { batch: 0, forward: 0, backward: 0, 'clip + Adam': 0, afterStep: 0 };
const cpu: Record<Phase, number> = { ...wall };
let timing = false;

/** Runs fn, adding its wall and CPU milliseconds to the phase (when timing); fn forces its results. */
function phase<T>(name: Phase, fn: () => T): T {
  const elapsed = startStopwatch();
  const result = fn();
  if (timing) {
    const { wallMs, cpuMs } = elapsed();
    wall[name] += wallMs;
    cpu[name] += cpuMs;
  }
  return result;
}

/**
 * One training step as trainStep runs it. The forward pass is run once on its own (then discarded) to time it
 * apart from the backward pass; 'backward' is variableGrads' time minus that. Results are read back to force them.
 */
function step(i: number): void {
  const context = { step: i, epoch: 1, progress: 0 };
  const batch: Batch = phase('batch', () => makeBatch(view, indices));
  const probe = startStopwatch();
  tf.tidy(() => void model.losses(batch, context).total.dataSync());
  const forward = probe();
  const { value, grads } = phase('backward', () => {
    const result = tf.variableGrads(() => model.losses(batch, context).total, variables);
    for (const g of Object.values(result.grads)) g.dataSync();
    return result;
  });
  if (timing) {
    wall.forward += forward.wallMs;
    cpu.forward += forward.cpuMs;
    wall.backward -= forward.wallMs;
    cpu.backward -= forward.cpuMs;
  }
  phase('clip + Adam', () => {
    optimizer.apply(grads, training);
    variables[variables.length - 1]!.dataSync();
  });
  phase('afterStep', () => model.afterStep?.(batch, context));
  tf.dispose([value, ...Object.values(grads)]);
  disposeBatch(batch);
}

for (let i = 0; i < 3; i++) step(i);
timing = true;
const started = performance.now();
for (let i = 0; i < steps; i++) step(3 + i);
const elapsed = performance.now() - started;
const totalWall = PHASES.reduce((sum, p) => sum + wall[p], 0);
const totalCpu = PHASES.reduce((sum, p) => sum + cpu[p], 0);
console.log(`MIDG step profile, wasm 1 thread, batch ${n}, ${variables.length} weight tensors, config ${JSON.stringify(overrides)}, ${steps} steps`);
console.log(`${'phase'.padEnd(14)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'cpu share'.padStart(9)}`);
for (const p of PHASES) {
  console.log(`${p.padEnd(14)} ${(wall[p] / steps).toFixed(1).padStart(9)} ${(cpu[p] / steps).toFixed(1).padStart(9)} ${((100 * cpu[p]) / totalCpu).toFixed(0).padStart(8)}%`);
}
console.log(`${'step'.padEnd(14)} ${(totalWall / steps).toFixed(1).padStart(9)} ${(totalCpu / steps).toFixed(1).padStart(9)}`);
console.log(`${((n * 1000 * steps) / totalCpu).toFixed(1)} samples per CPU second (${((n * 1000 * steps) / totalWall).toFixed(1)} per wall second; the extra forward pass excluded; ${(elapsed / 1000).toFixed(1)} s in all)`);
optimizer.dispose();
model.dispose();
