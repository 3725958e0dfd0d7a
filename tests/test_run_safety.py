"""Issue 16, the runner's share, on real stages: a stale parent is never reused (item 3), two jobs
on one run folder (item 4), run folders whose path holds a space, Cyrillic or ``#`` (item 8), and
fingerprints that depend on content, not on Spark's part-file names (item 16)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from curation import runner
from curation.__main__ import main as curation_main
from curation.config import load_config
from curation.datasets import read_kept
from curation.pipeline import dataset1, embeddings, semdedup
from curation.run_layout import StageConflictError
from curation.storage import LocalStorage, normalize_uri
from tests.conftest import DEMO_RUN_SETTINGS

REPO = Path(__file__).resolve().parents[1]


def _cfg(*more: str):
    return load_config("demo", [*DEMO_RUN_SETTINGS, *more])


def _fingerprint(run: Path, stage: str) -> str:
    return json.loads((run / stage / "_SUCCESS").read_text())["fingerprint"]


def test_item3_stages_after_a_rebuilt_dataset1_are_refused_not_skipped(spark, demo_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(demo_run, run, ignore=shutil.ignore_patterns("_lock"))
    before = _fingerprint(run, "dataset-1")
    dataset1.run(spark, str(demo_run.parent / "input"), str(run),
                 _cfg("length.min_chars=400", "run.force=true"))  # fmt: skip
    assert _fingerprint(run, "dataset-1") != before
    with pytest.raises(StageConflictError, match=r"embeddings was finished from a different"):
        embeddings.run(str(run), _cfg("length.min_chars=400"))
    # the later jobs' parents are unchanged themselves but derive from the rebuilt Dataset-1
    stale = r"/(embeddings|dataset-2) is stale: dataset-1 was rebuilt after it"
    with pytest.raises(StageConflictError, match=stale):
        semdedup.run(str(run), _cfg("length.min_chars=400"), "kmeans")
    with pytest.raises(StageConflictError, match=stale):
        semdedup.run(str(run), _cfg("length.min_chars=400"), "hdbscan")


def test_item4_a_second_job_on_a_run_folder_in_use_gets_one_line(demo_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(demo_run, run, ignore=shutil.ignore_patterns("_lock"))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from curation.run_lock import RunLock
            from curation.storage import LocalStorage
            with RunLock(LocalStorage(), {normalize_uri(run)!r}, job="dataset-2"):
                print("held", flush=True)
                time.sleep(120)
            """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [sys.executable, str(REPO / "jobs" / "semdedup.py"), "--run", str(run),
             "--config", "demo", *[x for s in DEMO_RUN_SETTINGS for x in ("--set", s)]],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert f"run folder {normalize_uri(run)} is in use by PID {holder.pid}" in errors[0]
    assert "job dataset-2" in errors[0]
    # the finished stages of the other job are untouched, and the folder is usable again
    assert (run / "dataset-2" / "_SUCCESS").is_file()
    semdedup.run(str(run), _cfg(), "kmeans")


def test_item8_run_folders_with_odd_characters_work_everywhere(demo_run, tmp_path, capsys):
    run = tmp_path / "run dir #1 данные"
    shutil.copytree(demo_run, run, ignore=shutil.ignore_patterns("_lock"))
    # the embedding stage resumes: one shard and the markers gone, the shard is recomputed
    shard = sorted((run / "embeddings").glob("domain=wiki/*.parquet"))[0]
    shard.unlink()
    (run / "embeddings" / "_SUCCESS").unlink()
    manifest = embeddings.run(str(run), _cfg())
    assert shard.is_file() and manifest["computed_shards"] == 1
    # the inspection commands read it (before: "Cannot parse URI")
    assert curation_main(["stats", str(run)]) == 0
    assert "== dataset-3" in capsys.readouterr().out
    kept = json.loads((run / "dataset-3" / "_MANIFEST.json").read_text())["rows_out"]
    assert kept > 0
    assert curation_main(["report", str(run)]) == 0
    assert (run / "report.html").stat().st_size > 10_000
    doc = read_kept(str(run), "dataset-3", ["id"]).column("id")[0].as_py()
    assert curation_main(["explain", str(run), doc]) == 0
    assert doc in capsys.readouterr().out
    # and a later stage runs there (rebuilt: its embeddings were rebuilt; the same fingerprint)
    assert semdedup.run(str(run), _cfg(), "kmeans")["fingerprint"] == _fingerprint(
        demo_run, "dataset-2"
    )


def test_item16_fingerprints_do_not_depend_on_part_file_names(spark, demo_run, tmp_path):
    """A fresh Dataset-1 of the same input has other part files (Spark's UUIDs) but the same
    fingerprint, and so do the stages planned on it."""
    run = tmp_path / "fresh"
    dataset1.run(spark, str(demo_run.parent / "input"), str(run), _cfg())
    for k, part in enumerate(sorted((run / "dataset-1" / "data").rglob("*.parquet"))):
        part.rename(part.with_name(f"part-{k:05d}-{uuid.uuid4()}.c000.zstd.parquet"))  # Spark-like
    names = {p.name for p in (run / "dataset-1" / "data").rglob("*.parquet")}
    assert names.isdisjoint({p.name for p in (demo_run / "dataset-1" / "data").rglob("*.parquet")})
    assert _fingerprint(run, "dataset-1") == _fingerprint(demo_run, "dataset-1")
    plans = runner.plan([embeddings.STAGE], normalize_uri(run), _cfg(), LocalStorage())
    assert plans[0].fingerprint == _fingerprint(demo_run, "embeddings")
    # the build stamps differ (another build), which is what makes a copy's children stale
    stamp = json.loads((run / "dataset-1" / "_SUCCESS").read_text())["build"]
    assert stamp != json.loads((demo_run / "dataset-1" / "_SUCCESS").read_text())["build"]


def test_a_folder_still_being_written_is_deleted_once_the_writer_stops(tmp_path):
    """A rerun clears the staging folder of a killed job whose Python workers may finish a file
    for a moment after the JVM died: files appearing during the delete do not fail it."""
    import threading
    import time

    folder = tmp_path / "_staging" / "dataset-1"
    (folder / "removed").mkdir(parents=True)
    for i in range(3000):
        (folder / "removed" / f"old-{i}").write_bytes(b"x")
    stop = time.time() + 0.5

    def writer() -> None:  # as a worker of the killed job: temp file, then a move into place
        k = 0
        while time.time() < stop:
            tmp = folder / "removed" / "_temporary" / f"{k}.tmp"
            try:
                tmp.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(b"part")
                tmp.rename(folder / "removed" / f"part-{k}.parquet")
            except OSError:
                pass  # the folder went away under it
            k += 1

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.05)
    LocalStorage().delete(normalize_uri(str(folder)))
    t.join()
    LocalStorage().delete(normalize_uri(str(folder)))  # what the writer left after the first
    assert not folder.exists()
