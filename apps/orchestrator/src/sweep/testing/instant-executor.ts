import { appendFileSync } from 'node:fs';
import type { Executor, ExecutorEvent, LaunchItem } from '../executors/executor';

export interface InstantOptions {
  /** Every execution appends `<key> <attempt>` here (O_APPEND: safe from several processes). */
  log?: string;
  /** Wall time of one attempt. */
  delayMs?: number;
  /** Attempts for which this returns a message fail with it (exit 1). */
  fail?: (item: LaunchItem) => string | undefined;
  slots?: number;
}

/** An executor that trains nothing: each attempt 'runs' two epochs and succeeds at once, with metrics from its seed. */
export function instantExecutor(options: InstantOptions = {}): Executor {
  return {
    name: 'instant',
    slots: options.slots ?? 4,
    async *launch(batch, context): AsyncIterable<ExecutorEvent> {
      for (const item of batch) {
        if (context.signal.aborted) return;
        const { run, attempt } = item;
        if (options.log) appendFileSync(options.log, `${run.key} ${attempt}\n`);
        yield { kind: 'started', key: run.key, attempt };
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        for (const epoch of [1, 2]) {
          yield {
            kind: 'epoch',
            key: run.key,
            attempt,
            event: { event: 'epoch', epoch, maxEpochs: 2, losses: { total: 1 / epoch }, learningRate: 0.001, valid: { MAE: 1 / epoch }, samplesPerSecond: 100 },
          };
        }
        const message = options.fail?.(item);
        if (message) {
          yield { kind: 'finished', key: run.key, attempt, outcome: { ok: false, exitCode: 1, signal: null, stderrTail: `midg: error: ${message}\n`, durationMs: 1 } };
          continue;
        }
        const result = {
          event: 'result' as const,
          spec: run.spec,
          key: run.key,
          config: run.config,
          test: { Has0_acc_2: 0.5 + run.spec.seed / 1e4, MAE: 1 - run.spec.seed / 1e4 },
          valid: { MAE: 0.5 },
          bestEpoch: 2,
          epochsRun: 2,
          durationMs: options.delayMs ?? 1,
          backend: 'instant',
        };
        yield { kind: 'finished', key: run.key, attempt, outcome: { ok: true, result, durationMs: options.delayMs ?? 1 } };
      }
    },
  };
}
