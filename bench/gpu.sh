#!/usr/bin/env bash
# The prepared GPU benchmark (issue 14; docs/benchmarks.md, "GPU"), for a machine with
# JAX and no TensorFlow (this workplace's H100/H200 image).
#
#   bash bench/fetch_wheels.sh       # once, here (PyPI reachable): fills bench/wheels/
#   bash bench/gpu.sh                # there; the device tool: carry ["bench/wheels"],
#                                    # timeout_s 480 (the run stops itself near 300 s)
#   bash bench/gpu.sh --tiny         # CPU dry run (KERAS_BACKEND=jax, the .venv has JAX)
#
# Installs Keras and its small pure-Python needs from bench/wheels/ when they are
# missing (into /tmp/lienzo-site, nothing global), then runs bench.gpu_speed with
# KERAS_BACKEND=jax and the workers' own memory settings (no preallocation):
# seconds per job for 512 px balanced and 1024 px best in fp32 and bf16, with the
# peak memory of each; the step's TFLOP/s against the card's peak, bf16 against
# fp32; jobs per hour with 1, 2 and 4 worker processes sharing the GPU.  Results go
# to $OUT (if set, else bench/results/gpu): gpu.md, gpu.json, gpu.log.  The run
# stops starting new work after --budget-s (default 300 s).  Extra arguments go to
# bench.gpu_speed.
# Then, here: `.venv/bin/python -m bench.gpu_speed --merge <files_at>/gpu.md` puts the
# tables into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [[ -x .venv/bin/python && -z ${PYTHON:-} ]] && ! python3 -c "import jax" 2>/dev/null; then
  PY=.venv/bin/python  # this checkout's CPU machine
fi
OUT=${OUT:-bench/results/gpu}
mkdir -p "$OUT"
export OUT KERAS_BACKEND=jax PYTHONUNBUFFERED=1
export LIENZO_VGG19_WEIGHTS=${LIENZO_VGG19_WEIGHTS:-random}  # same cost; no network there
export TF_CPP_MIN_LOG_LEVEL=2

# module:distribution pairs Keras 3 (and rich, optree) import
need=()
for pair in keras:keras namex:namex optree:optree absl:absl-py rich:rich \
            markdown_it:markdown-it-py mdurl:mdurl pygments:pygments packaging:packaging \
            typing_extensions:typing-extensions; do
  mod=${pair%%:*}
  if [[ -n ${FORCE_WHEELS:-} ]] || ! "$PY" -c "import $mod" 2>/dev/null; then
    need+=("${pair##*:}")
  fi
done
if ((${#need[@]})); then
  if [[ ! -d bench/wheels ]] || ! ls bench/wheels/*.whl >/dev/null 2>&1; then
    echo "missing ${need[*]} and no bench/wheels/: run bash bench/fetch_wheels.sh here first" >&2
    exit 3
  fi
  echo "installing from bench/wheels: ${need[*]}"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/lienzo-site --find-links bench/wheels "${need[@]}"
  export PYTHONPATH=/tmp/lienzo-site${PYTHONPATH:+:$PYTHONPATH}
fi

{
  echo "== $(date -u '+%F %T UTC') $("$PY" --version 2>&1)"
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>/dev/null \
    || echo "no nvidia-smi"
  "$PY" - <<'PYEOF'
import jax, keras
print("jax", jax.__version__, jax.devices(), "| keras", keras.__version__, keras.backend.backend())
PYEOF
  "$PY" -m bench.gpu_speed --out "$OUT" "$@"
} 2>&1 | tee "$OUT/gpu.log"
exit "${PIPESTATUS[0]}"
