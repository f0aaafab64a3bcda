/**
 * The three properties that make the synthetic benchmark behave like the real problem, each checked with honest
 * closed-form probes on `tiny`. Every number is the mean over seeds 0, 1 and 2, so a property is a property of
 * the generator rather than of one draw. docs/synthetic-benchmark.md lists the values (bench/synthetic-probes.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYNTHETIC_DOMAINS, type SyntheticDomain } from './presets';
import type { RegressionScores } from './probes';
import {
  generateAllDomains,
  interactionProbeR2,
  labelProbeScores,
  meanScores,
  transferScores,
  type InteractionProbe,
  type LabelProbe,
} from './suite';

const SEEDS = [0, 1, 2];
const runs = SEEDS.map((seed) => generateAllDomains('tiny', seed));
const domainIndex = (domain: SyntheticDomain): number => SYNTHETIC_DOMAINS.indexOf(domain);
const mean = (values: number[]): number => values.reduce((sum, x) => sum + x, 0) / values.length;
const show = (s: RegressionScores): string => `R² ${s.r2.toFixed(3)} MAE ${s.mae.toFixed(3)} Non0 Acc2 ${(100 * s.non0Acc2).toFixed(1)}`;

test('(1) text is the most informative modality and text+audio+vision beats every single one', () => {
  const probes: LabelProbe[] = ['text', 'audio', 'vision', 'text+audio+vision'];
  const perRun = runs.map((run) => run.map((domain) => labelProbeScores(domain, probes)));
  const scores = (domain: SyntheticDomain, probe: LabelProbe): RegressionScores =>
    meanScores(perRun.map((run) => run[domainIndex(domain)]![probe]));
  for (const domain of SYNTHETIC_DOMAINS) {
    const text = scores(domain, 'text');
    const all = scores(domain, 'text+audio+vision');
    for (const other of ['audio', 'vision'] as const) {
      const single = scores(domain, other);
      const where = `${domain}: text ${show(text)} vs ${other} ${show(single)}`;
      assert.ok(text.r2 > single.r2 + 0.05 && text.mae < single.mae && text.non0Acc2 > single.non0Acc2 + 0.02, where);
      assert.ok(all.r2 > single.r2 + 0.2 && all.mae < single.mae && all.non0Acc2 > single.non0Acc2 + 0.05, `${domain}: all vs ${other}`);
    }
    assert.ok(all.r2 > text.r2 + 0.05 && all.mae < text.mae - 0.02, `${domain}: t+a+v ${show(all)} vs text ${show(text)}`);
  }
  // MOSI's labels are bimodal, so its sign is mostly decided by what text sees: Acc2 gains show across domains.
  const acc2 = (probe: LabelProbe): number => mean(SYNTHETIC_DOMAINS.map((d) => scores(d, probe).non0Acc2));
  assert.ok(acc2('text+audio+vision') > acc2('text') + 0.01, `Acc2 t+a+v ${acc2('text+audio+vision')} vs text ${acc2('text')}`);
});

test('(2) a label component is only recoverable from an audio×vision interaction', () => {
  const perRun = runs.map((run) => run.map(interactionProbeR2));
  for (const domain of SYNTHETIC_DOMAINS) {
    const r2 = (probe: InteractionProbe): number => mean(perRun.map((run) => run[domainIndex(domain)]![probe]));
    const cross = r2('t+a+v + audio×vision');
    const where = `${domain}: audio×vision R² ${cross.toFixed(3)}`;
    assert.ok(cross > 0.3, where);
    assert.ok(cross > r2('linear t+a+v') + 0.3, `${where} vs linear ${r2('linear t+a+v').toFixed(3)}`);
    assert.ok(r2('linear t+a+v') < 0.05, `${domain}: linear R² on c`);
    assert.ok(r2('t+a+v + audio×audio') < 0.05, `${domain}: audio×audio R² ${r2('t+a+v + audio×audio').toFixed(3)}`);
    assert.ok(r2('t+a+v + vision×vision') < 0.05, `${domain}: vision×vision R² ${r2('t+a+v + vision×vision').toFixed(3)}`);
  }
});

test('(3) a model trained on one domain loses accuracy on another, and the invariant channels transfer better', () => {
  const all = SYNTHETIC_DOMAINS.map((source) =>
    runs.map((run) => transferScores(run[domainIndex(source)]!.dataset, run.map((g) => g.dataset), 'tiny')),
  );
  const transfer = (source: SyntheticDomain, target: SyntheticDomain, channels: 'all channels' | 'invariant channels'): RegressionScores =>
    meanScores(all[domainIndex(source)]!.map((run) => run[channels][domainIndex(target)]!));

  for (const [source, target] of [['mosi', 'mosei'], ['sims', 'mosei'], ['mosei', 'sims']] as const) {
    const home = transfer(source, source, 'all channels');
    const away = transfer(source, target, 'all channels');
    const targetHome = transfer(target, target, 'all channels');
    const where = `${source}→${target}: home ${show(home)}, away ${show(away)}, ${target} in-domain ${show(targetHome)}`;
    assert.ok(home.r2 - away.r2 > 0.3 && home.non0Acc2 - away.non0Acc2 > 0.1, where);
    assert.ok(targetHome.r2 - away.r2 > 0.3 && targetHome.non0Acc2 - away.non0Acc2 > 0.05, where);
  }

  for (const source of SYNTHETIC_DOMAINS) {
    // The domain-specific cue is genuinely predictive at home: that is why a model picks it up.
    assert.ok(transfer(source, source, 'all channels').r2 > transfer(source, source, 'invariant channels').r2, `${source} home`);
  }
  // The pairs whose cues disagree in sign (see DOMAIN_STYLES.cue).
  for (const [source, target] of [['mosi', 'mosei'], ['mosei', 'mosi'], ['mosei', 'sims'], ['sims', 'mosei']] as const) {
    const everything = transfer(source, target, 'all channels');
    const invariant = transfer(source, target, 'invariant channels');
    const where = `${source}→${target}: all ${show(everything)} vs invariant ${show(invariant)}`;
    assert.ok(invariant.r2 > everything.r2 + 0.1 && invariant.mae < everything.mae && invariant.non0Acc2 > everything.non0Acc2, where);
  }
  // Labels on different native scales ([-3,3] vs [-1,1]) share one normalized mechanism.
  assert.ok(transfer('mosi', 'sims', 'invariant channels').r2 > 0.2 && transfer('sims', 'mosi', 'invariant channels').r2 > 0.4);
});
