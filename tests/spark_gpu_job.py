"""Run a PySpark script on a local-cluster whose workers find GPUs by the shipped discovery
script (``tools/spark_gpu_discovery.sh``), and read back the JSON it prints on a ``RESULT`` line.
Shared by the device tests (a stub ``nvidia-smi``) and the GPU path tests (the real one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DISCOVERY = REPO / "tools" / "spark_gpu_discovery.sh"
RESULT = "RESULT "


def run_gpu_spark_script(source: str, workdir: Path, extra_path: Path | None = None) -> list:
    """Run ``source`` (it gets the discovery script as ``sys.argv[1]`` and prints
    ``RESULT <json>``) in a child Python with a Spark environment; ``extra_path`` goes first on
    PATH (where a stub ``nvidia-smi`` lives). Returns the parsed JSON."""
    import pyspark

    script = workdir / "job.py"
    script.write_text(source)
    path = [str(Path(sys.executable).parent), os.environ["PATH"]]
    if extra_path is not None:
        path.insert(0, str(extra_path))
    env = {
        **os.environ,
        "PATH": os.pathsep.join(path),
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    done = subprocess.run(
        [sys.executable, str(script), str(DISCOVERY)],
        capture_output=True, text=True, env=env, timeout=600, cwd=workdir,
    )  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT)]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[0][len(RESULT) :])
