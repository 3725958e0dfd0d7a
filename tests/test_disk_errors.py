"""A run folder that cannot be written (#16 item 10): read-only, no permission or a full disk give
one line naming the folder and the cause - from Python, pyarrow, the JVM or a Spark worker -
never a trace; finished stages stay as they were and a rerun after the fix gives the same result.

Read-only and full file systems are real: a tmpfs mounted read-only or tiny (needs root and
``mount``); without root, a folder without write permission stands in for the read-only one and
the full-disk cases are skipped."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from curation import cli
from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.disk_errors import disk_problem
from curation.errors import expected_message
from curation.pipeline import dataset1

REPO = Path(__file__).resolve().parents[1]
ROOT = os.geteuid() == 0
AGAIN = "then rerun (finished stages are kept)"
READ_ONLY = f"read-only file system; make it writable or use another run folder, {AGAIN}"
FULL = f"no space left on device; free some space or use a run folder on a larger disk, {AGAIN}"


def _mount(path: Path, options: str) -> None:
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if proc.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()})")


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` at ``path`` (root only, else the test is skipped)."""
    if not ROOT:
        pytest.skip("a full disk needs a tiny tmpfs, and mounting one needs root")
    path.mkdir(parents=True)
    _mount(path, f"size={size}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextmanager
def _read_only(path: Path, content: Path | None = None) -> Iterator[tuple[Path, str]]:
    """A folder that cannot be written, holding a copy of ``content``; with the expected cause:
    a read-only tmpfs as root (root ignores permissions), a folder without write permission else."""
    path.mkdir(parents=True)
    if ROOT:
        _mount(path, "size=64m")
        try:
            if content is not None:
                shutil.copytree(content, path, dirs_exist_ok=True)
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
            yield path, "read-only"
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    else:
        if content is not None:
            shutil.copytree(content, path, dirs_exist_ok=True)
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield path, "permission"
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


def _expected(kind: str, folder: Path) -> str:
    if kind == "read-only":
        return f"cannot write to {folder}: {READ_ONLY}"
    return (
        f"permission denied on {folder}; give this user access to it or use another run folder, "
        f"{AGAIN}"
    )


def _input(root: Path, n: int = 2000) -> Path:
    """One domain of ``n`` random documents (about 1.3 MB: more than the tiny tmpfs holds)."""
    rnd = random.Random(3)
    (root / "web").mkdir(parents=True)
    with open(root / "web" / "a.jsonl", "w") as f:
        for i in range(n):
            words = " ".join("".join(rnd.choices("abcdefghij", k=6)) for _ in range(90))
            f.write(json.dumps({"id": f"d{i}", "text": words}) + "\n")
    return root


def _cfg(*more: str):
    return load_config("reference", ["langid.engine=cld2", "langid.domains=[]", *more])


# --- Python and pyarrow errors -------------------------------------------------------------------


def test_full_device_from_python():
    with pytest.raises(OSError) as err, open("/dev/full", "w") as f:  # a real ENOSPC
        f.write("x" * 100_000)
        f.flush()
    assert expected_message(err.value) == f"cannot write the run: {FULL}"


def test_read_only_folder_from_python_and_pyarrow(tmp_path):
    with _read_only(tmp_path / "ro") as (folder, kind):
        with pytest.raises(OSError) as err:
            (folder / "stage").mkdir()
        assert expected_message(err.value) == _expected(kind, folder)
        fs, path = pafs.FileSystem.from_uri(f"file://{folder}/report.html")
        with pytest.raises(OSError) as err:
            fs.open_output_stream(path)
        assert expected_message(err.value) == _expected(kind, folder)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # HDFS: the inode that refused, as the namenode reports it
            "py4j.protocol.Py4JJavaError: An error occurred while calling o99.parquet.\n: "
            "org.apache.hadoop.security.AccessControlException: Permission denied: user=ann, "
            'access=WRITE, inode="/runs/r1/_staging/dataset-1":hdfs:supergroup:drwxr-xr-x',
            "permission denied on /runs/r1; give this user access to it or use another run "
            f"folder, {AGAIN}",
        ),
        (  # Spark's scratch space (spark.local.dir) is what filled up
            "org.apache.spark.SparkException: Job aborted\nCaused by: java.io.IOException: No "
            "space left on device\n\tat java.base/java.io.FileOutputStream.writeBytes(Native "
            "Method)\nCaused by: java.io.FileNotFoundException: /scratch/blockmgr-0a1b2c3d-1111-"
            "2222-3333-444455556666/0c/temp_shuffle_1 (No space left on device)",
            "cannot write to /scratch: no space left on device; free space there or point "
            f"spark.local.dir (Spark's scratch folder) elsewhere, {AGAIN}",
        ),
        (  # a Python worker's traceback inside the Java one
            "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
            '  File "x.py", line 1, in f\nOSError: [Errno 122] Disk quota exceeded: '
            "'/nfs-of-another-machine/run/embeddings/domain=web/part-0.parquet'",
            "cannot write to /nfs-of-another-machine/run/embeddings/domain=web/part-0.parquet: "
            f"disk quota exceeded; free some space or use a run folder on a larger disk, {AGAIN}",
        ),
    ],
)
def test_messages_found_in_jvm_and_worker_text(text, message):
    assert disk_problem(RuntimeError(text)) == message


def test_other_errors_are_not_disk_problems():
    assert disk_problem(ValueError("Permission to proceed: denied by config")) is None
    assert disk_problem(FileNotFoundError(2, "No such file or directory", "/x")) is None


# --- Spark: Dataset-1 into a read-only folder, onto a full disk ----------------------------------


def test_dataset1_into_a_read_only_run_folder(spark, tmp_path):
    source = _input(tmp_path / "input", 50)
    with _read_only(tmp_path / "ro") as (folder, kind):
        with pytest.raises(Exception) as err:
            dataset1.run(spark, str(source), str(folder / "run"), _cfg())
        assert cli.explain(err.value) == _expected(kind, folder)
        assert list(folder.iterdir()) == []  # nothing written


def test_dataset1_on_a_full_disk_then_rerun(spark, tmp_path):
    source = _input(tmp_path / "input")
    reference = tmp_path / "reference"
    dataset1.run(spark, str(source), str(reference), _cfg())
    with _tmpfs(tmp_path / "small", "300k") as disk:
        with pytest.raises(Exception) as err:
            dataset1.run(spark, str(source), str(disk / "run"), _cfg())
        assert cli.explain(err.value) == f"cannot write to {disk / 'run'}: {FULL}"
        assert not (disk / "run" / "dataset-1").exists()
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space freed
        manifest = dataset1.run(spark, str(source), str(disk / "run"), _cfg())
        kept = read_kept(str(disk / "run"), "dataset-1").to_pandas()
        ledger = read_ledger(str(disk / "run"), "dataset-1").to_pandas()
        assert manifest["rows_in"] == 2000 == len(kept) + len(ledger)  # conservation
        want = read_kept(str(reference), "dataset-1").to_pandas()
        assert sorted(zip(kept.id, kept.text, strict=True)) == sorted(
            zip(want.id, want.text, strict=True)
        )
        assert manifest["fingerprint"] == read_manifest(str(reference), "dataset-1")["fingerprint"]


# --- Python stages and inspection commands: one line, exit 2 -------------------------------------


def test_tokens_job_and_report_into_a_read_only_run(spark, tmp_path):
    source = _input(tmp_path / "input", 60)
    dataset1.run(spark, str(source), str(tmp_path / "run"), _cfg())
    with _read_only(tmp_path / "ro", content=tmp_path / "run") as (folder, kind):
        proc = subprocess.run(
            [sys.executable, str(REPO / "jobs" / "tokens.py"), "--run", str(folder),
             "--config", "demo", "--set", "tokens.dataset=dataset-1"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert proc.stderr.strip().splitlines()[-1].split(" ", 1)[1] == (
            f"ERROR curation: {_expected(kind, folder)}"
        )
        proc = subprocess.run(
            [sys.executable, "-m", "curation", "report", str(folder)],
            capture_output=True, text=True, timeout=300, cwd=REPO,
        )  # fmt: skip
        assert proc.returncode == 2
        assert proc.stderr == f"error: {_expected(kind, folder)}\n"
