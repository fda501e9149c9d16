#!/usr/bin/env bash
# Fill bench/wheels/ with what bench/gpu.sh installs on a GPU machine that has JAX
# but no Keras and no network (this workplace's 'cuda' image: Python 3.12, JAX,
# NumPy, SciPy, Pillow, h5py, ml-dtypes, rich, absl-py, packaging already there).
#
#   bash bench/fetch_wheels.sh          # here, where PyPI is reachable
#
# Versions are pinned to this checkout's .venv so the GPU runs the Keras we test.
# Keras 3 needs: absl-py, h5py, ml-dtypes, namex, numpy, optree, packaging, rich
# (`pip show keras`); rich needs markdown-it-py (mdurl) and pygments; optree needs
# typing-extensions.  The pure-Python ones are fetched once; optree is compiled, so
# one wheel per CPython.  h5py, ml-dtypes, numpy and Pillow are large compiled
# wheels the image already has, so they are not fetched.  bench/wheels/ is
# git-ignored (its own .gitignore): name it in the device run's `carry`.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-../.venv/bin/python}
dest=wheels
mkdir -p "$dest"
ver() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }

pure=()
for pkg in keras namex absl-py rich markdown-it-py mdurl pygments packaging typing-extensions; do
  pure+=("$pkg==$(ver "$pkg")")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: -d "$dest" "${pure[@]}"

optree="optree==$(ver optree)"
for py in 3.11 3.12 3.13; do
  "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$dest" \
    --python-version "$py" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "$optree" \
    || echo "warning: no $optree wheel for CPython $py" >&2
done
ls -l "$dest"
du -sh "$dest"
