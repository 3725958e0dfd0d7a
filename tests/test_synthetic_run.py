"""The synthetic-run generator (random vectors with planted groups; scale tests and benchmarks):
deterministic, aligned with its Dataset-1, the planted geometry as documented, and a run the
later stages accept unchanged."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from curation import runner
from curation.config import load_config
from curation.datasets import read_kept, read_manifest
from curation.demo.synthetic_run import (
    LOOSE_COSINE,
    TIGHT_COSINE,
    SyntheticSpec,
    generate,
    read_truth,
)
from curation.formats import embeddings as E
from curation.pipeline import semdedup
from curation.storage import LocalStorage, normalize_uri

SPEC = SyntheticSpec(3000, seed=3, topics=16, shard_docs=700, loose_fraction=0.2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "run"
    generate(path, SPEC)
    return path


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*.parquet"))


def test_same_seed_same_files_other_seed_other_vectors(run, tmp_path):
    again = tmp_path / "again"
    generate(again, SPEC)
    assert _files(run) == _files(again)
    for rel in _files(run):
        a = ds.dataset(run / rel).to_table()
        assert a.equals(ds.dataset(again / rel).to_table()), rel
    other = tmp_path / "other"
    generate(other, SyntheticSpec(3000, seed=4, topics=16, shard_docs=700, loose_fraction=0.2))
    va = E.vectors_of(E.read_embeddings(str(run)).column(E.EMBEDDING))
    vb = E.vectors_of(E.read_embeddings(str(other)).column(E.EMBEDDING))
    assert not np.allclose(va, vb)


def test_a_finished_dataset1_with_aligned_embeddings(run):
    m = read_manifest(str(run), "dataset-1")
    assert m["rows_in"] == m["rows_out"] == 3000 and m["removed"] == {}
    shards = sorted((run / "dataset-1/data").glob("domain=*/*.parquet"))
    assert len(shards) > 4  # streamed: several shards per large domain
    for shard in shards:
        rel = shard.relative_to(run / "dataset-1/data")
        docs = ds.dataset(shard).to_table()
        emb = ds.dataset(run / "embeddings" / rel).to_table()
        assert docs.column("id").equals(emb.column("id")), rel
        assert len(docs) <= SPEC.shard_docs
    emb = E.read_embeddings(str(run))
    assert emb.schema.metadata[b"dim"] == b"384" and emb.schema.metadata[b"dtype"] == b"float16"
    vectors = E.vectors_of(emb.column(E.EMBEDDING))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)
    texts = read_kept(str(run), "dataset-1", ["text"]).column("text")
    assert pc.count_distinct(texts).as_py() == 3000


@pytest.mark.parametrize(("tier", "cosine"), [("tight", TIGHT_COSINE), ("loose", LOOSE_COSINE)])
def test_planted_groups_have_the_documented_cosine(run, tier, cosine):
    emb = E.read_embeddings(str(run))
    row = {d: i for i, d in enumerate(emb.column("id").to_pylist())}
    vectors = E.vectors_of(emb.column(E.EMBEDDING))
    truth = read_truth(run)
    truth = truth.filter(pc.equal(truth.column("tier"), tier))
    groups: dict[int, list[int]] = {}
    for doc, g in zip(truth.column("id").to_pylist(), truth.column("group").to_pylist(),
                      strict=True):  # fmt: skip
        groups.setdefault(g, []).append(row[doc])
    assert len(groups) >= 10 and all(len(m) == SPEC.group_size for m in groups.values())
    inside = [
        float(vectors[a] @ vectors[b]) for m in groups.values() for a in m for b in m if a < b
    ]
    assert abs(np.mean(inside) - cosine) < 0.01 and min(inside) > cosine - 0.03
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(vectors), (2000, 2))
    unrelated = np.einsum("ij,ij->i", vectors[pairs[:, 0]], vectors[pairs[:, 1]])
    assert unrelated.max() < LOOSE_COSINE - 0.2  # topics bring documents closer, not near


def test_the_runner_accepts_it_as_the_parents_of_dataset2(run):
    cfg = load_config("reference", [])
    plans = runner.plan(
        semdedup.stages(semdedup.KMEANS_METHOD), normalize_uri(str(run)), cfg, LocalStorage()
    )
    assert [p.state for p in plans] == ["absent", "absent", "absent"]
    assert all(p.rebuild for p in plans)


def test_a_fixed_size_domain_keeps_its_size_whatever_n_docs(tmp_path):
    grown = [SyntheticSpec(n, fixed_docs={"arxiv": 1200}).domain_sizes() for n in (5000, 20000)]
    assert [g["arxiv"] for g in grown] == [1200, 1200]
    assert [sum(g.values()) for g in grown] == [5000, 20000]
    big = grown[1]  # the other domains keep their shares of the rest: en-CC 0.55 of 0.95
    assert abs(big["en-CC"] / (20000 - 1200) - 0.55 / 0.95) < 1e-3
    # without fixed sizes every domain grows with n_docs, as before the option
    assert SyntheticSpec(20000).domain_sizes()["arxiv"] == 1000
    assert SyntheticSpec(3000, fixed_docs={}).fingerprint() == SyntheticSpec(3000).fingerprint()
    with pytest.raises(ValueError, match="not in domains"):
        SyntheticSpec(5000, fixed_docs={"math": 10}).domain_sizes()
    with pytest.raises(ValueError, match="raise n_docs"):
        SyntheticSpec(1000, fixed_docs={"arxiv": 999}).domain_sizes()
    generate(tmp_path / "run", SyntheticSpec(3000, seed=1, topics=8, fixed_docs={"arxiv": 400}))
    m = read_manifest(str(tmp_path / "run"), "dataset-1")
    assert m["outputs"]["arxiv"] == 400 and m["rows_out"] == 3000
    truth = read_truth(tmp_path / "run")
    loose = truth.filter(pc.equal(truth.column("tier"), "loose"))
    assert set(loose.column("domain").to_pylist()) == {"arxiv"} and len(loose) > 0
