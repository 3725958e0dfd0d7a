"""`make dataset-3` end to end on a small corpus, as a user runs it; a rerun skips every stage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from curation.demo.corpus import generate
from tests.conftest import DEMO_RUN_SETTINGS

REPO = Path(__file__).resolve().parents[1]


def _make(input_dir: Path, run: Path) -> tuple[str, str]:
    """(stdout, stderr: the logs) of ``make dataset-3``."""
    sets = " ".join([*DEMO_RUN_SETTINGS, "hdbscan.target_clusters=4"])  # the last one wins
    cmd = ["make", "-s", "-C", str(REPO), "dataset-3", f"INPUT={input_dir}", f"RUN={run}",
           "PRESET=demo", f"SET={sets}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout, done.stderr


def test_make_dataset3_runs_the_pipeline_and_a_rerun_skips_it(tmp_path):
    generate(tmp_path / "input", scale=0.05)
    run = tmp_path / "run"
    out, _ = _make(tmp_path / "input", run)
    for stage in ("dataset-1", "embeddings", "dataset-2", "dataset-3", "tokens"):
        assert (run / stage / "_SUCCESS").is_file(), stage
    assert "Documents per domain through the pipeline" in out and "TOTAL" in out
    total = next(line for line in out.splitlines()[::-1] if line.startswith("TOTAL"))
    tokens = json.loads((run / "tokens/_MANIFEST.json").read_text())
    d3 = json.loads((run / "dataset-3/_MANIFEST.json").read_text())
    assert total.split()[-1] == f"{tokens['tokens']:,}" and str(d3["rows_out"]) in total.split()
    stamps = {p: p.stat().st_mtime_ns for p in run.glob("*/_SUCCESS")}
    out2, logs = _make(tmp_path / "input", run)
    assert {p: p.stat().st_mtime_ns for p in run.glob("*/_SUCCESS")} == stamps  # all skipped
    assert logs.count(": skipped") >= 5 and "building" not in logs
    assert out2.splitlines()[-3:] == out.splitlines()[-3:]  # the same summary
