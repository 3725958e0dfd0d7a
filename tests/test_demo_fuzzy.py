"""The demo corpus's planted near-duplicates (kind ``near_duplicate``) and what fuzzy dedup's rule
finds among them, in process (the Spark stage equals this rule: tests/test_fuzzy_spark.py).

Floors measured at scale 1 with the default seed (139 planted: 102 at true Jaccard >= 0.8):
recall 102/102; of 427 removals (paraphrases and near-exact variants are found too) every one
is a planted relative of its survivor, 397 (93.0%) have Jaccard >= 0.8 with their survivor (the
others are linked through another member: components are transitive) and every one with the
member that linked it."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.demo import corpus as D
from curation.stages import fuzzy_reference as R
from curation.stages import minhash

THRESHOLD = 0.8


def _rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _read(root: Path) -> tuple[dict[str, tuple[str, str]], dict[str, dict], dict[str, list[str]]]:
    """(id -> (domain, text), truth by id, shard file -> ids in order)."""
    docs, shards = {}, {}
    for path in sorted(root.glob("*/part-*.jsonl.gz")):
        rows = _rows(path)
        shards[str(path.relative_to(root))] = [r["id"] for r in rows]
        docs.update({r["id"]: (path.parent.name, r["text"]) for r in rows})
    truth = {t["id"]: t for t in _rows(root / "_truth" / "truth.jsonl.gz")}
    return docs, truth, shards


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("demo-fuzzy")
    D.generate(root, scale=1.0)
    return _read(root)


def test_near_duplicates_change_nothing_else(tmp_path: Path, monkeypatch) -> None:
    """Without the near_duplicate kind the corpus is what it was: same documents, ids, shard
    order, truth and catalogue."""
    D.generate(tmp_path / "with", scale=0.1)
    no_fuzzy = {k: dataclasses.replace(m, fuzzy=0.0) for k, m in D.MIXES.items()}
    monkeypatch.setattr(D, "MIXES", no_fuzzy)
    D.generate(tmp_path / "without", scale=0.1)
    docs_w, truth_w, shards_w = _read(tmp_path / "with")
    docs_o, truth_o, shards_o = _read(tmp_path / "without")
    planted = {i for i, t in truth_w.items() if t["kind"] == "near_duplicate"}
    assert len(planted) >= 15 and not any(t["kind"] == "near_duplicate" for t in truth_o.values())
    assert {i: t for i, t in truth_w.items() if i not in planted} == truth_o
    assert {i: d for i, d in docs_w.items() if i not in planted} == docs_o
    assert sorted(shards_w) == sorted(shards_o)
    for name, ids in shards_w.items():
        assert [i for i in ids if i not in planted] == shards_o[name]
    catalogue_w = _rows(tmp_path / "with" / "_truth" / "docs.jsonl.gz")
    catalogue_o = _rows(tmp_path / "without" / "_truth" / "docs.jsonl.gz")
    assert [c for c in catalogue_w if c["id"] not in planted] == catalogue_o


def test_truth_records_each_edit_and_its_true_jaccard(corpus) -> None:
    docs, truth, _ = corpus
    near = [t for t in truth.values() if t["kind"] == "near_duplicate"]
    assert 120 <= len(near) <= 160
    edits = Counter(t["edit"] for t in near)
    assert set(edits) == set(D.NEAR_DUPLICATE_EDITS) and min(edits.values()) >= 3, edits
    for t in near:
        assert t["copy_of"] not in truth, "copied from an unplanted original"
        assert docs[t["id"]][0] == docs[t["copy_of"]][0]
        assert docs[t["id"]][1] != docs[t["copy_of"]][1]
        assert len(docs[t["id"]][1]) >= D.SHORT
    jac = minhash.jaccard_pairs([docs[t["id"]][1] for t in near],
                                [docs[t["copy_of"]][1] for t in near], FuzzyDedupConfig())  # fmt: skip
    assert [t["jaccard"] for t in near] == pytest.approx(list(jac), abs=1e-4)
    # realistic edits are mostly near the usual thresholds, not trivially identical
    assert 0.6 <= sum(j >= THRESHOLD for j in jac) / len(jac) <= 0.9
    assert max(jac) < 1.0


def test_fuzzy_rule_recall_and_precision_on_the_demo_corpus(corpus) -> None:
    """The rule over what reaches fuzzy dedup in Dataset-1 (no exact copies, no short junk, no
    other languages), per domain, threshold 0.8."""
    docs, truth, _ = corpus
    kind = {i: t["kind"] for i, t in truth.items()}
    ids = [i for i in sorted(docs) if kind.get(i) not in ("exact", "short_junk", "other_lang")]
    table = pa.table({S.ID: ids, S.DOMAIN: [docs[i][0] for i in ids],
                      S.TEXT: [docs[i][1] for i in ids]})  # fmt: skip
    removals = R.lsh_reference(table, FuzzyDedupConfig(enabled=True, threshold=THRESHOLD))
    rows = removals.to_pylist()
    survivor = {r[S.ID]: r[S.DUPLICATE_OF] for r in rows}

    def root(i: str) -> str:
        return survivor.get(i, i)

    near = [t for t in truth.values() if t["kind"] == "near_duplicate"]
    above = [t for t in near if t["jaccard"] >= THRESHOLD]
    found = [t for t in above if root(t["id"]) == root(t["copy_of"])]
    assert len(above) >= 90
    assert len(found) >= 0.98 * len(above), f"recall {len(found)}/{len(above)}"

    def family(i: str) -> str:
        return truth[i]["copy_of"] if i in truth else i

    assert len(rows) >= 350
    assert all(family(r[S.ID]) == family(r[S.DUPLICATE_OF]) for r in rows), "an unrelated removal"
    at_threshold = sum(r[S.SCORE] >= THRESHOLD for r in rows)
    assert at_threshold >= 0.9 * len(rows), f"{at_threshold}/{len(rows)} at the threshold"
    linked = [float(re.fullmatch(r"linked by \S+ \(jaccard ([0-9.]+)\)", r[S.DETAIL])[1])
              for r in rows]  # fmt: skip
    assert min(linked) >= THRESHOLD
