#!/usr/bin/env bash
# Print the hardware kind of this machine for the install: `gpu` when nvidia-smi lists an NVIDIA
# GPU, else `cpu`. CURATION_HW=cpu|gpu overrides the detection (e.g. a CPU venv on a GPU machine).
# Used by the Makefile (the kind is part of the install stamp) and by tools/install.sh.
set -euo pipefail
case "${CURATION_HW:-}" in
  cpu | gpu) echo "$CURATION_HW"; exit 0 ;;
  "") ;;
  *) echo "error: CURATION_HW must be cpu or gpu, got '$CURATION_HW'" >&2; exit 2 ;;
esac
# nvidia-smi's output is read whole before grep looks at it: `nvidia-smi -L | grep -q` under pipefail
# fails at random when grep exits at the first match and nvidia-smi then dies of SIGPIPE.
listing=""
if command -v nvidia-smi >/dev/null 2>&1; then
  listing=$(nvidia-smi -L 2>/dev/null || true)
fi
if grep -q '^GPU ' <<<"$listing"; then
  echo gpu
else
  echo cpu
fi
