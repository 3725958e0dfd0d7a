"""The Spark entry point: Spark SQL starts only when a job needs it, with the settings given
before it started, and stopping does not wait on pyspark's accumulator server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from curation.spark.session import LazySession

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from curation.config import load_config
    from curation.pipeline import dataset1
    from curation.spark.session import get_spark

    root = sys.argv[1]
    cfg = load_config("reference", ["langid.engine=cld2", "langid.domains=[]",
                                    "spark.master=local[1]", "spark.shuffle_partitions=3"])
    spark = get_spark(cfg.spark)
    jvm_session = getattr(spark.sparkContext._jvm, "org.apache.spark.sql.classic.SparkSession")
    manifest = dataset1.run(spark, root + "/in", root + "/run", cfg)
    out = {"rows_out": manifest["rows_out"], "started_after_dataset1": spark.started,
           "jvm_session_after_dataset1": jvm_session.getDefaultSession().isDefined()}
    out["range_count"] = spark.range(4).count()  # Spark SQL, started here
    out["started_after_sql"] = spark.started
    out["jvm_session_after_sql"] = jvm_session.getDefaultSession().isDefined()
    out["shuffle_partitions"] = spark.conf.get("spark.sql.shuffle.partitions")
    server = spark.sparkContext._accumulatorServer
    spark.stop()
    out["context_stopped"] = spark.sparkContext._jsc is None
    spark.closing.join(10)
    out["server_thread_done"] = not spark.closing.is_alive()
    out["server_closed"] = server.socket.fileno() == -1
    print("RESULT " + json.dumps(out))
    """
)


def test_dataset1_runs_without_spark_sql_and_sql_starts_on_first_use(tmp_path):
    (tmp_path / "in" / "web").mkdir(parents=True)
    rows = [{"id": f"d{i}", "text": f"Document number {i}. " * 12} for i in range(5)]
    rows.append(dict(rows[0], id="d9"))  # an exact duplicate of d0
    (tmp_path / "in" / "web" / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT ") :])
    assert out == {
        "rows_out": 5,
        "started_after_dataset1": False,
        "jvm_session_after_dataset1": False,
        "range_count": 4,
        "started_after_sql": True,
        "jvm_session_after_sql": True,
        "shuffle_partitions": "3",  # the runtime setting Dataset-1 applied before SQL started
        "context_stopped": True,
        "server_thread_done": True,
        "server_closed": True,
    }


def test_runtime_settings_reach_the_session_before_and_after_it_starts(spark):
    key = "spark.sql.shuffle.partitions"
    before = spark.conf.get(key)
    try:
        lazy = LazySession(spark.sparkContext, {key: "5"})
        lazy.set_runtime({key: "6"})  # not started: held until it starts
        assert not lazy.started
        assert lazy.conf.get(key) == "6"  # started by this attribute, with the held settings
        assert lazy.started
        lazy.set_runtime({key: "7"})  # started: set at once
        assert spark.conf.get(key) == "7"
        assert lazy.version == spark.sparkContext.version
    finally:
        spark.conf.set(key, before)


def _tree(root: Path, py4j_version: str = "0.10.9.9") -> tuple[str, str, str]:
    """An installed pyspark (with its bundled zips) and py4j under ``root/site``; returns the
    site directory and the two zips' paths."""
    site = root / "site"
    lib = site / "pyspark" / "python" / "lib"
    lib.mkdir(parents=True)
    (site / "pyspark" / "__init__.py").write_text("")
    (site / "py4j").mkdir()
    (site / "py4j" / "__init__.py").write_text("")
    (site / "py4j" / "version.py").write_text(f"__version__ = '{py4j_version}'\n")
    for name in ("pyspark.zip", "py4j-0.10.9.9-src.zip"):
        (lib / name).write_bytes(b"")
    return str(site), str(lib / "pyspark.zip"), str(lib / "py4j-0.10.9.9-src.zip")


def test_the_daemon_drops_only_the_zips_bundled_with_the_installed_pyspark(tmp_path):
    from curation.spark.pydaemon import without_bundled_copies

    site, spark_zip, py4j_zip = _tree(tmp_path / "a")
    std = "/usr/lib/python311.zip"
    assert without_bundled_copies(["", spark_zip, py4j_zip, std, site]) == ["", std, site]
    # another py4j installed: its bundled copy stays
    site_b, spark_zip_b, py4j_zip_b = _tree(tmp_path / "b", py4j_version="0.10.9.7")
    assert without_bundled_copies([spark_zip_b, py4j_zip_b, site_b]) == [py4j_zip_b, site_b]
    # another Spark's zips (not inside the pyspark the path imports) stay
    other = tmp_path / "spark-home" / "python" / "lib"
    other.mkdir(parents=True)
    foreign = [str(other / "pyspark.zip"), str(other / "py4j-0.10.9.9-src.zip")]
    assert without_bundled_copies([*foreign, site]) == [*foreign, site]
    # the pyspark imported is the first one on the path: a later one's zips do not count
    assert without_bundled_copies([spark_zip_b, site, site_b]) == [spark_zip_b, site, site_b]
    # no installed pyspark at all: nothing dropped
    assert without_bundled_copies([spark_zip, std]) == [spark_zip, std]


def test_local_workers_import_pyspark_from_its_installed_bytecode(spark):
    """The session's Python workers (started by curation.spark.pydaemon) import pyspark from the
    installed package, not from the source zip Spark puts first on their path."""
    assert spark.sparkContext.getConf().get("spark.python.daemon.module") == (
        "curation.spark.pydaemon"
    )

    def where(_):
        import sys

        import pyspark
        import pyspark.worker

        yield pyspark.__file__, pyspark.worker.__file__, [p for p in sys.path if ".zip" in p]

    for init, worker, zips in (
        spark.sparkContext.parallelize(range(2), 2).mapPartitions(where).collect()
    ):
        assert ".zip" not in init and ".zip" not in worker
        assert Path(init).with_name("__pycache__").is_dir()
        assert not [z for z in zips if z.endswith("pyspark.zip")]


SUBMITTED = textwrap.dedent(
    """
    import json, sys
    from curation.config import load_config
    from curation.spark.session import get_spark

    spark = get_spark(load_config("reference").spark)  # the master is spark-submit's

    def where(_):
        import pyspark
        yield pyspark.__file__

    import pyspark
    out = {"driver": pyspark.__file__, "master": spark.sparkContext.master,
           "daemon": spark.sparkContext.getConf().get("spark.python.daemon.module"),
           "worker": spark.sparkContext.parallelize([0], 1).mapPartitions(where).collect()[0]}
    spark.stop()
    print("RESULT " + json.dumps(out))
    """
)


def test_spark_submit_driver_and_workers_import_the_installed_pyspark(tmp_path):
    """Under ``spark-submit --master local[1]`` (which puts pyspark's source zip first on the
    driver's and the workers' paths) both import the installed package's bytecode."""
    script = tmp_path / "job.py"
    script.write_text(SUBMITTED)
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1",
               SPARK_CONF_DIR=str(REPO / "curation" / "spark" / "conf"),
               PYTHONPATH=str(REPO))  # fmt: skip
    proc = subprocess.run([str(venv_bin / "spark-submit"), "--master", "local[1]", str(script)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    out = json.loads(line.removeprefix("RESULT "))
    assert out["master"] == "local[1]" and out["daemon"] == "curation.spark.pydaemon"
    for side in ("driver", "worker"):
        assert ".zip" not in out[side], out
