"""``curation explain``: the history of one id, checked against the run's own ledgers."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from curation.__main__ import main
from curation.datasets import read_kept, read_ledger
from curation.inspect.explain import History, explain

LEDGER_COLUMNS = ["id", "domain", "stage", "reason", "score", "duplicate_of", "cluster"]


@pytest.fixture(scope="module")
def ledgers(demo_run) -> dict[str, pd.DataFrame]:
    return {
        d: read_ledger(str(demo_run), d, LEDGER_COLUMNS).to_pandas().sort_values("id")
        for d in ("dataset-1", "dataset-2", "dataset-3")
    }


def _first(ledger: pd.DataFrame, stage: str) -> dict:
    rows = ledger[ledger.stage == stage]
    assert len(rows), f"the demo run removed nothing by {stage}"
    return rows.iloc[0].to_dict()


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["explain", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _survivor(ledger: pd.DataFrame, doc_id: str) -> str:
    twin = dict(zip(ledger.id, ledger.duplicate_of, strict=True))
    while doc_id in twin:
        doc_id = twin[doc_id]
    return doc_id


def test_exact_copy(demo_run, ledgers, capsys):
    row = _first(ledgers["dataset-1"], "exact_dedup")
    code, out, _ = _run(capsys, str(demo_run), row["id"])
    assert code == 0
    assert "REMOVED by exact_dedup (exact_duplicate) in dataset-1" in out
    assert f"twin     {row['duplicate_of']}" in out
    h = explain(str(demo_run), row["id"])
    assert h.removed_by.stage == "exact_dedup" and h.twin == row["duplicate_of"]
    assert h.text == h.twin_text  # an exact copy: the twin's text is the same text
    first_line = h.text.splitlines()[0][:40]
    assert out.count(first_line) >= 2  # shown side by side


def test_semdedup_kmeans(demo_run, ledgers, capsys):
    ledger = ledgers["dataset-2"]
    row = _first(ledger, "semdedup_kmeans")
    code, out, _ = _run(capsys, str(demo_run), row["id"])
    assert code == 0
    assert f"REMOVED by semdedup_kmeans ({row['reason']}) in dataset-2" in out
    assert row["reason"] in ("semantic_duplicate", "semantic_duplicate_cross_cluster")
    assert f"twin     {row['duplicate_of']}, similarity {row['score']:.4f}" in out
    assert f"k-means cluster {int(row['cluster'])}" in out
    h = explain(str(demo_run), row["id"])
    assert [s.status for s in h.steps] == ["kept", "removed", "not reached"]
    assert h.chain[0] == row["duplicate_of"]
    assert h.chain[-1] == _survivor(ledger, row["id"])  # the chain ends at the document kept
    assert h.twin_text and h.twin_text.splitlines()[0][:30] in out  # the twin shown beside it


def test_chain_through_removed_twins(demo_run, ledgers):
    ledger = ledgers["dataset-2"]
    removed_twice = ledger[ledger.duplicate_of.isin(set(ledger.id))]
    if removed_twice.empty:
        pytest.skip("no SemDedup twin was itself removed in the demo run")
    row = removed_twice.iloc[0]
    h = explain(str(demo_run), row["id"])
    assert len(h.chain) >= 2 and h.chain[-1] == _survivor(ledger, row["id"])
    assert h.chain[-1] not in set(ledger.id)


def test_removed_by_length(demo_run, ledgers, capsys):
    row = _first(ledgers["dataset-1"], "length")
    code, out, _ = _run(capsys, str(demo_run), row["id"])
    assert code == 0
    assert "REMOVED by length (too_short) in dataset-1" in out
    assert f"{int(row['score'])} characters" in out
    assert "twin" not in out.split("text (")[0]


def test_semdedup_hdbscan(demo_run, ledgers, capsys):
    row = _first(ledgers["dataset-3"], "semdedup_hdbscan")
    code, out, _ = _run(capsys, str(demo_run), row["id"])
    assert code == 0
    assert f"REMOVED by semdedup_hdbscan ({row['reason']}) in dataset-3" in out
    assert row["reason"] in ("semantic_duplicate", "semantic_duplicate_cross_cluster")
    assert f"HDBSCAN cluster {int(row['cluster'])}" in out
    assert f"twin     {row['duplicate_of']}, similarity {row['score']:.4f}" in out


def test_kept(demo_run, ledgers, capsys):
    kept = read_kept(str(demo_run), "dataset-3", ["id", "domain", "cluster"]).to_pandas()
    doc = kept.sort_values("id").iloc[0]
    code, out, _ = _run(capsys, str(demo_run), doc["id"])
    assert code == 0
    assert "KEPT (through dataset-3)" in out and "REMOVED" not in out
    h: History = explain(str(demo_run), doc["id"])
    assert [s.status for s in h.steps[:3]] == ["kept", "kept", "kept"]
    assert h.steps[1].cluster == doc["cluster"]  # the k-means cluster Dataset-2 recorded
    named = {
        s: int(n) for s, n in pd.concat(ledgers.values()).query("duplicate_of == @doc.id").stage.value_counts().items()
    }  # fmt: skip
    assert h.twin_of == named


def test_unknown_id(demo_run, capsys):
    code, out, err = _run(capsys, str(demo_run), "no-such-document")
    assert code == 1 and out == ""
    assert "unknown id 'no-such-document'" in err


def test_module_entry_point(demo_run):
    result = subprocess.run(
        [sys.executable, "-m", "curation", "explain", str(demo_run), "no-such-document"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "error: unknown id" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "curation", "stats", str(demo_run / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "not a finished run" in result.stderr


def test_best_match_across_a_cluster_boundary(demo_run, capsys):
    """A document whose most similar earlier document lies in another k-means cluster (the demo
    preset's cross-boundary pass): explain says so, with that document and its similarity."""
    import pyarrow.parquet as pq

    sim = pq.read_table(demo_run / "clusters" / "kmeans" / "similarity" / "data").to_pandas()
    across = sim[sim["cross"]].sort_values("id")
    assert len(across), "the demo run has no best match across a boundary"
    row = across.iloc[0]
    code, out, _ = _run(capsys, str(demo_run), row["id"])
    assert code == 0
    assert (
        f"most similar earlier document {row['max_id']} (in another cluster, across the "
        f"boundary): {row['M']:.4f}" in out
    )
    twin_cluster = sim.set_index("id").at[row["max_id"], "cluster"]
    assert twin_cluster != row["cluster"]


def test_cross_boundary_removal_in_the_ledger_step() -> None:
    from curation import schema as S
    from curation.inspect.explain import _ledger_step

    row = {S.STAGE: S.STAGE_SEMDEDUP_KMEANS, S.REASON: S.REASON_SEMANTIC_CROSS, S.SCORE: 0.99,
           S.DUPLICATE_OF: "b", S.CLUSTER: 3, S.DETAIL: None}  # fmt: skip
    step = _ledger_step("dataset-2", row)
    assert step.facts == ("similarity 0.9900 to b (in another cluster)",)
    assert step.reason == S.REASON_SEMANTIC_CROSS
