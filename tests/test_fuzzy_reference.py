"""The fuzzy-dedup rule in one process: the LSH rule against brute force over all pairs, and the
properties every result must have (survivors, clusters, transitivity, scope, verification)."""

from __future__ import annotations

import random
from collections import defaultdict

import pyarrow as pa
import pytest

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.stages import fuzzy_dedup as FD
from curation.stages import fuzzy_reference as R
from curation.stages import minhash
from tests.fuzzy_data import corpus

COLUMNS = [S.ID, S.DUPLICATE_OF, S.SCORE, S.CLUSTER]


@pytest.fixture(scope="module")
def docs() -> pa.Table:
    return corpus(400, seed=11)


def _groups(removals: pa.Table, ids: list[str]) -> dict[str, str]:
    survivor = {i: i for i in ids}
    survivor.update(
        zip(
            removals.column(S.ID).to_pylist(),
            removals.column(S.DUPLICATE_OF).to_pylist(),
            strict=False,
        )
    )
    return survivor


@pytest.mark.parametrize(("threshold", "bands", "rows"), [(0.6, 30, 3), (0.8, 20, 5), (0.9, 20, 8)])
def test_lsh_finds_what_brute_force_finds(docs, threshold, bands, rows):
    """Bands chosen so a pair at the threshold is a candidate with probability >= 0.999."""
    cfg = FuzzyDedupConfig(threshold=threshold, bands=bands, rows=rows)
    assert minhash.candidate_probability(threshold, bands, rows) >= 0.999
    brute = R.brute_force(docs, cfg)
    lsh = R.lsh_reference(docs, cfg)
    assert len(brute) >= 40  # the planted copies are there to be found
    assert lsh.select(COLUMNS).to_pylist() == brute.select(COLUMNS).to_pylist()


def test_every_removal_points_at_the_smallest_id_of_its_component(docs):
    cfg = FuzzyDedupConfig(threshold=0.7)
    removals = R.brute_force(docs, cfg)
    ids = docs.column(S.ID).to_pylist()
    survivor = _groups(removals, ids)
    members = defaultdict(list)
    for i, s in survivor.items():
        members[s].append(i)
    removed = set(removals.column(S.ID).to_pylist())
    texts = dict(zip(ids, docs.column(S.TEXT).to_pylist(), strict=True))
    chained = 0
    for row in removals.to_pylist():
        s = row[S.DUPLICATE_OF]
        assert s not in removed and s < row[S.ID] and s == min(members[s])
        assert row[S.CLUSTER] == FD.component_id(s)
        j = minhash.jaccard_pairs([texts[row[S.ID]]], [texts[s]], cfg)[0]
        assert row[S.SCORE] == j
        # the neighbour named in detail met the threshold, even where the survivor does not
        nb, nj = row[S.DETAIL].removeprefix("linked by ").split(" (jaccard ")
        assert float(nj.rstrip(")")) >= cfg.threshold
        assert minhash.jaccard_pairs([texts[row[S.ID]]], [texts[nb]], cfg)[0] >= cfg.threshold
        chained += row[S.SCORE] < cfg.threshold
    assert chained >= 1  # transitive links occur in this corpus, and are scored honestly
    # components are maximal: among the documents kept, no pair of a domain reaches the threshold
    kept = docs.filter(pa.array([survivor[i] == i for i in ids]))
    assert len(kept) == len(docs) - len(removals)
    assert len(R.brute_force(kept, cfg)) == 0


def test_scope_domain_never_links_across_domains_and_global_does(docs):
    domains = dict(
        zip(docs.column(S.ID).to_pylist(), docs.column(S.DOMAIN).to_pylist(), strict=True)
    )
    per_domain = R.lsh_reference(docs, FuzzyDedupConfig())
    for row in per_domain.to_pylist():
        assert domains[row[S.ID]] == domains[row[S.DUPLICATE_OF]]
    everywhere = R.lsh_reference(docs, FuzzyDedupConfig(scope="global"))
    across = [r for r in everywhere.to_pylist() if domains[r[S.ID]] != domains[r[S.DUPLICATE_OF]]]
    assert across and len(everywhere) > len(per_domain)


def test_without_verification_candidates_alone_link():
    docs = corpus(300, seed=4)
    # few rows per band: many false candidates, which verification drops
    loose = FuzzyDedupConfig(bands=30, rows=2, threshold=0.8)
    verified = R.lsh_reference(docs, loose)
    unverified = R.lsh_reference(
        docs, FuzzyDedupConfig(bands=30, rows=2, threshold=0.8, verify=False)
    )
    assert R.removed_ids(verified) < R.removed_ids(unverified)
    assert unverified.column(S.DETAIL).null_count == len(unverified)
    assert (
        verified.select(COLUMNS).to_pylist()
        == R.brute_force(docs, loose).select(COLUMNS).to_pylist()
    )


def test_candidate_edges_pair_small_buckets_fully_and_large_ones_by_their_smallest_id():
    bands = pa.table(
        {
            S.ID: ["d", "b", "c", "a", "e", "b", "d", "x"],
            FD.GROUP: ["g"] * 7 + ["h"],
            FD.BAND: pa.array([0, 0, 0, 1, 1, 1, 2, 2], pa.int32()),
            FD.KEY: pa.array([7, 7, 7, 5, 5, 9, 3, 3], pa.int64()),
        },
        schema=FD.BAND_SCHEMA,
    )

    def pairs(up_to: int) -> list[tuple[str, str]]:
        got = FD.candidate_edges(bands, up_to)
        return list(zip(got.column(FD.A).to_pylist(), got.column(FD.B).to_pylist(), strict=True))

    # band 0 bucket {b,c,d}; band 1 bucket {a,e} (b alone under key 9); band 2: d and x differ
    # in group. A bucket of 3 under the limit: every two members, so c and d are tried together
    assert pairs(32) == pairs(3) == [("a", "e"), ("b", "c"), ("b", "d"), ("c", "d")]
    # over the limit: a star on the smallest id (b)
    assert pairs(2) == [("a", "e"), ("b", "c"), ("b", "d")]


def test_a_member_failing_against_the_smallest_id_is_still_linked_to_its_twin():
    """The gap bench-fuzzy found with star candidates: c and d are near-duplicates (J >= 0.8),
    but the only bucket they share also holds b, the smallest id, which neither matches."""
    cfg = FuzzyDedupConfig(threshold=0.8)
    base = [f"w{i}" for i in range(60)]
    c = " ".join(base)
    d = " ".join(base[:58] + ["x1", "x2"])  # J(c, d) of word 5-grams >= 0.8
    b = " ".join(base[:30] + [f"y{i}" for i in range(30)])  # J(b, c) far below
    texts = {"b": b, "c": c, "d": d}
    jac = minhash.jaccard_pairs([c, b], [d, c], cfg)
    assert jac[0] >= 0.8 > jac[1]
    bands = pa.table(
        {
            S.ID: ["b", "c", "d"],
            FD.GROUP: ["g"] * 3,
            FD.BAND: pa.array([0, 0, 0], pa.int32()),
            FD.KEY: pa.array([1, 1, 1], pa.int64()),
        },
        schema=FD.BAND_SCHEMA,
    )
    for up_to, linked in ((32, {("c", "d")}), (2, set())):
        cand = FD.candidate_edges(bands, up_to)
        table = pa.table(
            {
                FD.A: cand.column(FD.A),
                FD.B: cand.column(FD.B),
                FD.TEXT_A: [texts[x] for x in cand.column(FD.A).to_pylist()],
                FD.TEXT_B: [texts[x] for x in cand.column(FD.B).to_pylist()],
            },
            schema=FD.PAIR_SCHEMA,
        )
        scored = FD.verify_pairs(table, cfg).to_pylist()
        got = {(r[FD.A], r[FD.B]) for r in scored if r[FD.JACCARD] >= cfg.threshold}
        assert got == linked, up_to


def test_union_find_components_label_every_node_with_its_minimum():
    rng = random.Random(2)
    nodes = [f"n{i:03d}" for i in range(300)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(200)]
    edges += [(nodes[i], nodes[i + 1]) for i in range(100, 160)]  # a long path
    got = FD.components(nodes, edges)
    adj = defaultdict(set)
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    for n in nodes:  # breadth-first search from each node
        seen, todo = {n}, [n]
        while todo:
            for m in adj[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        assert got[n] == min(seen)


def test_member_removal_rows_compute_only_the_unknown_jaccards(docs):
    cfg = FuzzyDedupConfig()
    texts = docs.column(S.TEXT).to_pylist()
    ids = docs.column(S.ID).to_pylist()
    rows = []
    for k in range(0, 40, 2):  # member k+1 of survivor k; every other Jaccard unknown
        texts[k + 1] = texts[k] + " and six more words at its end"
        rows.append(
            {S.ID: ids[k + 1], FD.SURVIVOR: ids[k], FD.JACCARD: 0.25 if k % 4 else None,
             FD.NEIGHBOUR: ids[k], FD.NEIGHBOUR_JACCARD: 0.5,
             FD.TEXT_A: None if k % 4 else texts[k], FD.TEXT_B: None if k % 4 else texts[k + 1]}
        )  # fmt: skip
    got = FD.member_removal_rows(pa.Table.from_pylist(rows, schema=FD.MEMBER_TEXT_SCHEMA), cfg)
    unknown = [r for r in rows if r[FD.JACCARD] is None]
    computed = FD.verify_pairs(
        pa.table(
            {FD.A: [r[FD.SURVIVOR] for r in unknown], FD.B: [r[S.ID] for r in unknown],
             FD.TEXT_A: [r[FD.TEXT_A] for r in unknown],
             FD.TEXT_B: [r[FD.TEXT_B] for r in unknown]},
            schema=FD.PAIR_SCHEMA,
        ),
        cfg,
    ).column(FD.JACCARD).to_pylist()  # fmt: skip
    assert len(set(computed)) > 1 and 0.25 not in computed
    filled = iter(computed)
    for r in rows:
        if r[FD.JACCARD] is None:
            r[FD.JACCARD] = next(filled)
    members = pa.Table.from_pylist(rows, schema=FD.MEMBER_TEXT_SCHEMA).select(
        FD.MEMBER_SCHEMA.names
    )
    assert got.schema == FD.REMOVAL_SCHEMA
    assert got.to_pylist() == FD.removal_rows(members).to_pylist()
    assert [r[S.SCORE] for r in got.to_pylist()][1::2] == [0.25] * 10


@pytest.mark.parametrize("batch_rows", [1, 3, 64, 100_000])
@pytest.mark.parametrize("up_to", [2, 32])
def test_sorted_bucket_pairs_equal_candidate_edges_across_batches(docs, batch_rows, up_to):
    cfg = FuzzyDedupConfig(bands=30, rows=2, scope="global")
    bands = FD.band_rows(docs, cfg)
    rows = bands.sort_by([(FD.GROUP, "ascending"), (FD.BAND, "ascending"),
                          (FD.KEY, "ascending"), (S.ID, "ascending")])  # fmt: skip
    out = list(FD.sorted_bucket_pairs(rows.to_batches(max_chunksize=batch_rows), up_to))
    got = pa.Table.from_batches(out, schema=FD.PAIRS_SCHEMA).group_by([FD.A, FD.B]).aggregate([])
    got = got.sort_by([(FD.A, "ascending"), (FD.B, "ascending")])
    want = FD.candidate_edges(bands, up_to)
    assert len(want) >= 50
    assert got.to_pylist() == want.to_pylist()
    if up_to == 2:  # some bucket is larger than 2: stars, not all pairs
        assert len(want) < len(FD.candidate_edges(bands, 32))


def test_graph_members_name_survivor_direct_jaccard_and_best_neighbour():
    # a - b (0.9), b - c (0.85), c - d (0.85), b - d (0.95): one component, survivor a;
    # e - f unscored (no verification): survivor e, no neighbour; g alone is never a member
    linked = pa.table(
        {
            FD.A: ["a", "b", "c", "b", "e"],
            FD.B: ["b", "c", "d", "d", "f"],
            FD.JACCARD: pa.array([0.9, 0.85, 0.85, 0.95, None], pa.float64()),
        }
    )
    got = FD.graph_members(linked).to_pylist()
    assert got == [
        {S.ID: "b", FD.SURVIVOR: "a", FD.JACCARD: 0.9, FD.NEIGHBOUR: "d", FD.NEIGHBOUR_JACCARD: 0.95},
        # c: b and d tie at 0.85, the smaller id wins; not linked to a directly
        {S.ID: "c", FD.SURVIVOR: "a", FD.JACCARD: None, FD.NEIGHBOUR: "b", FD.NEIGHBOUR_JACCARD: 0.85},
        {S.ID: "d", FD.SURVIVOR: "a", FD.JACCARD: None, FD.NEIGHBOUR: "b", FD.NEIGHBOUR_JACCARD: 0.95},
        {S.ID: "f", FD.SURVIVOR: "e", FD.JACCARD: None, FD.NEIGHBOUR: None, FD.NEIGHBOUR_JACCARD: None},
    ]  # fmt: skip
    assert FD.graph_members(linked.slice(0, 0)).num_rows == 0
