"""The MIDG mirror (../shared/bench/torch_midg_project.py) timed like the mirrors here: its own model and
training step, unchanged, with the CPU time per step added to its JSON (time.process_time), so
side_by_side.sh midg can report a CPU-time ratio as well. Same arguments as the mirror's bench mode.
"""
import os
import sys

# ../shared/bench beside the repository (the workspace's layout), unless MIDG_TORCH_MIRROR_DIR says otherwise.
MIRROR_DIR = os.environ.get('MIDG_TORCH_MIRROR_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'shared', 'bench'))
sys.path.insert(0, MIRROR_DIR)
import torch_midg_project as mirror  # noqa: E402  (sets the thread caps from --threads before loading torch)
import common  # noqa: E402  (after the mirror: torch is loaded with its caps)


def main():
    args = mirror.argparse.ArgumentParser()
    args.add_argument('--threads', type=int, default=1)
    args.add_argument('--steps', type=int, default=20)
    args.add_argument('--warmup', type=int, default=3)
    args.add_argument('--batch', type=int, default=32)
    args.add_argument('--json', action='store_true')
    a = args.parse_args()

    def build():
        dims = {m: d for m, (_, d) in mirror.REFERENCE_SHAPES.items()}
        model = mirror.Midg(dims, mirror.CONFIG)
        return model, mirror.Trainer(model, mirror.CONFIG)

    common.bench('midg', a, build, make_data=lambda batch: mirror.random_data(batch, mirror.REFERENCE_SHAPES),
                 parameters=lambda model: model.main_parameters())
    return 0


if __name__ == '__main__':
    sys.exit(main())
