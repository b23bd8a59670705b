#!/usr/bin/env bash
# gpu_check.sh: the zoo's GPU paths on a machine with a GPU, in one command (~5 minutes).
#
#   bash benchmarks/gpu_check.sh            # on a GPU machine
#   bash benchmarks/gpu_check.sh --cpu      # no GPU: the same run on the CPU (slow, for trying)
#   bash benchmarks/gpu_check.sh --cpu --quick   # the plumbing only (tests/test_benchmark_scripts.py)
#
# 1. Finds the GPU (nvidia-smi, and TensorFlow's tf.config.list_physical_devices("GPU"));
#    without one it says so and exits 2, unless --cpu is given.
# 2. Runs the contract suite's GPU-relevant cases with pytest -k: mixed precision
#    (bf16 / fp16 fit, forced float16 overflows), XLA (every tiny model trained with
#    jit_compile=True, the jit_compile choice per strategy), MirroredStrategy, and the
#    SavedModel exports served in a fresh process. In parallel with pytest-xdist when it
#    is installed (GPU_CHECK_PYTEST_WORKERS, default 4; each worker grows its GPU memory
#    as needed: TF_FORCE_GPU_ALLOW_GROWTH=true).
# 3. Measures training throughput of DCGAN, StyleGAN2 (small preset) and CycleGAN with
#    the zoo's compile() + fit on synthetic data, in float32, mixed_float16 and
#    mixed_float16 + XLA (jit_compile=True), rounds alternating between the variants,
#    median per variant.
# 4. Prints ONE table (model x {fp32, mixed_float16, XLA + mixed_float16} images/s) with
#    the contract cases' result under it. Exit status 0 when every case passed and every
#    variant trained; 1 otherwise; 2 without a GPU (and without --cpu).
#
# Options: --cpu, --quick (dcgan_tiny, 2 timed steps, 2 contract cases), --models LIST
# (keys of benchmarks/scaling.py's MODELS, e.g. dcgan,cyclegan), --steps N (timed steps
# per round, default 20), --rounds N (default 3), --no-tests (throughput only).
set -uo pipefail

cpu=0 quick=0 tests=1 models="dcgan,stylegan2,cyclegan" steps=20 rounds=3 warmup=3
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu=1 ;;
    --quick) quick=1 ;;
    --no-tests) tests=0 ;;
    --models) models="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then models="dcgan_tiny" steps=2 rounds=1 warmup=1; fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo" || exit 1
export PYTHONPATH="$repo:$repo/benchmarks${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=2 TF_FORCE_GPU_ALLOW_GROWTH=true
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ------------------------------------------------------------------ 1. the GPU
smi="no nvidia-smi"
if command -v nvidia-smi >/dev/null 2>&1; then
  smi="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 \
         | paste -sd ';' -)"
fi
tf_gpus=0
if [ "$cpu" = 0 ]; then
  tf_gpus="$("$python" -c 'import tensorflow as tf; print(len(tf.config.list_physical_devices("GPU")))' \
             2>/dev/null | tail -n 1)"
  tf_gpus="${tf_gpus:-0}"
fi
if [ "$tf_gpus" = 0 ]; then
  if [ "$cpu" = 0 ]; then
    echo "gpu_check.sh: TensorFlow sees no GPU (nvidia-smi: $smi)." >&2
    echo "  Install a CUDA build (pip install 'tensorflow[and-cuda]') and check nvidia-smi," >&2
    echo "  or pass --cpu to run the same checks on the CPU." >&2
    exit 2
  fi
  device="CPU only (--cpu)"
  export CUDA_VISIBLE_DEVICES=""
else
  device="$tf_gpus GPU(s): $smi"
fi
echo "gpu_check: $device"

# ------------------------------------------------------- 2. the contract cases
tests_status=0 tests_summary="not run (--no-tests)"
if [ "$tests" = 1 ]; then
  if [ "$quick" = 1 ]; then
    selection=(tests/test_contract.py -k "dcgan_tiny and mixed_precision_fit")
  else
    selection=(tests/test_contract.py tests/test_contract_autoencoding.py
               tests/test_contract_autoregressive.py tests/test_contract_sequence.py
               tests/test_contract_translation.py tests/test_training_core.py
               -k "mixed_precision or float16 or overflow or xla or jit_compile or mirrored or export")
  fi
  parallel=()
  if [ "$quick" = 0 ] && "$python" -c "import xdist" >/dev/null 2>&1; then
    parallel=(-n "${GPU_CHECK_PYTEST_WORKERS:-4}")
  fi
  echo "gpu_check: pytest ${selection[*]} ${parallel[*]-}"
  "$python" -m pytest -q -p no:cacheprovider ${parallel[@]+"${parallel[@]}"} "${selection[@]}" \
    2>&1 | tee "$work/pytest.log"
  tests_status=${PIPESTATUS[0]}
  tests_summary="$(grep -E '(passed|failed|error)' "$work/pytest.log" | tail -n 1 | tr -d '=' \
                   | sed 's/^ *//; s/ *$//')"
fi

# ------------------------------------------------------------ 3. throughput
echo "gpu_check: throughput of $models ($rounds round(s) x $steps timed steps per variant)"
"$python" - "$models" "$steps" "$rounds" "$warmup" "$device" "$tests_summary" \
  "$tests_status" <<'PY'
import statistics
import sys

import keras
import tensorflow as tf

import _common
import keras_gan_zoo as kgz
from scaling import MODELS

models, steps, rounds, warmup = sys.argv[1].split(","), *map(int, sys.argv[2:5])
device, tests_summary, tests_status = sys.argv[5], sys.argv[6], int(sys.argv[7])
VARIANTS = (("float32", "float32", False), ("mixed_float16", "mixed_float16", False),
            ("XLA + mixed_float16", "mixed_float16", True))

runs, failures = [], []
for key in models:
    name, overrides, batch, _, label = MODELS[key]
    for variant, policy, jit in VARIANTS:
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = kgz.create_model(name, seed=0, **overrides)
            model.compile(jit_compile=jit)
            dataset = _common.synthetic_dataset(model, batch)
            _common.measure_fit(model, dataset, batch, warmup, 1)  # trace / compile once
            runs.append({"key": key, "variant": variant, "model": model, "policy": policy,
                         "dataset": dataset, "batch": batch, "label": label, "rates": [],
                         "params": sum(_common.parameter_counts(model).values())})
        except Exception as error:  # noqa: BLE001 - reported in the table
            failures.append(f"{label} / {variant}: {type(error).__name__}: {error}"[:400])
for _ in range(rounds):  # alternating, so drift in the machine's speed hits all alike
    for run in list(runs):
        keras.mixed_precision.set_global_policy(run["policy"])
        try:
            measured = _common.measure_fit(run["model"], run["dataset"], run["batch"], 1, steps)
        except Exception as error:  # noqa: BLE001 - reported in the table
            failures.append(f"{run['label']} / {run['variant']}: {type(error).__name__}: "
                            f"{error}"[:400])
            runs.remove(run)
            continue
        run["rates"].append(measured["examples"] / measured["seconds"])
keras.mixed_precision.set_global_policy("float32")

print()
print(f"gpu_check: {device}; TF {tf.__version__} (CUDA {tf.sysconfig.get_build_info().get('cuda_version', '-')}, "
      f"cuDNN {tf.sysconfig.get_build_info().get('cudnn_version', '-')}), Keras {keras.__version__}; "
      f"images/s = median of {rounds} round(s) x {steps} steps, synthetic data")
header = ["model", "params", "batch"] + [v[0] for v in VARIANTS]
print("| " + " | ".join(f"{h:<26}" if i == 0 else f"{h:>20}" for i, h in enumerate(header)) + " |")
print("|" + "|".join("-" * (28 if i == 0 else 22) for i in range(len(header))) + "|")
for key in models:
    mine = {r["variant"]: r for r in runs if r["key"] == key}
    if not mine:
        continue
    first = next(iter(mine.values()))
    base = statistics.median(mine["float32"]["rates"]) if "float32" in mine else None
    cells = []
    for variant, _, _ in VARIANTS:
        if variant not in mine:
            cells.append("failed")
            continue
        rate = statistics.median(mine[variant]["rates"])
        cells.append(f"{rate:.1f}" if variant == "float32" or not base
                     else f"{rate:.1f} ({rate / base:.2f}x)")
    print("| " + " | ".join([f"{first['label']:<26}", f"{first['params']:>20,}",
                             f"{first['batch']:>20}"] + [f"{c:>20}" for c in cells]) + " |")
print(f"contract cases (pytest): {tests_summary}; exit status {tests_status}")
for failure in failures:
    print(f"FAILED {failure}")
sys.exit(1 if failures or tests_status else 0)
PY
