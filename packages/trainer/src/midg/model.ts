import type { ConfigRecord } from '../contract';
import type { DataInfo, SentimentModel } from '../model';

export function createMidg(_config: ConfigRecord, _info: DataInfo, _seed: number): SentimentModel {
  throw new Error('MIDG model assembly is being written');
}
