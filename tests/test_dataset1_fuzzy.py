"""Fuzzy dedup inside Dataset-1 on Spark: the ledger's near-duplicate rows equal the in-process
rule on the documents the other rules keep, whatever the partitioning; nothing is lost."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from curation import schema as S
from curation.config import load_config
from curation.datasets import read_kept, read_ledger
from curation.pipeline import dataset1
from curation.stages import fuzzy_reference as R
from tests.fuzzy_data import corpus


def _cfg(*overrides: str):
    return load_config(
        "extended",
        ["langid.engine=cld2", "langid.domains=[]", "fuzzy_dedup.threshold=0.7", *overrides],
    )


@pytest.fixture(scope="module")
def docs() -> pa.Table:
    return corpus(150, seed=5)


@pytest.fixture(scope="module")
def input_dir(docs, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzzy-input")
    rows = docs.to_pylist()
    extra = [  # an exact copy (exact dedup first) and a short document (length first)
        {S.ID: "doc-exact", S.DOMAIN: rows[0][S.DOMAIN], S.TEXT: rows[0][S.TEXT]},
        {S.ID: "doc-short", S.DOMAIN: "web", S.TEXT: "too short to matter"},
    ]
    for k, r in enumerate(rows + extra):
        folder = root / r[S.DOMAIN]
        folder.mkdir(exist_ok=True)
        with open(folder / f"part-{k % 3}.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"id": r[S.ID], "text": r[S.TEXT]}, ensure_ascii=False) + "\n")
    return root


@pytest.fixture(scope="module")
def run_a(spark, input_dir, tmp_path_factory):
    run = tmp_path_factory.mktemp("fuzzy-run") / "run"
    manifest = dataset1.run(spark, str(input_dir), str(run), _cfg())
    return run, manifest


def _fuzzy(ledger: pa.Table) -> pa.Table:
    rows = ledger.filter(pc.equal(ledger.column(S.STAGE), S.STAGE_FUZZY_DEDUP))
    return rows.select([S.ID, S.DUPLICATE_OF, S.SCORE, S.CLUSTER, S.DETAIL]).sort_by(S.ID)


def test_near_duplicates_equal_the_rule_on_the_kept_documents(docs, run_a):
    run, manifest = run_a
    kept = read_kept(str(run), "dataset-1")
    ledger = read_ledger(str(run), "dataset-1")
    got = _fuzzy(ledger)
    # the documents fuzzy dedup saw: those kept, and those it removed
    columns = [S.ID, S.DOMAIN, S.TEXT]
    removed = ledger.filter(pc.equal(ledger.column(S.STAGE), S.STAGE_FUZZY_DEDUP))
    seen = pa.concat_tables(
        [t.select(columns).cast(removed.select(columns).schema) for t in (kept, removed)]
    )
    want = R.lsh_reference(seen, _cfg().fuzzy_dedup)
    assert len(want) >= 15
    assert got.to_pylist() == want.to_pylist()
    assert set(got.column(S.DUPLICATE_OF).to_pylist()) <= set(kept.column(S.ID).to_pylist())
    assert all(r[S.REASON] == "near_duplicate" for r in ledger.to_pylist()
               if r[S.STAGE] == S.STAGE_FUZZY_DEDUP)  # fmt: skip
    # the other rules come first, and nothing is lost
    stages = dict(zip(ledger.column(S.ID).to_pylist(), ledger.column(S.STAGE).to_pylist(),
                      strict=True))  # fmt: skip
    assert stages["doc-exact"] == S.STAGE_EXACT_DEDUP and stages["doc-short"] == S.STAGE_LENGTH
    assert manifest["rows_in"] == docs.num_rows + 2 == kept.num_rows + ledger.num_rows
    assert manifest["removed_by_stage"][S.STAGE_FUZZY_DEDUP] == len(got)
    assert manifest["fuzzy_dedup"]["removed"] == len(got)
    assert manifest["fuzzy_dedup"]["linked_pairs"] >= len(got)
    assert not (run / "dataset-1" / dataset1.FUZZY_WORK).exists()


def test_other_partitioning_gives_the_same_dataset(spark, input_dir, run_a, tmp_path):
    run, _ = run_a
    other = tmp_path / "run"
    dataset1.run(  # and more writer tasks (8) than Spark partitions (3)
        spark, str(input_dir), str(other),
        _cfg("spark.shuffle_partitions=3", "spark.exchange_rows=20"),
    )  # fmt: skip
    for name in (run, other):
        assert (name / "dataset-1").exists()
    a, b = read_ledger(str(run), "dataset-1"), read_ledger(str(other), "dataset-1")
    assert _fuzzy(a).to_pylist() == _fuzzy(b).to_pylist()
    assert sorted(read_kept(str(run), "dataset-1").column(S.ID).to_pylist()) == sorted(
        read_kept(str(other), "dataset-1").column(S.ID).to_pylist()
    )


def test_summary_and_explain_show_fuzzy_dedup(run_a):
    from curation.inspect import explain
    from curation.summary import pipeline_rows

    run, manifest = run_a
    ledger = read_ledger(str(run), "dataset-1")
    rows = pipeline_rows({"dataset-1": manifest})
    assert rows["TOTAL"]["fuzzy"] == manifest["fuzzy_dedup"]["removed"] > 0
    assert (
        rows["TOTAL"]["raw"] - sum(v for k, v in rows["TOTAL"].items() if k not in ("raw", "D1"))
        == rows["TOTAL"]["D1"]
    )
    near = _fuzzy(ledger).to_pylist()[0]
    text = explain.format_history(explain.explain(str(run), near[S.ID]))
    assert "REMOVED by fuzzy_dedup (near_duplicate) in dataset-1" in text
    assert f"near duplicate of {near[S.DUPLICATE_OF]}: Jaccard {near[S.SCORE]:.4f}" in text
    assert f"near-duplicate group {near[S.CLUSTER]}" in text
    assert f"twin     {near[S.DUPLICATE_OF]}" in text


def test_extended_is_the_reference_plus_fuzzy_dedup():
    import dataclasses

    ref, ext = load_config("reference"), load_config("extended")
    assert not ref.fuzzy_dedup.enabled and ext.fuzzy_dedup.enabled
    assert dataclasses.replace(ext, fuzzy_dedup=ref.fuzzy_dedup) == ref
