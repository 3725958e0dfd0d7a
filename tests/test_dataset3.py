"""Dataset-3 on the shared demo run: UMAP + HDBSCAN SemDedup of the small domains only."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from curation.config import load_config
from curation.datasets import read_kept, read_ledger, read_manifest
from curation.pipeline import semdedup
from curation.summary import pipeline_rows, pipeline_table, run_manifests
from tests.conftest import DEMO_RUN_SETTINGS

SMALL = ["arxiv", "lemma", "algebraic-stack"]


def _cfg(*more: str):
    return load_config("demo", [*DEMO_RUN_SETTINGS, *more])


def _copy(run: Path, to: Path) -> Path:
    """The demo run up to Dataset-2 (its Dataset-3 and later left behind)."""
    shutil.copytree(run, to, ignore=shutil.ignore_patterns("dataset-3", "hdbscan", "tokens"))
    return to


@pytest.fixture(scope="module")
def run(demo_run, tmp_path_factory) -> Path:
    """A copy of the whole shared demo run (its Dataset-3 built with :func:`_cfg`)."""
    path = tmp_path_factory.mktemp("d3") / "run"
    shutil.copytree(demo_run, path, ignore=shutil.ignore_patterns("tokens", "_lock"))
    return path


def _ids(run: Path, dataset: str, domain: str | None = None) -> set[str]:
    return set(read_kept(str(run), dataset, ["id"], domain=domain).column("id").to_pylist())


def test_other_domains_equal_dataset2_and_conservation(run):
    m2, m3 = read_manifest(str(run), "dataset-2"), read_manifest(str(run), "dataset-3")
    assert m3["rows_in"] == m2["rows_out"] == m3["rows_out"] + sum(m3["removed"].values())
    ledger = read_ledger(str(run), "dataset-3").to_pandas()
    for domain, b in m3["per_domain"].items():
        kept = _ids(run, "dataset-3", domain)
        gone = set(ledger.loc[ledger.domain == domain, "id"])
        assert kept | gone == _ids(run, "dataset-2", domain) and not kept & gone
        assert (len(kept), len(gone)) == (b["rows_out"], b["rows_in"] - b["rows_out"])
        if domain not in SMALL:
            assert not gone
    assert set(ledger.domain) <= set(SMALL) and len(ledger) > 0
    assert set(ledger.stage) == {"semdedup_hdbscan"}


def test_removals_follow_the_rule_inside_hdbscan_clusters(run):
    points = pq.read_table(run / "clusters/hdbscan/points.parquet").to_pandas().set_index("id")
    m3 = read_manifest(str(run), "dataset-3")
    ledger = read_ledger(str(run), "dataset-3").to_pandas()
    kept = read_kept(str(run), "dataset-3", ["id", "hdbscan_cluster"]).to_pandas().set_index("id")
    twin_of = dict(zip(ledger.id, ledger.duplicate_of, strict=True))
    for r in ledger.itertuples():
        eps = m3["semdedup"]["eps"][r.domain]
        twin = r.duplicate_of  # max_id: the most similar earlier document (kept or not)
        assert r.score > 1 - eps
        assert points.cluster[r.id] == points.cluster[twin] == r.cluster >= 0
        # the twin comes earlier in SemDedup order: farther from the centroid (ties by id)
        assert (points.distance[twin], r.id) >= (points.distance[r.id], twin)
        while twin in twin_of:  # a chain of twins ends at a kept document of the same cluster
            twin = twin_of[twin]
        assert kept.hdbscan_cluster[twin] == r.cluster
    noise = points.index[points.cluster == -1]
    assert set(noise) <= set(kept.index)  # noise is never removed
    assert (kept.loc[noise, "hdbscan_cluster"] == -1).all()
    others = kept.hdbscan_cluster[~kept.index.isin(points.index)]
    assert others.isna().all()  # not clustered by HDBSCAN
    s = m3["semdedup"]
    assert s["noise_kept"] == len(noise) and s["clustered_documents"] == len(points)
    assert abs(s["achieved_removal"] - 0.074) < 0.02
    assert len(ledger) == round(s["achieved_removal"] * len(points))


def test_inspection_outputs(run):
    folder = run / "clusters/hdbscan"
    points = pq.read_table(folder / "points.parquet").to_pandas()
    d2_small = set().union(*(_ids(run, "dataset-2", d) for d in SMALL))
    assert set(points.id) == d2_small and np.isfinite(points[["x", "y"]].to_numpy()).all()
    clusters = pq.read_table(folder / "clusters.parquet").to_pandas().set_index("cluster")
    sizes = points[points.cluster >= 0].groupby("cluster").size()
    assert clusters["size"].to_dict() == sizes.to_dict()
    for label, reps in clusters.representatives.items():
        members = points[points.cluster == label].sort_values(["distance", "id"])
        assert list(reps) == members.id.head(3).tolist()
        assert sum(json.loads(clusters.domains[label]).values()) == sizes[label]
    dups = pq.read_table(folder.parent.parent / "dataset-3/cluster_duplicates.parquet").to_pandas()
    ledger = read_ledger(str(run), "dataset-3").to_pandas()
    assert dups.set_index("cluster").duplicates_removed.to_dict() == {
        c: int((ledger.cluster == c).sum()) for c in dups.cluster
    }
    sample = pq.read_table(folder / "sample_points.parquet").to_pandas()
    assert len(sample) > 0 and not set(sample.domain) & set(SMALL)
    search = json.loads((folder / "search.json").read_text())
    assert search[0]["clusters"] == len(clusters) and search[0]["trace"]
    curve = json.loads((run / "dataset-3/eps_curve.json").read_text())
    assert set(curve["per_domain"]) == set(SMALL)


def test_summary_table_counts_every_stage(run):
    manifests = run_manifests(str(run))
    rows = pipeline_rows(manifests)
    total = rows.pop("TOTAL")
    for domain, row in rows.items():
        removed = sum(row[c] for c in ("invalid", "langid", "exact", "length", "kmeans", "hdbscan"))
        assert row["raw"] == row["D3"] + removed, domain
    assert total["D3"] == manifests["dataset-3"]["rows_out"]
    assert total["raw"] == manifests["dataset-1"]["rows_in"]
    assert "ru-CC" in rows and rows["ru-CC"]["D3"] == rows["ru-CC"]["D2"]
    text = pipeline_table(manifests)
    assert "TOTAL" in text and str(total["D3"]) in text


def test_rerun_is_skipped_and_a_second_run_is_identical(run, demo_run, tmp_path):
    marker = run / "dataset-3/_SUCCESS"
    before = marker.stat().st_mtime_ns
    t0 = time.perf_counter()
    semdedup.run(str(run), _cfg(), "hdbscan")
    assert time.perf_counter() - t0 < 5 and marker.stat().st_mtime_ns == before
    other = _copy(demo_run, tmp_path / "run")
    semdedup.run(str(other), _cfg(), "hdbscan")
    for name in ("points.parquet", "clusters.parquet"):
        a = pq.read_table(run / "clusters/hdbscan" / name)
        assert a.equals(pq.read_table(other / "clusters/hdbscan" / name)), name
    assert _ids(run, "dataset-3") == _ids(other, "dataset-3")


def test_per_domain_groups_and_eps_come_from_the_config(demo_run, tmp_path):
    path = _copy(demo_run, tmp_path / "run")
    cfg = _cfg(
        "hdbscan.domains=[arxiv, lemma]",
        "hdbscan.group_by=domain",
        "hdbscan.calibrate_per=domain",
        "hdbscan.target_clusters=4",
        "hdbscan.target_removal=0.1",
    )
    m3 = semdedup.run(str(path), cfg, "hdbscan")
    assert set(m3["semdedup"]["eps"]) == {"arxiv", "lemma"}
    assert _ids(path, "dataset-3", "algebraic-stack") == _ids(path, "dataset-2", "algebraic-stack")
    points = pq.read_table(path / "clusters/hdbscan/points.parquet").to_pandas()
    by_domain = points[points.cluster >= 0].groupby("cluster").domain.nunique()
    assert (by_domain == 1).all()  # one clustering per domain: no mixed clusters
    ledger = read_ledger(str(path), "dataset-3").to_pandas()
    for domain in ("arxiv", "lemma"):
        n = (points.domain == domain).sum()
        assert abs((ledger.domain == domain).sum() / n - 0.1) < 0.03


def test_no_configured_domain_present_passes_everything_through(demo_run, tmp_path):
    path = _copy(demo_run, tmp_path / "run")
    m3 = semdedup.run(str(path), _cfg("hdbscan.domains=[not-here]"), "hdbscan")
    assert m3["rows_out"] == m3["rows_in"] and m3["semdedup"]["clustered_documents"] == 0
    assert _ids(path, "dataset-3") == _ids(path, "dataset-2")


@pytest.mark.parametrize("stage", ["kmeans", "hdbscan", "tokens"])
def test_a_remote_run_folder_is_a_clear_error_for_the_local_stages(stage):
    from curation.pipeline import tokens
    from curation.storage import LocalRunRequiredError

    with pytest.raises(LocalRunRequiredError, match="s3://bucket/run"):
        if stage == "tokens":
            tokens.run("s3://bucket/run", _cfg())
        else:
            semdedup.run("s3://bucket/run", _cfg(), stage)
