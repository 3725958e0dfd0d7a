"""Jobs submitted to a real Spark standalone cluster (a master and two workers started from the
pyspark installation on 127.0.0.1) give what local mode gives: the whole demo pipeline (every stage
on Spark, the package shipped to the executors by each application) stage by stage.

On the cluster, ``jobs/dedup.py`` builds Dataset-1 (the README's first cluster command), then
``jobs/pipeline.py`` (the whole pipeline in one application) skips it and builds the rest; the
other single-stage jobs are the same functions (``jobs/*.py`` call them; their own runs are in
test_make_pipeline and the job tests)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from curation.config import load_config
from curation.datasets import read_kept, read_ledger
from curation.pipeline import dataset1

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two workers (1 core each) on 127.0.0.1; yields the master URL."""
    work = tmp_path_factory.mktemp("standalone")
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_WORKER_DIR": str(work / "worker"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    port, ui = _free_port(), _free_port()
    master = f"spark://127.0.0.1:{port}"
    logs = [open(work / "master.log", "w"), open(work / "worker.log", "w")]  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [str(_spark_class()), "org.apache.spark.deploy.master.Master",
             "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)],
            env=env, stdout=logs[0], stderr=subprocess.STDOUT, start_new_session=True,
        ),
    ]  # fmt: skip
    for k in range(2):
        worker_env = {**env, "SPARK_WORKER_DIR": str(work / f"worker-{k}")}
        procs.append(
            subprocess.Popen(
                [str(_spark_class()), "org.apache.spark.deploy.worker.Worker",
                 "--host", "127.0.0.1", "--cores", "1", "--memory", "2g",
                 "--webui-port", str(_free_port()), master],
                env=worker_env, stdout=logs[1], stderr=subprocess.STDOUT, start_new_session=True,
            )
        )  # fmt: skip
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                    if json.load(r).get("aliveworkers", 0) >= 2:
                        break
            except OSError:
                pass
            if time.time() > deadline or any(p.poll() is not None for p in procs):
                pytest.fail(
                    "standalone cluster did not start:\n" + (work / "worker.log").read_text()
                )
            time.sleep(0.5)
        yield master, env
    finally:
        for p in procs:
            os.killpg(p.pid, 9)
            p.wait()
        for f in logs:
            f.close()


STAGES = ("dataset-1", "dataset-2", "dataset-3")
DEMO_SETS = [
    "embed.max_seq_length=64",
    "kmeans.target_cluster_size=30",
    "hdbscan.target_clusters=4",
    "tokens.workers=1",
]


def _pipeline(master: str, env: dict, corpus: Path, run: Path) -> None:
    """Dataset-1 by its own job, then the rest by ``jobs/pipeline.py``, both through spark-submit."""
    bin_dir = Path(sys.executable).parent
    sets = [x for s in DEMO_SETS for x in ("--set", s)]
    jobs = [
        ["dedup.py", "--input", str(corpus), "--output", str(run)],
        ["pipeline.py", "--input", str(corpus), "--output", str(run)],
    ]
    for job in jobs:
        cmd = [str(bin_dir / "spark-submit"), "--master", master, "--driver-memory", "1g",
               str(REPO / "jobs" / job[0]), *job[1:], "--config", "demo", *sets]  # fmt: skip
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{job[0]}: {done.stderr[-4000:]}"
        out = done.stdout + done.stderr
        assert "shipped" in out, job[0]  # the package went to the executors (driver log)
    # the pipeline job found Dataset-1 finished by the first job and went on from it
    assert re.search(r"dataset-1 is finished \(fingerprint \w+\): skipped", out), out[-4000:]
    assert "Documents per domain through the pipeline" in done.stdout  # the run's summary


def _pipeline_in_process(spark, corpus: Path, run: Path) -> None:
    """The same jobs in local mode, in this process's local[2] session (no spark-submit each)."""
    from curation.pipeline import embeddings, semdedup, tokens

    cfg = load_config("demo", DEMO_SETS)
    dataset1.run(spark, str(corpus), str(run), cfg)
    embeddings.run(str(run), cfg, spark)
    semdedup.run(str(run), cfg, "kmeans", spark)
    semdedup.run(str(run), cfg, "hdbscan", spark)
    tokens.run(str(run), cfg, spark)


def _outcome(run: Path) -> dict:
    import hashlib

    out: dict = {}
    for stage in STAGES:
        out[stage] = {
            "kept": sorted(read_kept(str(run), stage, ["id"]).column("id").to_pylist()),
            "ledger": sorted(
                tuple(r.values())
                for r in read_ledger(
                    str(run), stage, ["id", "stage", "reason", "score", "duplicate_of", "cluster"]
                ).to_pylist()
            ),
            "counts": {
                k: json.loads((run / stage / "_MANIFEST.json").read_text())[k]
                for k in ("rows_in", "rows_out", "removed", "per_domain")
            },
        }
    out["tokens"] = {
        str(f.relative_to(run / "tokens")): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted((run / "tokens").rglob("*"))
        if f.suffix in (".bin", ".idx") or f.name in ("mixture.json", "tokenizer.json")
    }
    return out


@pytest.mark.timeout(2400)
def test_whole_demo_pipeline_on_the_cluster_equals_local_mode(cluster, spark, tmp_path):
    from curation.demo.corpus import generate

    master, env = cluster
    generate(tmp_path / "input", scale=0.04)
    _pipeline(master, env, tmp_path / "input", tmp_path / "on-cluster")
    _pipeline_in_process(spark, tmp_path / "input", tmp_path / "local")
    on_cluster, local = _outcome(tmp_path / "on-cluster"), _outcome(tmp_path / "local")
    for stage in STAGES:
        assert len(local[stage]["kept"]) > 50, stage
        assert on_cluster[stage] == local[stage], stage
    assert len(local["tokens"]) > 4 and on_cluster["tokens"] == local["tokens"]
