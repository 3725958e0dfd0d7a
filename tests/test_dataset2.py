"""Dataset-2 end to end on a small demo run: embeddings -> k-means -> SemDedup -> Dataset-2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.demo.corpus import generate
from curation.manifest import check_conservation
from curation.pipeline import dataset1, dataset2, embeddings

pytestmark = pytest.mark.slow

SETS = [
    "embed.max_seq_length=128",
    "kmeans.target_cluster_size=40",
    "semdedup.tile_size=64",
]


def _cfg(*more: str):
    return load_config("demo", [*SETS, *more])


@pytest.fixture(scope="module")
def run(spark, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ds2")
    generate(root / "input", scale=0.06)
    cfg = _cfg()
    dataset1.run(spark, str(root / "input"), str(root / "run"), cfg)
    embeddings.run(str(root / "run"), cfg)
    dataset2.run(str(root / "run"), cfg)
    return root / "run"


@pytest.fixture(scope="module")
def similarity(run) -> pd.DataFrame:
    return pq.read_table(run / "clusters" / "kmeans" / "similarity" / "data").to_pandas()


def test_conservation_and_target(run):
    m1 = read_manifest(str(run), "dataset-1")
    m2 = read_manifest(str(run), "dataset-2")
    check_conservation(m2)
    assert m2["rows_in"] == m1["rows_out"]
    for domain, n in m1["outputs"].items():
        assert m2["per_domain"][domain]["rows_in"] == n
    kept = read_kept(str(run), "dataset-2")
    ledger = read_ledger(str(run), "dataset-2")
    assert kept.num_rows == m2["rows_out"] and ledger.num_rows == sum(m2["removed"].values())
    # calibrated to 30% of the documents
    assert abs(ledger.num_rows / m2["rows_in"] - 0.30) <= 0.005
    assert abs(m2["semdedup"]["achieved_removal"] - 0.30) <= 0.005


def test_ledger_follows_the_rule(run, similarity):
    m2 = read_manifest(str(run), "dataset-2")
    threshold = m2["semdedup"]["threshold"]
    ledger = read_ledger(str(run), "dataset-2").to_pandas()
    assert set(ledger.stage) == {"semdedup_kmeans"} and set(ledger.reason) == {"semantic_duplicate"}
    sim = similarity.set_index("id")
    assert (ledger.score > threshold).all()
    assert (ledger.score.to_numpy() == sim.loc[ledger.id, "M"].to_numpy()).all()
    # duplicate_of is an earlier (farther from the centroid) document of the same cluster
    twin = sim.loc[ledger.duplicate_of]
    assert (twin.cluster.to_numpy() == ledger.cluster.to_numpy()).all()
    assert (twin["rank"].to_numpy() < sim.loc[ledger.id, "rank"].to_numpy()).all()
    kept = read_kept(str(run), "dataset-2").to_pandas().set_index("id")
    assert (sim.loc[kept.index, "M"] <= threshold).all()
    # the farthest document of every cluster is always kept
    assert set(sim[sim["rank"] == 0].index) <= set(kept.index)
    assert (kept.cluster.to_numpy() == sim.loc[kept.index, "cluster"].to_numpy()).all()
    # removed text is in the ledger, unchanged
    ds1 = read_kept(str(run), "dataset-1", ["id", "text"]).to_pandas().set_index("id")
    assert (ds1.loc[ledger.id, "text"].to_numpy() == ledger.text.to_numpy()).all()


def test_eps_curve_and_a_new_eps_reuses_the_similarities(run):
    curve = json.loads((run / "dataset-2" / "eps_curve.json").read_text())
    assert set(curve) >= {"eps", "overall", "per_domain"}
    assert curve["overall"] == sorted(curve["overall"])  # larger eps removes more
    sim_marker = run / "clusters" / "kmeans" / "similarity" / "_SUCCESS"
    stamp = sim_marker.stat().st_mtime_ns
    cfg = _cfg("semdedup.target_removal=null", "semdedup.eps=0.2", "run.force=true")
    m = dataset2.run(str(run), cfg)
    assert sim_marker.stat().st_mtime_ns == stamp  # nothing recomputed but the threshold
    sim = pq.read_table(run / "clusters" / "kmeans" / "similarity" / "data").to_pandas()
    assert sum(m["removed"].values()) == int((sim.M > 0.8).sum())
    i = curve["eps"].index(0.2)
    assert abs(curve["overall"][i] - sum(m["removed"].values()) / m["rows_in"]) < 1e-9
    dataset2.run(str(run), _cfg("run.force=true"))  # back to the calibrated result


def test_rerun_is_identical_and_skipped(run, tmp_path):
    before = read_kept(str(run), "dataset-2").sort_by("id")
    marker = run / "dataset-2" / "_SUCCESS"
    stamp = marker.stat().st_mtime_ns
    dataset2.run(str(run), _cfg())
    assert marker.stat().st_mtime_ns == stamp
    # a fresh copy of Dataset-1 + embeddings gives the same clusters, similarities and Dataset-2
    copy = tmp_path / "copy"
    for part in ("dataset-1", "embeddings"):
        shutil.copytree(run / part, copy / part)
    dataset2.run(str(copy), _cfg())
    assert read_kept(str(copy), "dataset-2").sort_by("id") == before
    a = np.load(run / "clusters" / "kmeans" / "centroids.npy")
    b = np.load(copy / "clusters" / "kmeans" / "centroids.npy")
    assert np.array_equal(a, b)


def test_spark_per_cluster_step_equals_the_local_one(spark, run, similarity, tmp_path):
    from curation.spark.semdedup import similarity_on_spark

    out = tmp_path / "spark-sim"
    similarity_on_spark(spark, str(run), str(out), _cfg())
    got = pq.read_table(out).to_pandas().sort_values("id").reset_index(drop=True)
    want = similarity.sort_values("id").reset_index(drop=True)[got.columns]
    pd.testing.assert_frame_equal(got, want, check_dtype=False, atol=1e-6)
