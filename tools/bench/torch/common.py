"""Shared parts of the PyTorch mirrors of the project's baselines (late_fusion.py, mult.py): thread caps, layers
that mirror packages/nn (Dense init, Mlp, the unimodal encoder), the bench's random batch, and the timing loop with
the same definition of throughput as packages/trainer/src/bench.ts. The MIDG mirror is
../shared/bench/torch_midg_project.py (the same layers, written there first).
"""
import argparse
import json
import os
import sys
import time

# Thread caps must be in the environment before torch (and its OpenBLAS/OpenMP) is loaded.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument('--threads', type=int, default=1)
_known, _ = _pre.parse_known_args()
for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = str(_known.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=20, help='timed steps (bench.ts default 20)')
    ap.add_argument('--warmup', type=int, default=3, help='warm-up steps (bench.ts default 3)')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--check', action='store_true', help='shapes, parameter count against the TS model, loss decrease')
    return ap.parse_args()


REFERENCE_SHAPES = {'t': (50, 768), 'a': (50, 74), 'v': (50, 35)}  # bench.ts REFERENCE_SHAPES
TFJS_EPSILON = 1e-7  # tf.train.adam's default epsilon is the backend epsilon (1e-7 for float32)
MASKED_MAX_PENALTY = 1e9


def dense(din, dout, bias=True):
    """nn's Dense: glorot-uniform kernel, zero bias."""
    layer = nn.Linear(din, dout, bias=bias)
    nn.init.xavier_uniform_(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


class Mlp(nn.Module):
    """nn's Mlp: (dense -> relu -> dropout)* -> dense."""

    def __init__(self, din, hidden, dout, dropout=0.0):
        super().__init__()
        self.hidden = nn.ModuleList()
        prev = din
        for h in hidden:
            self.hidden.append(dense(prev, h))
            prev = h
        self.output = dense(prev, dout)
        self.p = dropout

    def forward(self, x):
        for layer in self.hidden:
            x = F.dropout(F.relu(layer(x)), self.p, self.training)
        return self.output(x)


class UnimodalEncoder(nn.Module):
    """nn's UnimodalEncoder: dense D->d, LayerNorm, residual FFN (d->2d relu dropout ->d), dropout, masked mean ||
    masked max over L, dense 2d->d, LayerNorm. Inputs pre-multiplied by the mask."""

    def __init__(self, din, d, p):
        super().__init__()
        self.projection = dense(din, d)
        self.projection_norm = nn.LayerNorm(d, eps=1e-5)
        self.feed_forward = Mlp(d, [2 * d], d, dropout=p)
        self.pooled_projection = dense(2 * d, d)
        self.output_norm = nn.LayerNorm(d, eps=1e-5)
        self.p = p

    def forward(self, x, mask):
        weights = mask.unsqueeze(2)
        projected = self.projection_norm(self.projection(x * weights))
        steps = F.dropout(projected + self.feed_forward(projected), self.p, self.training)
        masked = steps + (weights - 1) * MASKED_MAX_PENALTY
        mean = (steps * weights).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.output_norm(self.pooled_projection(torch.cat([mean, masked.amax(1)], 1)))


def random_data(batch, shapes, seed=7):
    rng = np.random.default_rng(seed)
    feats = {m: rng.uniform(-1, 1, size=(batch, l, d)).astype(np.float32) for m, (l, d) in shapes.items()}
    lengths = {m: np.full(batch, l, dtype=np.int64) for m, (l, _) in shapes.items()}
    labels = rng.uniform(-3, 3, size=batch).astype(np.float32)
    return feats, lengths, labels, 3.0


def make_batch(feats, lengths, labels, label_scale, indices):
    """trainer's makeBatch: the rows copied into fresh tensors, masks from lengths, labels divided by the scale."""
    x, masks = {}, {}
    for m, arr in feats.items():
        x[m] = torch.from_numpy(arr[indices])
        seq = arr.shape[1]
        masks[m] = torch.from_numpy((np.arange(seq)[None, :] < lengths[m][indices][:, None]).astype(np.float32))
    return x, masks, torch.from_numpy(labels[indices] / np.float32(label_scale))


class Trainer:
    """trainer's trainStep: forward, backward, clipping (global norm, then value), Adam; the loss read back."""

    def __init__(self, model, learning_rate, clip_norm, clip_value):
        self.model = model
        self.params = list(model.parameters())
        self.opt = torch.optim.Adam(self.params, lr=learning_rate, eps=TFJS_EPSILON)
        self.clip_norm, self.clip_value = clip_norm, clip_value

    def step(self, data, indices):
        x, masks, labels = make_batch(*data, indices)
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        loss = self.model.loss(x, masks, labels)
        loss.backward()
        if self.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.params, self.clip_norm)
        if self.clip_value > 0:
            torch.nn.utils.clip_grad_value_(self.params, self.clip_value)
        self.opt.step()
        return loss.item()


def count(params):
    return sum(p.numel() for p in params)


def check(name, model, trainer, ts_tensors, ts_values, batch):
    params = list(model.parameters())
    print(f'{name}: torch {len(params)} tensors, {count(params)} values; TS {ts_tensors} tensors, {ts_values} values')
    assert count(params) == ts_values, 'parameter count mismatch'
    assert len(params) == ts_tensors, 'tensor count mismatch'
    data = random_data(batch, REFERENCE_SHAPES)
    indices = np.arange(batch)
    history = [trainer.step(data, indices) for _ in range(50)]
    head, tail = np.mean(history[:5]), np.mean(history[-5:])
    print(f'mean loss, steps 1-5: {head:.4f}; steps 46-50: {tail:.4f}')
    assert tail < head, 'loss did not decrease'
    print('check OK')


def bench(name, args, build, make_data=None, parameters=None):
    """Times trainer.step over args.steps steps after args.warmup; make_data(batch) and parameters(model) default
    to this module's random_data and model.parameters() (the shared MIDG mirror brings its own)."""
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    torch.manual_seed(1)
    model, trainer = build()
    data = make_data(args.batch) if make_data else random_data(args.batch, REFERENCE_SHAPES)
    indices = np.arange(args.batch)
    for _ in range(args.warmup):
        trainer.step(data, indices)
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        trainer.step(data, indices)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    result = {
        'model': f'{name}-torch', 'threads': args.threads, 'torch': torch.__version__,
        'samplesPerSecond': args.steps * args.batch / elapsed, 'msPerStep': 1000 * elapsed / args.steps,
        'cpuMsPerStep': 1000 * cpu / args.steps, 'samplesPerCpuSecond': args.steps * args.batch / cpu,
        'steps': args.steps, 'batchSize': args.batch, 'params': count(parameters(model) if parameters else model.parameters()),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{name}: params {result['params']}; torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}: "
              f"{result['samplesPerSecond']:.1f} samples/s ({result['msPerStep']:.1f} ms/step, "
              f"{result['cpuMsPerStep']:.1f} CPU ms/step, over {args.steps} steps)")


def main(name, description, build, ts_tensors, ts_values):
    args = parse_args(description)
    if args.check:
        torch.manual_seed(1)
        model, trainer = build()
        check(name, model, trainer, ts_tensors, ts_values, args.batch)
    else:
        bench(name, args, build)
    return 0


if __name__ == '__main__':
    sys.exit('common.py is a library: run late_fusion.py or mult.py')
