#!/usr/bin/env bash
# Side-by-side training-step throughput of one model: the project's TF.js model (`npx midg bench --model <name>`)
# against its PyTorch 1.13 mirror, both single-threaded, alternating ROUNDS times (default 3), as
# ../shared/bench/side_by_side.sh does for MIDG. Prints each run, then the median samples/s of each side and the
# ratio TS / PyTorch; when both sides report CPU time per step (bench.ts and the mirrors here do), the ratio of the
# median CPU times too, which a shared machine disturbs less (waiting for a core is not CPU time).
#
# Usage: tools/bench/torch/side_by_side.sh <model> <project-checkout> [rounds=3] [timed-steps=20] [warmup=3]
#   model: late-fusion | mult (mirrors in this directory) | midg (../shared/bench/torch_midg_project.py, timed by midg_cpu.py)
# The TS config is passed explicitly (--set), so it is the mirror's whatever the bench command's defaults are.
# PyTorch comes from Debian (apt-get install -y python3-torch; /usr/bin/python3); with the reference BLAS that
# libblas3 provides it is several times slower than with OpenBLAS (libopenblas0-pthread), so say which is installed
# where a ratio is recorded (`update-alternatives --display libblas.so.3-x86_64-linux-gnu`).
set -euo pipefail
model=${1:?usage: side_by_side.sh <late-fusion|mult|midg> <project-checkout> [rounds] [steps] [warmup]}
checkout=${2:?usage: side_by_side.sh <late-fusion|mult|midg> <project-checkout> [rounds] [steps] [warmup]}
rounds=${3:-3}
steps=${4:-20}
warmup=${5:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=/usr/bin/python3   # has torch 1.13; the python3 on PATH may not
checkout=$(cd "$checkout" && pwd)

case $model in
  late-fusion) mirror=("$here/late_fusion.py"); sets=(--set hiddenDim=64 --set dropout=0.1) ;;
  mult) mirror=("$here/mult.py"); sets=(--set hiddenDim=50 --set heads=10) ;;
  midg) mirror=("$here/midg_cpu.py"); sets=(--set hiddenDim=64 --set heads=4 --set experts=4) ;;
  *) echo "side_by_side.sh: model must be late-fusion, mult or midg, got \"$model\"" >&2; exit 2 ;;
esac

field() { "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get(sys.argv[2], "nan"))' "$1" "$2"; }
ts_runs=(); pt_runs=(); ts_cpu=(); pt_cpu=()
for ((i = 1; i <= rounds; i++)); do
  ts_json=$(cd "$checkout" && npx midg bench --model "$model" "${sets[@]}" --threads 1 --batch 32 --steps "$steps" --warmup "$warmup" --json 2>/dev/null | grep '^{' | tail -n 1)
  [[ -n "$ts_json" ]] || { echo "round $i: npx midg bench printed no JSON" >&2; exit 1; }
  pt_json=$("$py" "${mirror[@]}" --threads 1 --batch 32 --steps "$steps" --warmup "$warmup" --json | grep '^{' | tail -n 1)
  ts_runs+=("$(field "$ts_json" samplesPerSecond)"); pt_runs+=("$(field "$pt_json" samplesPerSecond)")
  ts_cpu+=("$(field "$ts_json" cpuMsPerStep)"); pt_cpu+=("$(field "$pt_json" cpuMsPerStep)")
  printf 'round %d: TS (%s) %.1f samples/s (%.1f ms/step, %.1f CPU ms/step) | PyTorch %.1f samples/s (%.1f ms/step, %.1f CPU ms/step)\n' "$i" \
    "$(field "$ts_json" backend)" "${ts_runs[-1]}" "$(field "$ts_json" msPerStep)" "${ts_cpu[-1]}" \
    "${pt_runs[-1]}" "$(field "$pt_json" msPerStep)" "${pt_cpu[-1]}"
done
"$py" - "$model" "${ts_runs[*]}" "${pt_runs[*]}" "${ts_cpu[*]}" "${pt_cpu[*]}" <<'PY'
import math, statistics, sys
model = sys.argv[1]
ts, pt, ts_cpu, pt_cpu = ([float(v) for v in arg.split()] for arg in sys.argv[2:6])
mt, mp = statistics.median(ts), statistics.median(pt)
line = (f"{model}: median TS/TF.js {mt:.1f} samples/s, median PyTorch {mp:.1f} samples/s over {len(ts)} rounds; "
        f"ratio TS/PyTorch = {mt / mp:.3f}")
if not any(math.isnan(v) for v in ts_cpu + pt_cpu):
    line += f"; CPU-time ratio (PyTorch CPU ms / TS CPU ms per step, medians) = {statistics.median(pt_cpu) / statistics.median(ts_cpu):.3f}"
print(line)
PY
