"""PyTorch's side of packages/midg/bench/step-floor.ts: the MIDG step's matrix products, at the shapes the TS step
runs them (the JSON that step-floor.ts --shapes-out writes: [{batch, m, k, n}]), each timed alone on one thread
(least of --rounds), and PyTorch's rate on a 1024x1024x1024 product. Then the shared MIDG mirror's step
(../shared/bench/torch_midg_project.py, unchanged) under torch.profiler: its CPU time per step and the part of it
spent in products (aten::mm, addmm, bmm and their kernels), so the two sides' products can be set against each
other and against PyTorch's whole step.

  /usr/bin/python3 tools/bench/torch/products.py /tmp/midg-products.json [--rounds 5] [--steps 10]
"""
import argparse
import json
import os
import sys
import time

# ../shared/bench beside the repository, as in midg_cpu.py.
MIRROR_DIR = os.environ.get('MIDG_TORCH_MIRROR_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'shared', 'bench'))
sys.path.insert(0, MIRROR_DIR)

import torch_midg_project as mirror  # noqa: E402  (first: it caps the BLAS threads (one, no --threads here) before torch loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402

PRODUCT_OPS = {'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm'}


def least_seconds(fn, rounds):
    fn()
    best = float('inf')
    for _ in range(rounds):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def time_products(shapes, rounds):
    total = 0.0
    for p in shapes:
        a = torch.randn(p['batch'], p['m'], p['k']) if p['batch'] > 1 else torch.randn(p['m'], p['k'])
        b = torch.randn(p['batch'], p['k'], p['n']) if p['batch'] > 1 else torch.randn(p['k'], p['n'])
        total += least_seconds(lambda: torch.matmul(a, b), rounds)
    return total


def profile_step(steps):
    torch.manual_seed(1)
    dims = {m: d for m, (_, d) in mirror.REFERENCE_SHAPES.items()}
    model = mirror.Midg(dims, mirror.CONFIG)
    trainer = mirror.Trainer(model, mirror.CONFIG)
    data = mirror.random_data(32, mirror.REFERENCE_SHAPES)
    indices = np.arange(32)
    for _ in range(3):
        trainer.step(data, indices)
    start = time.process_time()
    for _ in range(steps):
        trainer.step(data, indices)
    step_ms = 1000 * (time.process_time() - start) / steps
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            trainer.step(data, indices)
    events = prof.key_averages()
    products_us = sum(e.cpu_time_total for e in events if e.key in PRODUCT_OPS)
    calls = sum(e.count for e in events if e.key in PRODUCT_OPS)
    return step_ms, products_us / 1000 / steps, calls / steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('shapes', help='the JSON written by step-floor.ts --shapes-out')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--steps', type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    step_ms, in_step_ms, calls = profile_step(args.steps)
    with open(args.shapes) as f:
        shapes = json.load(f)
    macs = sum(p['batch'] * p['m'] * p['k'] * p['n'] for p in shapes)
    alone_ms = 1000 * time_products(shapes, args.rounds)
    size = 1024
    a, b = torch.randn(size, size), torch.randn(size, size)
    square = least_seconds(lambda: a @ b, args.rounds)
    rows = [
        (f'the TS step\'s {len(shapes)} products ({macs / 1e6:.1f} M multiply-adds), each alone', f'{alone_ms:.1f} ms'),
        (f'PyTorch\'s rate on {size}x{size}x{size}', f'{size ** 3 / square / 1e9:.1f} GMAC/s'),
        ('the mirror\'s step (CPU time, no profiler)', f'{step_ms:.1f} ms'),
        (f'of which in products (profiler; {calls:.0f} calls per step)', f'{in_step_ms:.1f} ms'),
    ]
    print(f'PyTorch {torch.__version__}, 1 thread, CPU ms (least of {args.rounds} for the products)')
    for label, value in rows:
        print(f'{label:58s} {value}')
    print(json.dumps({'productsAloneMs': alone_ms, 'peakGmacPerSecond': size ** 3 / square / 1e9, 'stepCpuMs': step_ms,
                      'productsInStepMs': in_step_ms, 'productCallsPerStep': calls}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
