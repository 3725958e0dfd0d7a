"""The Spark engine of the semantic half equals the in-process engine on the same inputs.

Dataset-2 and Dataset-3 built with ``spark=`` (k-means sample, training and assignment, the
per-cluster similarity, a distributed eps calibration, the dataset written by the executors) from
a copy of the shared demo run's Dataset-1 and embeddings: the same centroids, the same similarity
table, the same eps (calibrated to a target removal), kept ids, ledgers and manifest counts as the
in-process engine (the demo run's clusters, with its datasets rebuilt to the same targets).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.pipeline import semdedup
from curation.spark import thresholds
from curation.stages import semdedup as core
from tests.conftest import DEMO_RUN_SETTINGS

COUNTS = ("rows_in", "rows_out", "removed", "removed_by_stage")


TARGETS = ["semdedup.target_removal=0.3", "hdbscan.target_removal=0.074"]


@pytest.fixture(scope="module")
def spark_run(spark, demo_run, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("spark-engine") / "run"
    for part in ("dataset-1", "embeddings"):
        shutil.copytree(demo_run / part, run / part)
    cfg = load_config("demo", [*DEMO_RUN_SETTINGS, *TARGETS])
    semdedup.run(str(run), cfg, "kmeans", spark)
    semdedup.run(str(run), cfg, "hdbscan", spark)
    return run


@pytest.fixture(scope="module")
def local_run(demo_run, tmp_path_factory) -> Path:
    """The demo run (built in-process) with its datasets rebuilt to the same targets."""
    run = tmp_path_factory.mktemp("local-engine") / "run"
    shutil.copytree(demo_run, run, ignore=shutil.ignore_patterns("tokens", "_lock"))
    cfg = load_config("demo", [*DEMO_RUN_SETTINGS, *TARGETS, "run.force=true"])
    semdedup.run(str(run), cfg, "kmeans")
    semdedup.run(str(run), cfg, "hdbscan")
    return run


def _table(path: Path):
    return ds.dataset(path, format="parquet").to_table()


@pytest.mark.parametrize("dataset", ["dataset-2", "dataset-3"])
def test_same_kept_ids_ledger_and_counts(spark_run, local_run, dataset):
    for run in (spark_run, local_run):
        assert (run / dataset / "_SUCCESS").is_file()
    a, b = read_manifest(str(spark_run), dataset), read_manifest(str(local_run), dataset)
    assert a["engine"] == "spark" and "engine" not in b
    assert {k: a[k] for k in COUNTS} == {k: b[k] for k in COUNTS}
    assert a["semdedup"] == b["semdedup"]  # the same eps, calibrated on the executors
    assert (
        read_kept(str(spark_run), dataset, ["id"]).column("id").sort()
        == read_kept(str(local_run), dataset, ["id"]).column("id").sort()
    )
    columns = ["id", "domain", "stage", "reason", "score", "duplicate_of", "cluster", "detail",
               "src_file", "src_line", "text"]  # fmt: skip
    la = read_ledger(str(spark_run), dataset, columns).sort_by("id")
    lb = read_ledger(str(local_run), dataset, columns).sort_by("id")
    assert la.to_pylist() == lb.to_pylist()


def test_same_centroids_assignments_and_similarities(spark_run, local_run):
    a = np.load(spark_run / "clusters/kmeans/centroids.npy")
    assert np.array_equal(a, np.load(local_run / "clusters/kmeans/centroids.npy"))
    for name in ("clusters/kmeans/assignments", "clusters/kmeans/similarity/data",
                 "clusters/hdbscan/points.parquet", "clusters/hdbscan/similarity/data"):  # fmt: skip
        x, y = _table(spark_run / name).sort_by("id"), _table(local_run / name).sort_by("id")
        assert x.select(y.column_names).to_pylist() == y.to_pylist(), name


def test_distributed_calibration_equals_the_in_process_one(spark, demo_run):
    sim = spark.read.parquet(str(demo_run / "clusters/kmeans/similarity/data"))
    m = _table(demo_run / "clusters/kmeans/similarity/data").column("M").to_numpy()
    for target in (0.0, 0.05, 0.3, 0.61, 0.99):
        assert thresholds.calibrate(sim, target) == core.calibrate_eps(m, target), target
    grid = core.curve_grid([0.123])
    local = core.removal_curve(m, _table(demo_run / "clusters/kmeans/similarity/data")
                               .column("domain"), grid)  # fmt: skip
    assert thresholds.removal_curve(sim, grid) == local


def test_many_tied_values_are_found_exactly(spark):
    """A histogram bin that never gets small (thousands of exact duplicates at M = 1)."""
    rng = np.random.default_rng(3)
    m = np.concatenate([np.ones(30_000), rng.uniform(-1, 1, 5_000).round(3), -np.ones(2_000)])
    df = spark.createDataFrame([(float(x), "d") for x in m], ["M", "domain"])
    for target in (0.1, 0.5, 0.8, 0.83, 0.95):
        assert thresholds.calibrate(df, target) == core.calibrate_eps(m, target), target
