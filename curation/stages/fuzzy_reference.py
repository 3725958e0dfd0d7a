"""Two in-process references for fuzzy dedup, for tests and small data.

* :func:`brute_force`: no LSH at all - the true Jaccard of *every* pair of documents of a group
  (one sparse matrix product), every pair at or above the threshold linked. What the LSH stage
  approximates: on data whose near-duplicate pairs the bands catch, it finds the same groups
  and survivors.
* :func:`lsh_reference`: the stage's exact rule (:mod:`curation.stages.fuzzy_dedup`: bands,
  candidate pairs per bucket, verification, components) computed in one process with Arrow and a
  union-find. The Spark stage must equal it row for row on any input.

Both return :data:`~curation.stages.fuzzy_dedup.REMOVAL_SCHEMA` rows sorted by id.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.stages import fuzzy_dedup as FD
from curation.stages import minhash


def _sets(texts: list[str | None], cfg: FuzzyDedupConfig) -> list[set[int]]:
    sh = minhash.shingle_hashes(texts, cfg).sets()
    return [set(sh.hashes[sh.offsets[i] : sh.offsets[i + 1]].tolist()) for i in range(len(texts))]


def _jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _removals(
    sets: dict[str, set[int]],
    edges: list[tuple[str, str, float | None]],
) -> pa.Table:
    """Components of ``edges`` -> removal rows (neighbour = the best scored edge of a node), the
    Jaccard with the survivor always from the two shingle sets."""
    linked = pa.table(
        {
            FD.A: pa.array([a for a, _, _ in edges], pa.string()),
            FD.B: pa.array([b for _, b, _ in edges], pa.string()),
            FD.JACCARD: pa.array([j for _, _, j in edges], pa.float64()),
        }
    )
    members = FD.graph_members(linked)
    scores = [
        _jaccard(sets[i], sets[s])
        for i, s in zip(
            members.column(S.ID).to_pylist(), members.column(FD.SURVIVOR).to_pylist(), strict=True
        )
    ]
    members = members.set_column(
        members.schema.get_field_index(FD.JACCARD), FD.JACCARD, pa.array(scores, pa.float64())
    )
    return FD.removal_rows(members)


def _documents(table: pa.Table) -> tuple[list[str], list[str | None], list[str]]:
    return (
        table.column(S.ID).to_pylist(),
        table.column(S.TEXT).to_pylist(),
        table.column(S.DOMAIN).to_pylist(),
    )


def brute_force(table: pa.Table, cfg: FuzzyDedupConfig) -> pa.Table:
    """Every pair of a group compared by true Jaccard; pairs ``>= threshold`` linked."""
    ids, texts, _ = _documents(table)
    groups = FD.group_of(table.column(S.DOMAIN), cfg).to_pylist()
    sh = minhash.shingle_hashes(texts, cfg).sets()
    sets = {
        i: set(sh.hashes[sh.offsets[k] : sh.offsets[k + 1]].tolist()) for k, i in enumerate(ids)
    }
    sizes = sh.sizes().astype(np.float64)
    # documents x shingles incidence matrix; X X^T counts the shared shingles of every pair
    _, cols = np.unique(sh.hashes, return_inverse=True)
    rows = np.repeat(np.arange(len(ids)), sh.sizes())
    x = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float64), (rows, cols)),
        shape=(len(ids), int(cols.max()) + 1 if len(cols) else 0),
    )
    inter = sparse.triu(x @ x.T, k=1).tocoo()
    edges = []
    for r, c, n in zip(inter.row, inter.col, inter.data, strict=True):
        if groups[r] != groups[c]:
            continue
        j = n / (sizes[r] + sizes[c] - n)
        if j >= cfg.threshold:
            a, b = sorted((ids[r], ids[c]))
            edges.append((a, b, float(j)))
    return _removals(sets, edges)


def lsh_reference(table: pa.Table, cfg: FuzzyDedupConfig) -> pa.Table:
    """The fuzzy-dedup rule of :mod:`curation.stages.fuzzy_dedup`, in one process."""
    ids, texts, _ = _documents(table)
    sets = dict(zip(ids, _sets(texts, cfg), strict=True))
    pairs = FD.candidate_edges(FD.band_rows(table, cfg), cfg.all_pairs_up_to)
    if cfg.verify:
        scored = [
            (a, b, _jaccard(sets[a], sets[b]))
            for a, b in zip(
                pairs.column(FD.A).to_pylist(), pairs.column(FD.B).to_pylist(), strict=True
            )
        ]
        edges = [(a, b, j) for a, b, j in scored if j >= cfg.threshold]
    else:
        edges = [
            (a, b, None)
            for a, b in zip(
                pairs.column(FD.A).to_pylist(), pairs.column(FD.B).to_pylist(), strict=True
            )
        ]
    return _removals(sets, edges)


def removed_ids(removals: pa.Table) -> set[str]:
    """The ids a removal table removes."""
    return set(pc.unique(removals.column(S.ID)).to_pylist())
