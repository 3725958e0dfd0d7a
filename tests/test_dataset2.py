"""Dataset-2 (SemDedup with k-means) on a copy of the shared demo run."""

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
from curation.manifest import check_conservation
from curation.pipeline import semdedup
from tests.conftest import DEMO_RUN_SETTINGS

pytestmark = pytest.mark.slow


def _cfg(*more: str):
    return load_config("demo", [*DEMO_RUN_SETTINGS, "semdedup.tile_size=64", *more])


@pytest.fixture(scope="module")
def run(demo_run, tmp_path_factory) -> Path:
    """A copy of the shared demo run up to Dataset-2 (these tests rebuild parts of it)."""
    root = tmp_path_factory.mktemp("ds2") / "run"
    for part in ("dataset-1", "embeddings", "clusters", "dataset-2"):
        shutil.copytree(demo_run / part, root / part)
    return root


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
    # the demo preset's eps, calibrated for its embedder on labelled pairs (no target)
    assert m2["semdedup"]["target_removal"] is None
    assert m2["semdedup"]["eps"] == _cfg().semdedup.eps == 0.0235
    assert abs(m2["semdedup"]["achieved_removal"] - ledger.num_rows / m2["rows_in"]) < 1e-9
    assert 0.03 < m2["semdedup"]["achieved_removal"] < 0.3


def test_a_target_removal_calibrates_eps(run):
    """The reference's rule: eps calibrated so that 30% of the documents are removed (only the
    threshold step is redone)."""
    m = semdedup.run(str(run), _cfg("semdedup.target_removal=0.30", "run.force=true"), "kmeans")
    assert abs(sum(m["removed"].values()) / m["rows_in"] - 0.30) <= 0.005
    assert abs(m["semdedup"]["achieved_removal"] - 0.30) <= 0.005
    semdedup.run(str(run), _cfg("run.force=true"), "kmeans")  # back to the preset's result


def test_ledger_follows_the_rule(run, similarity):
    m2 = read_manifest(str(run), "dataset-2")
    threshold = m2["semdedup"]["threshold"]
    ledger = read_ledger(str(run), "dataset-2").to_pandas()
    assert set(ledger.stage) == {"semdedup_kmeans"}
    sim = similarity.set_index("id")
    # the reason says whether the twin is across a cluster boundary (the demo preset's pass)
    crossed = sim.loc[ledger.id, "cross"].to_numpy()
    reasons = np.where(crossed, "semantic_duplicate_cross_cluster", "semantic_duplicate")
    assert (ledger.reason.to_numpy() == reasons).all()
    assert (ledger.score > threshold).all()
    assert (ledger.score.to_numpy() == sim.loc[ledger.id, "M"].to_numpy()).all()
    # duplicate_of is earlier in the one total order (farther from its centroid, then id): in
    # the same cluster (a smaller rank), or across a boundary for a cross-cluster removal
    twin = sim.loc[ledger.duplicate_of]
    same = twin.cluster.to_numpy() == ledger.cluster.to_numpy()
    assert (same == ~crossed).all()
    assert (twin["rank"].to_numpy()[same] < sim.loc[ledger.id, "rank"].to_numpy()[same]).all()
    d_twin, d_doc = twin.distance.to_numpy(), sim.loc[ledger.id, "distance"].to_numpy()
    ids_twin, ids_doc = ledger.duplicate_of.to_numpy(), ledger.id.to_numpy()
    assert ((d_twin > d_doc) | ((d_twin == d_doc) & (ids_twin < ids_doc))).all()
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
    m = semdedup.run(str(run), cfg, "kmeans")
    assert sim_marker.stat().st_mtime_ns == stamp  # nothing recomputed but the threshold
    sim = pq.read_table(run / "clusters" / "kmeans" / "similarity" / "data").to_pandas()
    assert sum(m["removed"].values()) == int((sim.M > 0.8).sum())
    i = curve["eps"].index(0.2)
    assert abs(curve["overall"][i] - sum(m["removed"].values()) / m["rows_in"]) < 1e-9
    semdedup.run(str(run), _cfg("run.force=true"), "kmeans")  # back to the preset's result


def test_rerun_is_identical_and_skipped(run, tmp_path):
    before = read_kept(str(run), "dataset-2").sort_by("id")
    marker = run / "dataset-2" / "_SUCCESS"
    stamp = marker.stat().st_mtime_ns
    semdedup.run(str(run), _cfg(), "kmeans")
    assert marker.stat().st_mtime_ns == stamp
    # a fresh copy of Dataset-1 + embeddings gives the same clusters, similarities and Dataset-2
    copy = tmp_path / "copy"
    for part in ("dataset-1", "embeddings"):
        shutil.copytree(run / part, copy / part)
    semdedup.run(str(copy), _cfg(), "kmeans")
    assert read_kept(str(copy), "dataset-2").sort_by("id") == before
    a = np.load(run / "clusters" / "kmeans" / "centroids.npy")
    b = np.load(copy / "clusters" / "kmeans" / "centroids.npy")
    assert np.array_equal(a, b)


def test_spark_per_cluster_step_equals_the_local_one(spark, run, similarity, tmp_path):
    from curation.spark.semdedup import similarity_on_spark

    out = tmp_path / "spark-sim"
    assignments = run / "clusters" / "kmeans" / "assignments"
    similarity_on_spark(spark, str(run), str(assignments), str(out), _cfg())
    got = pq.read_table(out).to_pandas().sort_values("id").reset_index(drop=True)
    want = similarity.sort_values("id").reset_index(drop=True)[got.columns]
    pd.testing.assert_frame_equal(got, want, check_dtype=False, atol=1e-6)


def test_similarity_equals_the_global_reference_over_compared_pairs(run, similarity):
    """The demo preset's cross-boundary pass on the demo run's own embeddings: the stored M,
    max_id and cross equal the brute-force N x N reference masked to the compared pairs."""
    import pyarrow.dataset as ds

    from curation.pipeline.vectors import vectors_of_ids
    from curation.run_layout import MANIFEST
    from curation.stages import semdedup_cross as cross

    cfg = _cfg()
    rule = cross.CrossRule.of(cfg.semdedup)
    assert rule.on  # the demo preset has the pass on
    assigned = ds.dataset(run / "clusters" / "kmeans" / "assignments").to_table()
    domains = sorted(set(assigned.column("domain").to_pylist()))
    vectors = vectors_of_ids(str(run), assigned.column("id"), domains)
    near, gaps = cross.near_from_arrow(
        assigned.column("near_clusters"), assigned.column("near_gaps")
    )
    ref = cross.brute_force_semdedup(
        assigned.column("id"), np.asarray(assigned.column("cluster")),
        np.asarray(assigned.column("distance"), np.float32), vectors, near, gaps, rule,
    )  # fmt: skip
    got = similarity.set_index("id")
    ids = sorted(ref)
    assert sorted(got.index) == ids
    np.testing.assert_allclose(
        got.loc[ids, "M"].to_numpy(), [ref[i][0] for i in ids], rtol=0, atol=2e-6
    )
    # max_id: the reference's, except where two documents are equally similar to float32
    # rounding (measured: 2 of 512 differ by < 1e-7 in float64); then the stored one is as good
    row = {k: n for n, k in enumerate(assigned.column("id").to_pylist())}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    differ = [i for i in ids if got.at[i, "max_id"] != ref[i][1]]
    assert len(differ) <= 5, differ
    for i in differ:
        x = unit[row[i]].astype(np.float64)
        stored = x @ unit[row[got.at[i, "max_id"]]].astype(np.float64)
        best = x @ unit[row[ref[i][1]]].astype(np.float64)
        assert abs(stored - best) < 1e-6, (i, stored, best)
    same = [i for i in ids if i not in set(differ)]
    assert [bool(got.at[i, "cross"]) for i in same] == [ref[i][2] for i in same]
    assert got["cross"].any()  # the pass found best matches across boundaries
    manifest = json.loads((run / "clusters" / "kmeans" / "similarity" / MANIFEST).read_text())
    assert manifest["cross"]["cross_found"] == int(got["cross"].sum())
