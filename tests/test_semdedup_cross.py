"""The cross-boundary pass of SemDedup: planted duplicate pairs split by a cluster boundary are
found, the result equals a brute-force global reference restricted to the compared pairs, it does
not depend on the input's order or on how the Spark engine groups the rows, and with the pass off
it is exactly the within-cluster table."""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa
import pytest

from curation import schema as S
from curation.stages import cluster_kmeans
from curation.stages import semdedup as sd
from curation.stages import semdedup_cross as cross

OFF = cross.CrossRule(0)
RULES = [
    cross.CrossRule(1, 0.05),
    cross.CrossRule(2, 0.2),
    cross.CrossRule(8, 2.0),
    cross.CrossRule(3, 0.2, 0.1),
    cross.CrossRule(8, 2.0, 2.0),
]


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def planted(n_clusters: int = 12, per: int = 40, pairs: int = 30, d: int = 24, seed: int = 0):
    """Gaussian blobs around random centroids, plus ``pairs`` near-duplicate pairs placed on the
    boundary between two centroids (at most one pair per two centroids; each twin a tiny perturbation of the other). Returns
    ``(ids, vectors, centroids, twins)``, ``twins`` a list of (id, id)."""
    rng = np.random.default_rng(seed)
    cents = _unit(rng.standard_normal((n_clusters, d)))
    blobs = [_unit(c + 0.35 * rng.standard_normal((per, d))) for c in cents]
    twins, extra = [], []
    combos = [(a, b) for a in range(n_clusters) for b in range(a + 1, n_clusters)]
    for p, c in enumerate(rng.choice(len(combos), pairs, replace=False)):
        a, b = combos[c]  # one pair per two centroids: pairs are far from each other
        mid = _unit((cents[a] + cents[b])[None, :] + 0.01 * rng.standard_normal((1, d)))[0]
        twin = _unit((mid + 0.02 * rng.standard_normal(d))[None, :])[0]
        extra += [mid, twin]
        twins.append((f"p{p:03d}a", f"p{p:03d}b"))
    x = np.vstack(blobs + [np.asarray(extra)])
    ids = [f"d{i:04d}" for i in range(n_clusters * per)] + [t for pair in twins for t in pair]
    return np.asarray(ids, object), x.astype(np.float32), cents, twins


def assigned(x: np.ndarray, cents: np.ndarray):
    got = cluster_kmeans.assign_near(x, cents, "cpu")
    return got.cluster, got.distance, got.near, got.gaps


def by_id(table: pa.Table) -> dict[str, tuple[float, str | None, bool]]:
    return {
        r[S.ID]: (r[S.M], r[S.MAX_ID], r[S.CROSS])
        for r in table.select([S.ID, S.M, S.MAX_ID, S.CROSS]).to_pylist()
    }


def assert_matches(got: dict, ref: dict, atol: float = 2e-6) -> None:
    assert got.keys() == ref.keys()
    bad = [k for k in ref if got[k][1] != ref[k][1] or got[k][2] != ref[k][2]]
    assert not bad, [(k, got[k], ref[k]) for k in bad[:5]]
    m_got = np.array([got[k][0] for k in sorted(ref)])
    m_ref = np.array([ref[k][0] for k in sorted(ref)])
    np.testing.assert_allclose(m_got, m_ref, rtol=0, atol=atol)


@pytest.fixture(params=["float32", "bf16"])
def screen(request, monkeypatch) -> str:  # noqa: ANN001
    """Both ways a CPU reads the visitors x members block, whatever this CPU has: the float32
    product read directly, and the bf16 product screened (:func:`cross.screening`)."""
    import torch

    dtype = {"float32": None, "bf16": torch.bfloat16}[request.param]
    monkeypatch.setattr(cross, "screening", lambda device, products: dtype)
    return request.param


@pytest.mark.parametrize("rule", RULES, ids=str)
@pytest.mark.parametrize("tile", [7, 0])
def test_equals_the_brute_force_reference(rule: cross.CrossRule, tile: int, screen: str) -> None:
    ids, x, cents, _ = planted()
    cl, dist, near, gaps = assigned(x, cents)
    table, stats = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule, tile)
    assert table.schema == S.RESULT_SCHEMA and table.num_rows == len(ids)
    ref = cross.brute_force_semdedup(ids, cl, dist, x, near, gaps, rule)
    assert_matches(by_id(table), ref)
    assert stats is not None and stats.visits > 0 and stats.products > 0
    got = by_id(table)
    assert any(v[2] for v in got.values())  # some best matches lie across a boundary
    # a removal always names a document earlier in the one total order
    pos = dict(zip(ids, cross.positions(ids, dist), strict=True))
    assert all(pos[m] < pos[k] for k, (_, m, _) in got.items() if m is not None)


def test_pass_off_is_the_within_cluster_table() -> None:
    ids, x, cents, _ = planted(seed=1)
    cl, dist, near, gaps = assigned(x, cents)
    table, stats = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, OFF)
    assert stats is None
    assert table.equals(sd.semdedup_all(ids, cl, dist, x))
    assert not np.asarray(table.column(S.CROSS)).any()
    assert_matches(by_id(table), cross.brute_force_semdedup(ids, cl, dist, x, near, gaps, OFF))


def test_planted_pairs_across_the_boundary_are_found() -> None:
    ids, x, cents, twins = planted(pairs=60, seed=2)
    cl, dist, near, gaps = assigned(x, cents)
    cluster_of = dict(zip(ids, cl, strict=True))
    split = [(a, b) for a, b in twins if cluster_of[a] != cluster_of[b]]
    assert len(split) >= 10, "the fixture must split pairs"
    found = {}
    for rule in (OFF, cross.CrossRule(2, 0.2)):
        got = by_id(cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule)[0])
        found[rule.on] = [(a, b) for a, b in split if got[a][1] == b or got[b][1] == a]
        named = [got[a] if got[a][1] == b else got[b] for a, b in found[rule.on]]
        assert all(cross_flag for _, _, cross_flag in named)
        assert all(m > 0.99 for m, _, _ in named)
    assert found[False] == []
    assert found[True] == split
    # the second of each pair in the order is the one with the twin as max_id: one kept per pair
    got = by_id(cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, cross.CrossRule(2, 0.2))[0])
    removed = {k for k, (m, _, _) in got.items() if m > 1 - 0.01}
    for a, b in split:
        assert len({a, b} & removed) == 1


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_ties_go_to_the_earliest_in_the_total_order(seed: int, screen: str) -> None:
    """Exact copies spread over clusters: every dot product is exact, so equal maxima are real,
    among them a member's best within its cluster against an equal visitor (seeds 4-6 hold such
    ties that only the order decides)."""
    rng = np.random.default_rng(seed)
    base = (rng.choice([-1.0, 1.0], size=(60, 16)) / 4.0).astype(np.float32)
    x = np.vstack([base, base[:30], base[:10]])  # three copies of some rows
    ids = np.asarray([f"t{i:03d}" for i in range(len(x))], object)
    cents = _unit(rng.standard_normal((6, 16)))
    cl, dist, near, gaps = assigned(x, cents)
    rule = cross.CrossRule(8, 2.0)
    table, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule, 5)
    ref = cross.brute_force_semdedup(ids, cl, dist, x, near, gaps, rule)
    assert_matches(by_id(table), ref, atol=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_independent_of_the_input_order(seed: int) -> None:
    ids, x, cents, _ = planted(seed=4)
    cl, dist, near, gaps = assigned(x, cents)
    rule = cross.CrossRule(3, 0.3)
    a = by_id(cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule, 16)[0])
    p = np.random.default_rng(seed).permutation(len(ids))
    b = by_id(
        cross.semdedup_with_cross(ids[p], cl[p], dist[p], x[p], near[p], gaps[p], rule, 16)[0]
    )
    assert a == b


def _spark_steps(ids, domains, cl, dist, x, near, gaps, rule, parts: int, seed: int) -> pa.Table:
    """The Spark engine's two steps (one group per target cluster, then ``parts`` groups of
    documents by a hash of the id) called as Spark calls them, on rows shuffled and split into
    ``parts`` input partitions."""
    near_a, gaps_a = cross.near_to_arrow(near, gaps)
    assigned_table = pa.table(
        {S.ID: pa.array(ids, pa.string()), S.DOMAIN: pa.array(domains, pa.string()),
         S.CLUSTER: pa.array(cl, pa.int64()), S.DISTANCE: pa.array(dist, pa.float32()),
         S.NEAR: near_a, S.NEAR_GAPS: gaps_a},
        schema=S.ASSIGNMENT_SCHEMA,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    shuffled = assigned_table.take(pa.array(rng.permutation(len(ids))))
    visits = pa.concat_tables(
        cross.visitor_rows(part, rule)
        for part in np.array_split(np.arange(len(ids)), parts)
        for part in [shuffled.take(pa.array(part, pa.int64()))]
    )
    row_of = {k: i for i, k in enumerate(ids)}
    candidates = []
    for t in sorted(set(cl[cl >= 0].tolist())):
        members = assigned_table.filter(pa.compute.equal(assigned_table.column(S.CLUSTER), t))
        members = members.append_column(S.TARGET, pa.array(np.full(members.num_rows, t)))
        vis = visits.filter(pa.compute.equal(visits.column(S.TARGET), t))
        vis_full = assigned_table.take(
            pa.array([row_of[k] for k in vis.column(S.ID).to_pylist()], pa.int64())
        )
        vis_full = vis_full.append_column(S.TARGET, vis.column(S.TARGET))
        group = pa.concat_tables([members, vis_full])
        group = group.take(pa.array(rng.permutation(group.num_rows)))
        vectors = x[[row_of[k] for k in group.column(S.ID).to_pylist()]]
        candidates.append(cross.target_group(group, vectors, rule, 16, "cpu"))
    every = pa.concat_tables(candidates)
    every = every.take(pa.array(rng.permutation(every.num_rows)))
    bucket = np.asarray([zlib.crc32(k.encode()) % parts for k in every.column(S.ID).to_pylist()])
    return pa.concat_tables(
        cross.reduce_candidates(every.filter(pa.array(bucket == b))) for b in range(parts)
    )


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("rule", [cross.CrossRule(2, 0.2), cross.CrossRule(3, 0.2, 0.1)], ids=str)
def test_spark_steps_equal_the_local_engine(parts: int, rule: cross.CrossRule, screen: str) -> None:
    ids, x, cents, _ = planted(seed=5)
    cl, dist, near, gaps = assigned(x, cents)
    domains = np.where(np.arange(len(ids)) % 2 == 0, "en", "ru")
    local, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule, 16)
    local = sd.with_domains(local, pa.table({S.ID: pa.array(ids, pa.string()),
                                              S.DOMAIN: pa.array(domains, pa.string())}))  # fmt: skip
    spark_like = _spark_steps(ids, domains, cl, dist, x, near, gaps, rule, parts, seed=parts)
    assert spark_like.schema == S.SIMILARITY_SCHEMA
    a = local.sort_by(S.ID).to_pylist()
    b = spark_like.sort_by(S.ID).to_pylist()
    assert a == b  # bit for bit: M, max_id, cross, rank, distance, domain


def test_noise_never_takes_part() -> None:
    ids, x, cents, _ = planted(seed=6)
    cl, dist, near, gaps = assigned(x, cents)
    cl = cl.copy()
    noise = np.arange(len(ids)) % 7 == 0
    cl[noise] = S.NOISE
    near = np.where(noise[:, None], -1, near)
    gaps = np.where(noise[:, None], np.nan, gaps).astype(np.float32)
    dist = np.where(noise, np.nan, dist).astype(np.float32)
    rule = cross.CrossRule(8, 2.0)
    table, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule, 16)
    got = by_id(table)
    noise_ids = set(ids[noise])
    assert all(got[k] == (-1.0, None, False) for k in noise_ids)
    assert not any(v[1] in noise_ids for v in got.values())
    assert_matches(got, cross.brute_force_semdedup(ids, cl, dist, x, near, gaps, rule))


def test_near_columns_round_trip() -> None:
    near = np.array([[3, 1, -1], [-1, -1, -1], [0, 2, 5]], np.int64)
    gaps = np.array([[0.1, 0.2, np.nan], [np.nan] * 3, [0.0, 0.3, 0.4]], np.float32)
    a, b = cross.near_to_arrow(near, gaps)
    assert a.to_pylist() == [[3, 1], [], [0, 2, 5]]
    n2, g2 = cross.near_from_arrow(a, b, 3)
    assert (n2 == near).all()
    np.testing.assert_array_equal(g2, gaps)
    n3, _ = cross.near_from_arrow(a.to_pylist(), b.to_pylist(), 3)  # pandas-like input
    assert (n3 == near).all()


# --- the ledger: cross-boundary removals under their own reason, rows conserved -------------------


def test_ledger_names_cross_boundary_removals_and_conserves_rows(tmp_path) -> None:
    import pyarrow.parquet as pq

    from curation.manifest import check_conservation
    from curation.pipeline import dataset_writer

    ids, x, cents, twins = planted(seed=7)
    cl, dist, near, gaps = assigned(x, cents)
    rule = cross.CrossRule(2, 0.2)
    table, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule)
    domains = np.where(np.arange(len(ids)) % 3 == 0, "ru", "en")
    docs = pa.table({S.ID: pa.array(ids, pa.string()), S.DOMAIN: pa.array(domains, pa.string())})
    judged = sd.with_domains(table, docs)
    removed = sd.removed_mask(np.asarray(judged.column(S.M)), 0.01)
    judged = judged.append_column(S.REMOVED, pa.array(removed))
    run = tmp_path / "run"
    for d in ("en", "ru"):
        rows = [i for i, dd in zip(ids, domains, strict=True) if dd == d]
        shard = pa.table(
            {S.ID: rows, S.DOMAIN: [d] * len(rows), S.TEXT: [f"text of {i}" for i in rows],
             S.SRC_DOMAIN: [d] * len(rows), S.SRC_FILE: ["f"] * len(rows),
             S.SRC_LINE: list(range(len(rows)))},
        )  # fmt: skip
        (run / "parent" / "data" / f"domain={d}").mkdir(parents=True)
        pq.write_table(shard, run / "parent" / "data" / f"domain={d}" / "part-00000.parquet")
    counts = dataset_writer.write_dataset(
        str(run), "parent", tmp_path / "out", judged, stage="semdedup_kmeans",
        reason=S.REASON_SEMANTIC, cross_reason=S.REASON_SEMANTIC_CROSS,
    )  # fmt: skip
    manifest = dataset_writer.manifest_of(counts, stage="semdedup_kmeans")
    check_conservation(manifest)
    assert (
        manifest["rows_in"] == len(ids) == manifest["rows_out"] + sum(manifest["removed"].values())
    )
    ledger = pq.read_table(tmp_path / "out" / "removed").to_pylist()
    assert len(ledger) == int(removed.sum()) > 0
    got = by_id(table)
    reasons = {r[S.ID]: r[S.REASON] for r in ledger}
    assert {
        k: (S.REASON_SEMANTIC_CROSS if got[k][2] else S.REASON_SEMANTIC) for k in reasons
    } == reasons
    assert S.REASON_SEMANTIC_CROSS in reasons.values()
    assert all(r[S.DUPLICATE_OF] == got[r[S.ID]][1] for r in ledger)
    n_cross = sum(r == S.REASON_SEMANTIC_CROSS for r in reasons.values())
    assert manifest["removed"] == {
        S.REASON_SEMANTIC: len(reasons) - n_cross,
        S.REASON_SEMANTIC_CROSS: n_cross,
    }


# --- the measurement on labelled pairs -------------------------------------------------------------


def test_scores_on_a_hand_made_case() -> None:
    from curation.stages import semdedup_pairs as SP

    # documents 0-1 a labelled pair, 2-3-4 a labelled group, 5 alone
    group = SP.groups_of(6, np.array([[0, 1], [2, 3], [3, 4]]))
    assert group.tolist() == [0, 0, 2, 2, 2, 5]
    m = np.array([-1.0, 0.99, -1.0, 0.995, 0.9, 0.992])
    partner = np.array([-1, 0, -1, 2, 2, 1])
    (low, high) = SP.scores(m, partner, group, [0.007, 0.2])
    # eps 0.007: threshold 0.993 -> only 3 removed (names 2, same group): P 1, R 1/3
    assert (low["removed"], low["precision"], low["recall"]) == (1, 1.0, pytest.approx(1 / 3))
    # eps 0.2: 1, 3, 4, 5 removed; 5 names 1 (not its group): P 3/4, R 3/3
    assert high["removed"] == 4 and high["precision"] == 0.75 and high["recall"] == 1.0
    assert high["f1"] == pytest.approx(2 * 0.75 / 1.75)


def test_evaluate_ceiling_rises_with_the_pass() -> None:
    from curation.stages import semdedup_pairs as SP

    ids, x, cents, twins = planted(pairs=50, seed=8)
    docs = SP.Clustered(ids, x, *assigned(x, cents))  # the blobs' centroids: pairs split
    row = {k: i for i, k in enumerate(ids)}
    pairs = np.array([(row[a], row[b]) for a, b in twins])
    rules = {"off": OFF, "all": cross.CrossRule(8, 2.0)}
    got = SP.evaluate(docs, pairs, rules, eps_grid=[0.001, 0.01, 0.05])
    split = float(np.mean(docs.cluster[pairs[:, 0]] != docs.cluster[pairs[:, 1]]))
    assert split > 0.1
    assert got["rules"]["off"]["ceiling"] == pytest.approx(1 - split)
    assert got["rules"]["all"]["ceiling"] == 1.0  # 12 clusters, every other one visited
    best_off, best_all = got["rules"]["off"]["best"], got["rules"]["all"]["best"]
    assert best_all["recall"] == 1.0 and best_all["precision"] == 1.0
    assert best_off["recall"] == pytest.approx(1 - split)
    assert "| all | 1.000 | 1.000 |" in SP.to_markdown(got)
    # the twins are near-copies (cosine ~0.998): removable at every reach bound, so each bound
    # counts all of them and its ceiling is the plain one
    cos = SP.pair_cosines(x, pairs)
    assert cos.min() > 0.99
    for e, r in got["rules"]["off"]["reach"].items():
        assert r == {"pairs": len(pairs), "ceiling": pytest.approx(1 - split)}, e
    assert all(r["ceiling"] == 1.0 for r in got["rules"]["all"]["reach"].values())
    assert "reach eps <= 0.05 (50 pairs)" in SP.to_markdown(got)


def test_reach_ceilings_count_only_the_removable_pairs() -> None:
    from curation.stages import semdedup_pairs as SP

    x = np.array([[2.0, 0.0], [1.98, 0.28], [0.0, 3.0], [0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])
    pairs = np.array([[0, 1], [2, 3], [0, 4], [4, 5]])
    cos = SP.pair_cosines(x, pairs)  # rows need not be unit; a zero row has cosine 0
    assert cos == pytest.approx([1.98 / np.hypot(1.98, 0.28), 0.8, 1.0, 0.0])
    compared = np.array([False, True, False, True])
    got = SP.reach_ceilings(compared, cos, (0.005, 0.01, 0.25, 1.5))
    # eps 0.005: only the identical pair (cosine 1) is removable, and it is not compared
    assert got["0.005"] == {"pairs": 1, "ceiling": 0.0}
    # eps 0.01: also pair 0 (cosine 0.990): neither compared
    assert got["0.01"] == {"pairs": 2, "ceiling": 0.0}
    # eps 0.25: cosine 0.8 > 0.75 joins, and it is compared
    assert got["0.25"] == {"pairs": 3, "ceiling": pytest.approx(1 / 3)}
    # eps 1.5: every pair, the zero vector's too
    assert got["1.5"] == {"pairs": 4, "ceiling": 0.5}
    # no removable pair: nothing left out of reach
    assert SP.reach_ceilings(compared[1:2], cos[1:2], (0.1,))["0.1"] == {"pairs": 0, "ceiling": 1.0}


def test_documents_from_pairs() -> None:
    from curation.stages import semdedup_pairs as SP

    ids, domains, texts, pairs = SP.documents_from_pairs(
        [
            ("en", ["a", "b", "a"], ["a2", "c", "b"], np.array([1, 0, 1])),
            ("ru", ["a"], ["б"], np.array([1])),
        ]  # fmt: skip
    )
    assert texts == ["a", "a2", "b", "c", "a", "б"]
    assert domains == ["en"] * 4 + ["ru"] * 2
    assert len(set(ids)) == 6
    assert pairs.tolist() == [[0, 1], [0, 2], [4, 5]]


def test_semdedup_pairs_command(tmp_path, capsys) -> None:
    import json

    from curation.__main__ import main

    f = tmp_path / "p.tsv"
    rows = [("The cat sat on the mat.", "A cat was sitting on the mat.", 1),
            ("Stocks fell sharply on Monday.", "On Monday, shares dropped steeply.", 1),
            ("The cat sat on the mat.", "Rain is expected tomorrow.", 0),
            ("Кошка сидела на коврике.", "На коврике сидела кошка.", 1)]  # fmt: skip
    f.write_text("s1\ts2\tlabel\n" + "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
    out = tmp_path / "r.json"
    assert main(["semdedup-pairs", "--pairs", str(f), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| within clusters |" in text and "| cross |" in text
    result = json.loads(out.read_text())
    assert result["documents"] == 7 and result["labelled_pairs"] == 3
    assert result["rules"]["cross"]["ceiling"] == 1.0  # 7 documents: one cluster
    assert main(["semdedup-pairs", "--pairs", str(tmp_path / "missing.tsv")]) == 2


def test_evaluate_at_the_reference_target() -> None:
    from curation.stages import semdedup_pairs as SP

    ids, x, cents, twins = planted(pairs=50, seed=9)
    docs = SP.Clustered(ids, x, *assigned(x, cents))
    row = {k: i for i, k in enumerate(ids)}
    pairs = np.array([(row[a], row[b]) for a, b in twins])
    rules = {"off": OFF, "off again": OFF, "all": cross.CrossRule(8, 2.0)}
    got = SP.evaluate(docs, pairs, rules, eps_grid=[0.01], target_removal=0.3)["rules"]
    for name in rules:
        assert got[name]["at_target"]["removed_share"] == pytest.approx(0.3, abs=0.01)
    assert got["off"]["at_target"]["verdicts_changed"] == 0
    assert got["off again"]["at_target"]["verdicts_changed"] == 0
    assert got["all"]["at_target"]["verdicts_changed"] > 0


# --- the nearest other clusters the clusterings store ---------------------------------------------


def _near_reference(x: np.ndarray, cents: np.ndarray, own: np.ndarray, count: int):
    """float64 loop: each row's ``count`` nearest centroids other than its own, by cosine (ties
    by index), and the gaps cos(own) - cos(that)."""
    xu = x / np.linalg.norm(x, axis=1, keepdims=True)
    cu = cents / np.linalg.norm(cents, axis=1, keepdims=True)
    sims = xu.astype(np.float64) @ cu.astype(np.float64).T
    near = np.full((len(x), count), -1)
    gaps = np.full((len(x), count), np.nan)
    for r in range(len(x)):
        others = [c for c in np.lexsort((np.arange(len(cu)), -sims[r])) if c != own[r]][:count]
        near[r, : len(others)] = others
        gaps[r, : len(others)] = sims[r, own[r]] - sims[r, others]
    return near, gaps


def test_kmeans_nearest_other_clusters() -> None:
    ids, x, cents, _ = planted(seed=10)
    got = cluster_kmeans.assign_near(x, cents, "cpu", count=8)
    near, gaps = _near_reference(x, cents, got.cluster, 8)
    assert (got.near == near).all()
    np.testing.assert_allclose(got.gaps, gaps, atol=1e-6)
    assert (got.gaps >= 0).all()  # the own centroid is the nearest
    few = cluster_kmeans.assign_near(x, cents[:3], "cpu", count=8)  # fewer clusters than slots
    assert (few.near[:, 2:] == -1).all() and np.isnan(few.gaps[:, 2:]).all()
    assert (few.near[:, :2] >= 0).all()


def test_hdbscan_nearest_other_clusters() -> None:
    from curation.stages import cluster_hdbscan

    rng = np.random.default_rng(11)
    x = rng.standard_normal((200, 12)).astype(np.float32)
    labels = rng.integers(-1, 6, 200)
    near, gaps = cluster_hdbscan.near_clusters(x, labels, "cpu")
    noise = labels < 0
    assert (near[noise] == -1).all() and np.isnan(gaps[noise]).all()
    inside = np.flatnonzero(~noise)
    xu = x / np.linalg.norm(x, axis=1, keepdims=True)
    cents = np.stack([xu[labels == c].mean(axis=0) for c in range(6)])
    ref_near, ref_gaps = _near_reference(x[inside], cents, labels[inside], S.NEAR_COUNT)
    assert (near[inside] == ref_near).all()  # 5 others, then -1
    np.testing.assert_allclose(gaps[inside], ref_gaps, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_by_position_equals_best_candidates_with_ties(seed: int) -> None:
    """The local engine's numeric choice of each document's best candidate is the string-keyed
    one the Spark engine uses, also on equal M (the partner earlier in the total order wins)."""
    rng = np.random.default_rng(seed)
    n, k = 200, 700
    ids = np.asarray([f"d{i:04d}" for i in rng.permutation(n)], object)
    dist = np.round(rng.random(n), 1).astype(np.float32)  # many equal distances: id decides
    owner = np.concatenate([np.arange(n), rng.integers(0, n, k - n)])
    m = (np.round(rng.uniform(-1, 1, k) * 2) / 2).astype(np.float32)  # 5 values: many ties
    partner = np.where(rng.random(k) < 0.8, rng.integers(0, n, k), -1)
    more = partner[n:] >= 0  # the further candidates: each with a partner
    pos = cross.positions(ids, dist)
    got_m, got_p = cross.best_by_position(
        m[:n], partner[:n], owner[n:][more], m[n:][more], partner[n:][more], pos
    )
    keep = np.r_[np.ones(n, bool), more]
    owner, m, partner = owner[keep], m[keep], partner[keep]
    pid = np.where(partner >= 0, ids[np.maximum(partner, 0)], None).astype(object)
    pdist = np.where(partner >= 0, dist[np.maximum(partner, 0)], np.nan)
    want = cross.best_candidates(ids[owner], m, pid, pdist)  # owners by id, not by row
    by_row = want[np.argsort(owner[want], kind="stable")]
    assert np.array_equal(owner[by_row], np.arange(n))
    assert np.array_equal(got_p, partner[by_row])
    assert np.array_equal(got_m, np.where(partner[by_row] >= 0, m[by_row], -1.0))
    ties = sum(int(((owner == o) & (m == got_m[o]) & (partner >= 0)).sum() > 1) for o in range(n))
    assert ties > 20  # the tie rule decided many owners


@pytest.mark.parametrize("rule", [cross.CrossRule(2, 0.2), cross.CrossRule(3, 0.2, 0.05)], ids=str)
@pytest.mark.parametrize("tile", [5, 0])
def test_one_cluster_job_compares_exactly_its_pairs(rule, tile: int, screen: str) -> None:
    """One cluster's job: each member's and visitor's M and partner equal a brute force over the
    earlier documents the job compares it with (a member: every earlier member and the visitors
    whose cluster it accepts; a visitor: the accepting members only, never another visitor), the
    first maximum in the total order; tiles of 5 cut the visitors x members block both ways."""
    ids, x, cents, _ = planted(seed=3)
    cl, dist, near, gaps = assigned(x, cents)
    target = int(np.bincount(cl).argmax())
    pos = cross.positions(ids, dist)
    mem = np.flatnonzero(cl == target)
    vis = np.flatnonzero((cross.visits(near, gaps, rule) & (near == target)).any(axis=1))
    mem, vis = mem[np.argsort(pos[mem])], vis[np.argsort(pos[vis])]
    assert len(vis) >= 5 and len(mem) >= 20
    both = np.concatenate([mem, vis])
    unit = sd._normalised_rows(x, both)
    mm, ma, vm, va = cross.cluster_with_visitors(
        unit, len(mem), pos[mem], pos[vis], cl[vis], near[mem], gaps[mem], rule, tile
    )
    u = unit.numpy().astype(np.float64)
    sim = u @ u.T
    accept = np.stack([cross.accepts(near[mem], gaps[mem], c, rule) for c in cl[vis]], axis=1)
    is_mem = np.arange(len(both)) < len(mem)
    refused = 0
    for j in range(len(both)):
        earlier = pos[both] < pos[both[j]]
        if is_mem[j]:  # earlier members, earlier visitors it accepts
            ok = earlier & np.r_[np.ones(len(mem), bool), accept[j]]
            m, arg = mm[j], ma[j]
        else:  # earlier members accepting it
            ok = earlier & is_mem & np.r_[accept[:, j - len(mem)], np.zeros(len(vis), bool)]
            m, arg = vm[j - len(mem)], va[j - len(mem)]
        refused += int((earlier & ~ok & (is_mem != is_mem[j])).sum())
        if not ok.any():
            assert arg == -1 and m == -1.0, j
            continue
        best = np.where(ok, sim[j], -np.inf)
        assert ok[arg]
        near_best = np.flatnonzero(np.isclose(best, best.max(), rtol=0, atol=1e-6))
        earliest = near_best[np.argmin(pos[both][near_best])]
        assert arg == earliest or np.isclose(best[arg], best[earliest], rtol=0, atol=1e-6)
        np.testing.assert_allclose(m, best.max(), atol=2e-6)
    assert (refused > 0) == (rule.member_margin is not None)
    assert (ma >= len(mem)).any() and (va >= 0).any()  # matches both ways across the boundary


def test_which_jobs_are_one_joint_block(monkeypatch) -> None:
    """:func:`cross.joint`: CPU only, members of one block, members and visitors within a tile,
    and many visitors only where the CPU does not screen the visitors' block in bf16."""
    import torch

    assert cross.joint(200, 100, 0, "cpu") and cross.joint(1, 1, 0, "cpu")
    assert cross.joint(511, 2 * 511, 0, "cpu")
    assert not cross.joint(0, 5, 0, "cpu") and not cross.joint(512, 10, 0, "cpu")
    assert not cross.joint(300, 1749, 0, "cpu")  # beyond one tile
    assert not cross.joint(40, 30, 64, "cpu") and cross.joint(40, 24, 64, "cpu")
    assert not cross.joint(200, 100, 0, "cuda:0")
    for dtype in (None, torch.bfloat16):
        monkeypatch.setattr(cross, "screening", lambda device, products, d=dtype: d)
        assert cross.joint(100, 300, 0, "cpu") == (dtype is None)
        assert cross.joint(100, 200, 0, "cpu")


@pytest.mark.parametrize("rule", [cross.CrossRule(2, 0.2), cross.CrossRule(3, 0.2, 0.05)], ids=str)
def test_the_joint_block_equals_the_two_products(monkeypatch, rule: cross.CrossRule) -> None:
    """A CPU job of one joint block (:func:`cross.joint_block`: members and visitors times the
    members, one product) gives the partners of the two-product job (the within-cluster step,
    then the visitors x members block in float32), its M to float rounding, and its members'
    M where the partner is a member as the within-cluster step alone gives it."""
    ids, x, cents, _ = planted(seed=3)
    cl, dist, near, gaps = assigned(x, cents)
    pos = cross.positions(ids, dist)
    jobs = 0
    for target in np.unique(cl):
        mem = np.flatnonzero(cl == target)
        vis = np.flatnonzero((cross.visits(near, gaps, rule) & (near == target)).any(axis=1))
        mem, vis = mem[np.argsort(pos[mem])], vis[np.argsort(pos[vis])]
        if not len(vis):
            continue
        unit = sd._normalised_rows(x, np.concatenate([mem, vis]))
        args = (unit, len(mem), pos[mem], pos[vis], cl[vis], near[mem], gaps[mem], rule, 0)
        assert cross.joint(len(mem), len(vis), 0, "cpu")
        joint = cross.cluster_with_visitors(*args)
        with monkeypatch.context() as mp:
            mp.setattr(cross, "joint", lambda *a: False)
            mp.setattr(cross, "screening", lambda device, products: None)
            two = cross.cluster_with_visitors(*args)
        for got, want in zip(joint, two, strict=True):
            assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(joint[1], two[1]) and np.array_equal(joint[3], two[3])
        np.testing.assert_allclose(joint[0], two[0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(joint[2], two[2], rtol=0, atol=1e-6)
        within, _ = sd._cluster_core(unit[: len(mem)], 0, "cpu")
        inside = (joint[1] >= 0) & (joint[1] < len(mem))
        np.testing.assert_allclose(joint[0][inside], within[inside], rtol=0, atol=1e-6)
        jobs += 1
    assert jobs >= 5


@pytest.mark.parametrize("member_margin", [0.05, 0.3, 2.0])
def test_refusals_and_products_equal_accepts_per_source(member_margin: float) -> None:
    """:func:`refusals` (all sources at once) is :func:`accepts` asked per source, negated, and
    :func:`cross_products` counts the accepted visitor x member pairs (missing clusters -1, gaps
    NaN included)."""
    rng = np.random.default_rng(7)
    rule = cross.CrossRule(2, 0.1, member_margin)
    for _ in range(50):
        n, v = int(rng.integers(0, 30)), int(rng.integers(1, 25))
        near = rng.integers(-1, 6, (n, 8))
        gaps = rng.random((n, 8)).astype(np.float32)
        gaps[rng.random((n, 8)) < 0.2] = np.nan
        source = rng.integers(0, 6, v)
        refuse, slot = cross.refusals(near, gaps, source, rule)
        per_visitor = np.stack([cross.accepts(near, gaps, s, rule) for s in source]).reshape(v, n)
        np.testing.assert_array_equal(~refuse[slot], per_visitor)
        assert cross.cross_products(n, source, (refuse, slot)) == int(per_visitor.sum())
    assert cross.refusals(near, gaps, source, cross.CrossRule(2, 0.1)) is None


@pytest.mark.parametrize("tile", [3, 0])
@pytest.mark.parametrize("member_margin", [None, 0.1])
def test_compiled_block_maxima_equal_the_tensor_reductions(
    monkeypatch, tile, member_margin
) -> None:
    """:func:`visitor_block`'s compiled pass (CPU) and its masked tensor reductions (other
    devices, run here on CPU) give the same maxima and the same first partners among equal ones:
    vectors of 0/1 entries make many products equal; tiles of 3 cut the block both ways; blocks
    up to 70 members wide fill the compiled pass's lanes (:data:`LANES`) and leave a tail. The
    float32 block, read directly (the screened one: the next test)."""
    import torch

    monkeypatch.setattr(cross, "screening", lambda device, products: None)
    rng = np.random.default_rng(11)
    rule = cross.CrossRule(2, 0.1, member_margin)
    for k in range(40):
        top = (12, 15) if k < 20 else (40, 70)
        v, n = int(rng.integers(1, top[0])), int(rng.integers(1, top[1]))
        vis = torch.from_numpy(_unit(rng.integers(0, 2, (v, 6)).astype(np.float32) + 1e-3))
        mem = torch.from_numpy(_unit(rng.integers(0, 2, (n, 6)).astype(np.float32) + 1e-3))
        before = np.sort(rng.integers(0, n + 1, v))
        near = rng.integers(-1, 4, (n, 8))
        refused = cross.refusals(near, rng.random((n, 8)), rng.integers(0, 4, v), rule)
        got = cross.visitor_block(vis, mem, before, tile, refused)
        with monkeypatch.context() as m:
            m.setattr(cross, "_staircase_cpu", cross._staircase_torch)
            want = cross.visitor_block(vis, mem, before, tile, refused)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)


def _exact_block_maxima(vis: np.ndarray, mem: np.ndarray, before: np.ndarray):
    """The reference for a screened block: every product in float64, rounded to float32; each
    visitor's maximum over the members before it, each member's over the visitors before it,
    the first of equal maxima (-1, -1: none)."""
    sim = (vis.astype(np.float64) @ mem.astype(np.float64).T).astype(np.float32)
    earlier = np.arange(len(mem))[None, :] < before[:, None]  # the member comes first
    out = []
    for masked in (np.where(earlier, sim, -np.inf), np.where(earlier, -np.inf, sim).T):
        arg = np.argmax(masked, axis=1) if masked.shape[1] else np.zeros(len(masked), int)
        m = (
            masked[np.arange(len(masked)), arg]
            if masked.shape[1]
            else np.full(len(masked), -np.inf)
        )
        none = ~np.isfinite(m)
        out += [np.where(none, -1.0, np.clip(m, -1, 1)).astype(np.float32), np.where(none, -1, arg)]
    return out


@pytest.mark.parametrize("tile", [3, 16, 0])
def test_screened_block_equals_the_exact_maxima(monkeypatch, tile: int) -> None:
    """The bf16-screened block (:func:`cross._staircase_screened`): the same maxima as every
    product computed in float64, and the same first partners, on blocks built so that the
    screen cannot tell the best pairs apart: each member has near-copies (cosine within
    ~1e-4, far below bf16's resolution of ~4e-3) and exact copies (equal maxima that only the
    order decides); tiles of 3 and 16 cut the block both ways."""
    import torch

    monkeypatch.setattr(cross, "screening", lambda device, products: torch.bfloat16)
    rng = np.random.default_rng(12)
    decided = 0
    for _ in range(30):
        d = int(rng.choice([7, 24, 64]))
        base = _unit(rng.standard_normal((int(rng.integers(1, 6)), d)))
        n, v = int(rng.integers(1, 60)), int(rng.integers(1, 30))
        pick = rng.integers(0, len(base), n + v)
        x = base[pick] + rng.choice([0.0, 1e-4, 3e-3, 3e-2], (n + v, 1)) * rng.standard_normal(
            (n + v, d)
        )
        copies = rng.random(n + v) < 0.2
        x[copies] = x[rng.integers(0, n + v, int(copies.sum()))]  # exact copies: real ties
        unit = sd._normalised_rows(x.astype(np.float32), np.arange(n + v))
        mem, vis = unit[:n], unit[n:]
        before = np.sort(rng.integers(0, n + 1, v))
        got = cross.visitor_block(vis, mem, before, tile)
        want = _exact_block_maxima(vis.numpy(), mem.numpy(), before)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
        # a floor per member (its best match within the cluster): the columns that reach it
        # are exact, the others may hold a visitor below it or none; the rows do not change
        floor = want[2] + rng.choice([-0.01, 0.0, 1e-7, 0.01], n).astype(np.float32)
        f_m, f_a, f_cm, f_ca = cross.visitor_block(vis, mem, before, tile, floor=floor)
        np.testing.assert_array_equal(f_m, want[0])
        np.testing.assert_array_equal(f_a, want[1])
        reach = (want[3] >= 0) & (want[2] >= floor)
        np.testing.assert_array_equal(f_cm[reach], want[2][reach])
        np.testing.assert_array_equal(f_ca[reach], want[3][reach])
        assert ((f_ca[~reach] < 0) | (f_cm[~reach] < floor[~reach])).all()
        sim = vis.numpy() @ mem.numpy().T
        decided += int((np.abs(sim[:, :, None] - sim[:, None, :]) < 2e-3).sum())
    assert decided > 1000  # many pairs closer than the screen's resolution


@pytest.mark.parametrize("dim", [8, 64, 512, 2048])
def test_screen_delta_bounds_the_bf16_products(dim: int) -> None:
    """:func:`cross.screen_delta` bounds |bf16 product - float64 product| for unit rows: random
    rows, rows with one large entry, rows of equal entries (their roundings all one way) and
    near-copies (products near 1, where bf16's rounding of the result is coarsest)."""
    import torch

    rng = np.random.default_rng(dim)
    delta = cross.screen_delta(dim, torch.bfloat16)
    rows = [
        rng.standard_normal((64, dim)),
        rng.standard_normal((64, dim)) * (rng.random(dim) < 0.05),
    ]
    spike = rng.standard_normal((64, dim)) * 0.01
    spike[:, 0] = 1.0
    rows += [spike, np.ones((4, dim)) + 1e-3 * rng.standard_normal((4, dim))]
    rows.append(rows[0][:1] + 1e-3 * rng.standard_normal((64, dim)))
    x = np.vstack(rows)
    x[np.linalg.norm(x, axis=1) == 0, 0] = 1.0
    u = _unit(x)
    exact = u.astype(np.float64) @ u.astype(np.float64).T
    t = torch.from_numpy(u).bfloat16()
    screened = (t @ t.T).float().numpy()
    worst = float(np.abs(screened - exact).max())
    assert worst <= delta
    assert worst > delta / 20  # the bound is not vacuous: bf16 errors reach its order


def test_jobs_run_largest_first_and_return_in_order() -> None:
    """The small jobs run in order of their work, the most first (ties by job), then the large
    ones in order; each result comes with its job's index (one thread here, so that the order
    is exact)."""
    import torch

    started: list[int] = []

    def fn(k: int) -> int:
        started.append(k)
        return 10 * k

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        got = list(sd.each_job(list(range(6)), [True, True, False, True, True, True],
                               [5, 90, 1, 40, 40, 7], fn, "cpu"))  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    assert got == [(1, 10), (3, 30), (4, 40), (5, 50), (0, 0), (2, 20)]
    assert started == [1, 3, 4, 5, 0, 2]


@pytest.mark.parametrize("small", [[True], [True, False]])
def test_a_lone_small_job_runs_on_one_intra_op_thread(small: list[bool]) -> None:
    """A small job runs with one intra-op thread even when it is the only one (no pool), as in
    a Spark task, so both engines give the same bits; a large one gets every thread."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = dict(sd.each_job(small, small, [1] * len(small),
                                lambda _: torch.get_num_threads(), "cpu"))  # fmt: skip
        within = list(sd._each_cluster([(0, 10)], lambda _: torch.get_num_threads(), "cpu"))
    finally:
        torch.set_num_threads(threads)
    assert seen[0] == 1
    assert within == [1]  # the within-cluster step's one small cluster too
    if len(small) > 1:
        assert seen[1] == 2


@pytest.mark.parametrize("top", [50, 2**15, 2**15 + 5, 2**20])
def test_stable_group_equals_a_stable_sort(top: int) -> None:
    """The cluster grouping (16-bit radix where the ids fit) keeps equal ids in input order."""
    rng = np.random.default_rng(top)
    ids = rng.integers(0, top, 5000).astype(np.int64)
    ids[:50] = top - 1  # the largest id present, in a run
    got = cross._stable_group(ids)
    assert np.array_equal(got, np.argsort(ids, kind="stable"))
    assert np.array_equal(cross._stable_group(ids[:0]), np.zeros(0, np.int64))


@pytest.mark.parametrize(
    "rule", [cross.CrossRule(1, 0.05), cross.CrossRule(3, 0.1), cross.CrossRule(12, 2.0)]
)
def test_visits_are_the_first_slots_within_the_margin(rule: cross.CrossRule) -> None:
    rng = np.random.default_rng(rule.clusters)
    near = rng.integers(-1, 20, (300, 8))
    gaps = rng.uniform(0, 0.3, (300, 8)).astype(np.float32)
    gaps[::7, 2] = np.nan
    want = np.zeros((300, 8), bool)
    for i in range(300):
        for j in range(min(rule.clusters, 8)):
            want[i, j] = near[i, j] >= 0 and float(gaps[i, j]) <= rule.margin
    assert np.array_equal(cross.visits(near, gaps, rule), want)


def test_norms_per_job_or_once_give_the_same_table(monkeypatch) -> None:
    """With fewer visits than documents each job takes its rows' norms, else they are taken once
    for all: the same table bit for bit either way."""
    ids, x, cents, _ = planted(seed=3)
    cl, dist, near, gaps = assigned(x, cents)
    rule = cross.CrossRule(1, 0.05)
    v_rows, _ = np.nonzero(cross.visits(near, gaps, rule))
    assert 0 < len(v_rows) < len(ids)  # the per-job branch
    per_job, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule)
    plain = sd._normalised_rows
    calls = []

    def once(vectors, rows, norms=None):  # noqa: ANN001, ANN202
        calls.append(norms is None)
        return plain(vectors, rows, sd.row_norms(vectors) if norms is None else norms)

    monkeypatch.setattr(sd, "_normalised_rows", once)
    given, _ = cross.semdedup_with_cross(ids, cl, dist, x, near, gaps, rule)
    assert calls and all(calls)
    assert given.equals(per_job)
    m = np.asarray(per_job.column(S.M))
    assert np.array_equal(m.view(np.int64), np.asarray(given.column(S.M)).view(np.int64))
