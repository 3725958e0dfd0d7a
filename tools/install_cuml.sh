#!/usr/bin/env bash
# cuML (GPU UMAP + HDBSCAN for Dataset-3) in its own virtual environment (idempotent).
#   tools/install_cuml.sh [VENV]      default .venv-cuml; `make install-cuml`
# cuML's wheels cannot share the main venv: cuml 26.10 needs numba < 0.65 and (through cudf)
# pandas 3.0, and cuml-cu12 a CUDA 12 toolkit next to torch 2.13's CUDA 13. Dataset-3 finds this
# venv (./.venv-cuml, or CURATION_CUML_PYTHON=/path/to/python) and runs cuML in a worker process
# of it (curation/stages/cuml_env.py); without it UMAP and HDBSCAN run on CPU, and the log says so.
# The wheel is chosen by the driver: CUDA 13 (R580+) -> cuml-cu13, else cuml-cu12. ~3 GB.
set -euo pipefail
venv=${1:-.venv-cuml}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(bash "$repo/tools/hw_kind.sh")" != gpu ]; then
  echo "error: cuML needs an NVIDIA GPU, and nvidia-smi -L lists none" >&2
  exit 1
fi
driver_cuda=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\)\..*/\1/p' | head -1)
if [ "${driver_cuda:-0}" -ge 13 ]; then
  pkg="cuml-cu13==26.10.0"
else
  pkg="cuml-cu12==26.10.0"
fi
# shellcheck source=tools/venv_base.sh
. "$repo/tools/venv_base.sh"
make_venv "$venv"
echo "installing $pkg into $venv (driver supports CUDA ${driver_cuda:-?})"
"$venv/bin/python" -m pip install -q "$pkg"
# a real import and a tiny UMAP + HDBSCAN fit on this GPU, the same probe Dataset-3 runs
if ! PYTHONPATH="$repo" "$venv/bin/python" -m curation.stages.cuml_worker --probe; then
  echo "error: cuML is installed in $venv but fails on this GPU (see above)" >&2
  exit 1
fi
echo "cuML ready in $venv: Dataset-3 on a GPU uses it for UMAP and HDBSCAN"
