"""(b) datatrove 0.10.1 in its own venv under ``<work>/datatrove-venv`` (installed by the
benchmark with pip on first use; never a project dependency), running
:mod:`bench.dataset1.datatrove_pipeline`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DATATROVE = "datatrove[io]==0.10.1"
EXTRA = ("pycld2==0.42", "regex", "tokenizers")  # datatrove.pipeline.filters imports them
HERE = Path(__file__).resolve().parent


def ensure_venv(work: Path) -> Path:
    """The venv's Python, created and filled when missing (a marker file says it is complete)."""
    venv = work / "datatrove-venv"
    python = venv / "bin" / "python"
    marker = venv / ".bench-installed"
    wanted = " ".join((DATATROVE, *EXTRA))
    if marker.is_file() and marker.read_text() == wanted and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {wanted} into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", DATATROVE, *EXTRA], check=True)
    marker.write_text(wanted)
    return python


def command(python: Path, folder: Path, out: Path, tasks: int) -> list[str]:
    """The command line of one datatrove run (``out`` is emptied first by the caller)."""
    return [str(python), str(HERE / "datatrove_pipeline.py"), str(folder), str(out), str(tasks)]


def kept_ids(out: Path) -> list[str]:
    return (out / "kept_ids.txt").read_text().split()


def parse(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])
