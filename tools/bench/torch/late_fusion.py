"""PyTorch 1.13 mirror of the project's late-fusion baseline and its training step, for a like-for-like throughput
ratio against `npx midg bench --model late-fusion --set hiddenDim=64 --set dropout=0.1` (the model's defaults).

Mirrors (file references are to the TS project):
  model   packages/baselines/late-fusion/src/model.ts: per modality nn's UnimodalEncoder (D->d, LN, residual FFN,
          masked mean || max, 2d->d, LN), then its MlpHead (d->d relu dropout->1); fusion logits w (zeros [M]);
          prediction = sum_m softmax(w)_m * y_m; loss MSE.
  step    trainer's trainStep with the trainer defaults (configs/training.yaml): global-norm clipping 1.0, no value
          clipping, Adam(1e-3, eps 1e-7 = TF.js float32 epsilon), as bench.ts sets it; the loss read back.
Init: glorot-uniform kernels, zero biases (nn's Dense); LayerNorm gamma 1, beta 0.

Usage: /usr/bin/python3 late_fusion.py [--threads 1] [--steps 20] [--warmup 3] [--batch 32] [--json]
       /usr/bin/python3 late_fusion.py --check     (parameter count against the TS model, 50-step loss decrease)
"""
import sys

from common import REFERENCE_SHAPES, Mlp, Trainer, UnimodalEncoder, main, nn, torch

# `npx tsx apps/orchestrator/bench/param-counts.ts late-fusion hiddenDim=64 dropout=0.1`
TS_TENSORS, TS_VALUES = 49, 144_262
CONFIG = dict(hiddenDim=64, dropout=0.1, learningRate=1e-3, gradClipNorm=1.0, gradClipValue=0.0)


class LateFusion(nn.Module):
    def __init__(self, dims, d, p):
        super().__init__()
        self.modalities = [m for m in ('t', 'a', 'v') if m in dims]
        # Registration order is the TS trainableVariables() order: encoders (t, a, v), heads (t, a, v), fusion logits.
        self.encoder = nn.ModuleDict({m: UnimodalEncoder(dims[m], d, p) for m in self.modalities})
        self.heads = nn.ModuleList([Mlp(d, [d], 1, dropout=p) for _ in self.modalities])
        self.fusion_logits = nn.Parameter(torch.zeros(len(self.modalities)))

    def forward(self, x, masks):
        per_modality = torch.stack([self.heads[i](self.encoder[m](x[m], masks[m])).reshape(-1)
                                    for i, m in enumerate(self.modalities)], 1)
        return (per_modality * torch.softmax(self.fusion_logits, 0)).sum(1)

    def loss(self, x, masks, labels):
        return ((labels - self(x, masks)) ** 2).mean()


def build():
    dims = {m: d for m, (_, d) in REFERENCE_SHAPES.items()}
    model = LateFusion(dims, CONFIG['hiddenDim'], CONFIG['dropout'])
    return model, Trainer(model, CONFIG['learningRate'], CONFIG['gradClipNorm'], CONFIG['gradClipValue'])


if __name__ == '__main__':
    sys.exit(main('late-fusion', __doc__.split('\n')[0], build, TS_TENSORS, TS_VALUES))
