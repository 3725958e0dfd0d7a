"""A job killed with SIGKILL at several points, then rerun, gives the same Dataset-1 as an
uninterrupted run; a half-written output is never taken for a finished one."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from curation.config import load_config
from curation.datasets import IncompleteDatasetError, read_kept, read_ledger
from curation.pipeline import dataset1

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SETS = ["langid.engine=cld2", "spark.ingest_partition_bytes=2000000"]


def _outcome(run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    kept = read_kept(str(run), "dataset-1", ["id", "domain", "text"]).to_pandas()
    cols = ["id", "domain", "stage", "reason", "duplicate_of", "score", "src_file", "src_line"]
    ledger = read_ledger(str(run), "dataset-1", cols).to_pandas()
    return kept.sort_values("id").reset_index(drop=True), ledger.sort_values("id").reset_index(
        drop=True
    )


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory) -> Path:
    """A sixth of the shared corpus: the first shard of every domain (five gzip files, not
    split, in several ingest tasks at 2 MB a partition: every kill point is still inside a
    multi-task job)."""
    root = tmp_path_factory.mktemp("resume-input")
    for src in sorted((shared_data / "corpus").glob("*/part-00000.jsonl.gz")):
        (root / src.parent.name).mkdir(exist_ok=True)
        shutil.copy(src, root / src.parent.name / src.name)
    return root


@pytest.fixture(scope="module")
def reference_run(spark, corpus, tmp_path_factory) -> Path:
    """An uninterrupted run (never modified: a test that damages a run damages a copy)."""
    run = tmp_path_factory.mktemp("resume") / "reference"
    dataset1.run(spark, str(corpus), str(run), load_config("reference", SETS))
    return run


@pytest.fixture(scope="module")
def reference(reference_run):
    return _outcome(reference_run)


def _start(corpus: Path, run: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        str(REPO / "jobs" / "dedup.py"),
        "--input",
        str(corpus),
        "--output",
        str(run),
    ]
    for s in SETS + ["spark.master=local[2]"]:
        cmd += ["--set", s]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 240) -> None:
    """SIGKILL the job's whole process group (driver, JVM, Python workers) once ``ready()``."""
    deadline = time.time() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"job ended before the kill point:\n{proc.stdout.read()[-3000:]}")
        if time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("kill point not reached in time")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _exists(path: Path):
    return lambda: path.exists()


@pytest.mark.parametrize(
    "point",
    ["while ingesting", "after ingest, while deciding", "while writing the ledger"],
)
def test_killed_job_resumes_to_the_same_result(spark, corpus, reference, tmp_path, point, caplog):
    run = tmp_path / "run"
    staging = run / "_staging"
    ready = {
        "while ingesting": _exists(staging / "_work" / "annotated" / "data" / "_temporary"),
        "after ingest, while deciding": _exists(staging / "dataset-1"),
        "while writing the ledger": _exists(staging / "dataset-1" / "removed" / "_temporary"),
    }[point]
    _kill_when(_start(corpus, run), ready)
    assert not (run / "dataset-1" / "_SUCCESS").exists()
    with pytest.raises(IncompleteDatasetError):
        read_kept(str(run), "dataset-1")
    annotated_done = (run / "_work" / "annotated" / "_SUCCESS").exists()
    assert annotated_done == (point != "while ingesting")
    # the rerun in this session's Spark (the kill needs a process of its own, the rerun does not):
    # the same dataset1.run the job calls, with the same settings
    with caplog.at_level(logging.INFO, logger="curation.runner"):
        dataset1.run(spark, str(corpus), str(run), load_config("reference", SETS))
    assert ("reusing" in caplog.text) == annotated_done  # a finished step is not redone
    assert not staging.exists()
    kept, ledger = _outcome(run)
    pd.testing.assert_frame_equal(kept, reference[0])
    pd.testing.assert_frame_equal(ledger, reference[1])


def test_output_without_success_marker_is_redone(spark, corpus, reference_run, reference, tmp_path):
    """The window between the final rename and ``_SUCCESS``, and leftovers of a staging folder
    (on a copy of the finished reference run: the same files a first run here would write)."""
    run = tmp_path / "run"
    cfg = load_config("reference", SETS)
    shutil.copytree(reference_run, run)
    (run / "dataset-1" / "_SUCCESS").unlink()
    for part in (run / "dataset-1" / "removed").glob("part-*"):
        part.unlink()  # as if the folder were half-written
    (run / "_staging" / "dataset-1" / "data").mkdir(parents=True)
    (run / "_staging" / "dataset-1" / "data" / "part-junk.parquet").write_bytes(b"junk")
    with pytest.raises(IncompleteDatasetError):
        read_ledger(str(run), "dataset-1")
    dataset1.run(spark, str(corpus), str(run), cfg)
    kept, ledger = _outcome(run)
    pd.testing.assert_frame_equal(kept, reference[0])
    pd.testing.assert_frame_equal(ledger, reference[1])
    assert not (run / "_staging").exists()
    shutil.rmtree(run)
