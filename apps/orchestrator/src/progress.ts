import cliProgress from 'cli-progress';
import type { EpochEvent } from '@midg/trainer';

export interface EpochProgress {
  epoch(event: EpochEvent): void;
  stop(): void;
}

/** A progress bar on a terminal; nothing at all when stderr is not a TTY (CI, pipes, sweep workers). */
export function createProgress(title: string): EpochProgress | undefined {
  if (!process.stderr.isTTY || process.env.CI) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} |{bar}| epoch {value}/{total} · loss {loss} · valid MAE {mae} · {rate} samples/s`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    epoch(event) {
      const payload = {
        loss: event.losses.total?.toFixed(4) ?? '-',
        mae: event.valid.MAE?.toFixed(4) ?? '-',
        rate: Math.round(event.samplesPerSecond),
      };
      if (!started) {
        bar.start(event.maxEpochs, event.epoch, payload);
        started = true;
        return;
      }
      bar.update(event.epoch, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
