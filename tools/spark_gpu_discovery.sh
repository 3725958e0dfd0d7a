#!/usr/bin/env bash
# Spark GPU discovery script: this machine's NVIDIA GPUs as Spark's resource JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Give it to Spark with spark.{worker,executor}.resource.gpu.discoveryScript (README: GPUs on
# Spark); each task then finds its GPU in TaskContext.resources() and curation.device uses it.
set -euo pipefail
ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | grep -E '^[0-9]+$' || true)
quoted=$(printf '%s\n' $ids | sed -n '/./s/.*/"&"/p' | paste -sd, -)
printf '{"name": "gpu", "addresses": [%s]}\n' "$quoted"
