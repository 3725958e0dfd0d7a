"""Dataset-1 on the embedded demo corpus (no shared data needed): what was planted is removed."""

from __future__ import annotations

import gzip
import json

import pytest

from curation.datasets import read_kept, read_ledger, read_manifest


@pytest.fixture(scope="module")
def ds1(demo_run):
    """The shared demo run's Dataset-1 with the generator's truth (read only)."""
    root = demo_run.parent
    with gzip.open(root / "input" / "_truth" / "truth.jsonl.gz", "rt") as f:
        truth = [json.loads(line) for line in f]
    with gzip.open(root / "input" / "_truth" / "docs.jsonl.gz", "rt") as f:
        docs = {d["id"]: d for d in map(json.loads, f)}
    kept = read_kept(str(demo_run), "dataset-1").to_pandas().set_index("id")
    ledger = read_ledger(str(demo_run), "dataset-1").to_pandas().set_index("id")
    return demo_run, truth, docs, kept, ledger


def test_every_document_is_kept_or_removed_once(ds1):
    run, _, docs, kept, ledger = ds1
    assert set(kept.index).isdisjoint(ledger.index)
    assert set(kept.index) | set(ledger.index) == set(docs)
    m = read_manifest(str(run), "dataset-1")
    assert m["rows_in"] == len(docs) == m["rows_out"] + sum(m["removed"].values())


def test_planted_kinds_are_removed_by_their_stage(ds1):
    _, truth, docs, kept, ledger = ds1
    stage = {**ledger.stage.to_dict(), **{i: "kept" for i in kept.index}}
    by_kind: dict[str, list[str]] = {}
    for t in truth:
        by_kind.setdefault(t["kind"], []).append(t["id"])
    junk = [stage[i] for i in by_kind["short_junk"]]
    assert "kept" not in junk and junk.count("length") > len(junk) / 2
    assert all(stage[i] in ("langid", "exact_dedup") for i in by_kind["other_lang"])
    assert {stage[i] for i in by_kind["other_lang"]} >= {"langid"}
    # exact copies: one survivor per text, the rest point at it
    for t in truth:
        if t["kind"] == "exact" and stage[t["id"]] == "exact_dedup":
            twin = ledger.duplicate_of[t["id"]]
            twin_text = kept.text.get(twin, ledger.text.get(twin))
            assert twin_text == ledger.text[t["id"]]
    # of a copy and its original, one is removed as the other's duplicate (or both lost to langid)
    for t in truth:
        if t["kind"] == "exact":
            pair = (stage[t["id"]], stage[t["copy_of"]])
            assert pair == ("langid", "langid") or "exact_dedup" in pair, (t, pair)
    # near-exact variants, paraphrases and near-duplicates differ in bytes: exact dedup keeps them
    for kind in ("near_exact", "paraphrase", "near_duplicate"):
        assert sum(stage[i] == "exact_dedup" for i in by_kind[kind]) == 0
    # ru/en web originals of normal length survive, routed by language
    originals = [
        i for i, d in docs.items() if d["domain"] == "cc" and i not in {t["id"] for t in truth}
    ]
    copied = {t["copy_of"] for t in truth if t["kind"] == "exact"}
    kept_originals = [i for i in originals if stage[i] == "kept"]
    lost = [
        i
        for i in originals
        if stage[i] != "kept" and not (i in copied and stage[i] == "exact_dedup")
    ]
    assert len(lost) <= 0.01 * len(originals), [(i, stage[i]) for i in lost]
    assert all(kept.domain[i] == f"{docs[i]['lang']}-CC" for i in kept_originals)
