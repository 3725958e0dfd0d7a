"""The cross-boundary pass of SemDedup: duplicates whose two documents landed in different clusters.

Within-cluster SemDedup (:mod:`curation.stages.semdedup`) compares two documents only when they
share a cluster, so a paraphrase pair split by a k-means (or HDBSCAN) boundary is never found,
whatever eps says. This pass also compares each document with documents of its nearest other
clusters, exactly (tiled matrix products, no approximate search), under one keep rule for all.

**One total order over all documents**: distance to the own centroid descending, then id
ascending. Inside a cluster it is exactly SemDedup's order, so with the pass off nothing changes.

**Compared pairs.** Two documents of one cluster, always. Documents ``i`` (cluster ``a``) and
``j`` (cluster ``b != a``, neither noise) when one *visits* the other's cluster and the other
*accepts* the visitor's cluster:

* ``j`` visits ``a`` when ``a`` is among ``j``'s ``cross_clusters`` nearest other clusters (by
  cosine to the centroids; a clustering stores :data:`~curation.schema.NEAR_COUNT` of them per
  document) and its gap ``cos(j, c_b) - cos(j, c_a)`` is at most ``cross_margin``;
* ``i`` accepts ``b`` always when ``cross_member_margin`` is null, else when ``b`` is among
  ``i``'s stored nearest other clusters with a gap of at most ``cross_member_margin``.

A paraphrase pair split by a boundary lies near it on both sides: the visitor side finds the
clusters worth a visit, the member side (when set) skips the far side of the visited cluster,
which costs most and holds few of the split pairs (bench/README.md, "Cross-boundary pass").

**The rule**, as within a cluster: ``M[j]`` = the largest cosine to a compared document before
``j`` in the total order; ``max_id[j]`` = that document, the earliest one among equal maxima;
``cross[j]`` = whether it lies in another cluster. Remove ``j`` when ``M[j] > 1 - eps``. In every
group of compared near-duplicates the first in the total order is kept.

**How.** Per visited (*target*) cluster: its members and its visitors (grouped by the visitor's
cluster when members must accept it), one block product of visitors x members, tiled, masked by
the order - a visitor's row keeps the members before it, a member's column the visitors before it
(:func:`cross_block`). A pair that qualifies both ways is computed in both target clusters (the
same value up to rounding; the maximum is kept). Each document's candidates - its within-cluster
M, and the cross candidates of every block it was in - are then reduced to the best one
(:func:`best_candidates`): the larger M, on equal M the partner earlier in the total order. The
local engine (:func:`semdedup_with_cross`) and the Spark engine
(:mod:`curation.spark.semdedup`: one target cluster per task, then the candidates reduced in groups of documents) call the
same functions, so they give the same table.

:func:`brute_force_semdedup` is the reference for tests: the whole N x N similarity matrix masked
to compared pairs and the order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import SemDedupConfig
from curation.device import resolve_device
from curation.stages import semdedup

log = logging.getLogger(__name__)

NO_PARTNER = -1


@dataclass(frozen=True)
class CrossRule:
    """Which pairs across a cluster boundary are compared (see the module docstring)."""

    clusters: int = 0  # nearest other clusters a document may visit; 0 = the pass is off
    margin: float = 0.1  # a visit needs gap <= margin
    member_margin: float | None = None  # a member is compared with a visitor only within it

    @classmethod
    def of(cls, cfg: SemDedupConfig) -> CrossRule:
        return cls(cfg.cross_clusters, cfg.cross_margin, cfg.cross_member_margin)

    @property
    def on(self) -> bool:
        return self.clusters > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cross_clusters": self.clusters,
            "cross_margin": self.margin,
            "cross_member_margin": self.member_margin,
        }


# --- the nearest other clusters, as stored ----------------------------------------------------------


def near_to_arrow(near: np.ndarray, gaps: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """(N, K) nearest clusters (-1 = none, always trailing) and gaps as two list columns."""
    near = np.asarray(near, np.int64)
    found = near >= 0
    offsets = np.concatenate(([0], np.cumsum(found.sum(axis=1)))).astype(np.int32)
    gaps = np.asarray(gaps, np.float32)
    return (
        pa.ListArray.from_arrays(pa.array(offsets), pa.array(near[found], pa.int64())),
        pa.ListArray.from_arrays(pa.array(offsets), pa.array(gaps[found], pa.float32())),
    )


def near_from_arrow(
    near: Any, gaps: Any, count: int = S.NEAR_COUNT
) -> tuple[np.ndarray, np.ndarray]:
    """The two list columns (Arrow, or sequences of sequences such as a pandas column) as
    (N, ``count``) arrays, padded with -1 and NaN (null lists: none)."""
    out = []
    for column, dtype, fill in ((near, pa.int64(), -1), (gaps, pa.float32(), np.nan)):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if not isinstance(column, pa.Array):
            column = pa.array([None if v is None else list(v) for v in column], pa.list_(dtype))
        n = len(column)
        lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy().astype(np.int64)
        flat = pc.list_flatten(column).cast(dtype).to_numpy(zero_copy_only=False)
        row = np.repeat(np.arange(n), lengths)
        slot = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keep = slot < count
        arr = np.full((n, count), fill, dtype.to_pandas_dtype())
        arr[row[keep], slot[keep]] = flat[keep]
        out.append(arr)
    return out[0], out[1]


# --- the rule ----------------------------------------------------------------------------------------


def visits(near: np.ndarray, gaps: np.ndarray, rule: CrossRule) -> np.ndarray:
    """(N, K) bool: whether each document visits each of its stored nearest clusters. Gaps are
    compared in float64 (the same decision as Spark's double comparison)."""
    near = np.asarray(near)
    slot = np.arange(near.shape[1])[None, :]
    with np.errstate(invalid="ignore"):
        close = np.asarray(gaps, np.float64) <= rule.margin
    return (slot < rule.clusters) & (near >= 0) & close


def accepts(near: np.ndarray, gaps: np.ndarray, source: Any, rule: CrossRule) -> np.ndarray:
    """bool[N]: whether each document accepts visitors from cluster ``source`` (one cluster for
    all rows, or one per row)."""
    near = np.asarray(near)
    if rule.member_margin is None:
        return np.ones(len(near), bool)
    src = np.broadcast_to(np.asarray(source, np.int64), (len(near),))
    with np.errstate(invalid="ignore"):
        close = np.asarray(gaps, np.float64) <= rule.member_margin
    return ((near == src[:, None]) & close).any(axis=1)


def _visits_cluster(near: np.ndarray, gaps: np.ndarray, target: np.ndarray, rule: CrossRule):  # noqa: ANN202
    return (visits(near, gaps, rule) & (np.asarray(near) == np.asarray(target)[:, None])).any(1)


def compared(
    cluster_i: Any,
    near_i: np.ndarray,
    gaps_i: np.ndarray,
    cluster_j: Any,
    near_j: np.ndarray,
    gaps_j: np.ndarray,
    rule: CrossRule,
) -> np.ndarray:
    """bool per pair (row ``r`` of the ``_i`` arrays with row ``r`` of the ``_j`` ones): whether the
    pass compares the two documents (the same cluster, or one visits the other's and the other
    accepts). Noise (cluster < 0) is never compared."""
    ci = np.asarray(cluster_i, np.int64)
    cj = np.asarray(cluster_j, np.int64)
    inside = (ci >= 0) & (cj >= 0)
    same = inside & (ci == cj)
    if not rule.on:
        return same
    j_visits = _visits_cluster(near_j, gaps_j, ci, rule) & accepts(near_i, gaps_i, cj, rule)
    i_visits = _visits_cluster(near_i, gaps_i, cj, rule) & accepts(near_j, gaps_j, ci, rule)
    return same | (inside & (ci != cj) & (j_visits | i_visits))


def positions(ids: Any, distances: Any) -> np.ndarray:
    """Each document's place in the total order (0 = first): distance descending, then id."""
    order = semdedup.sort_order(ids, distances)
    pos = np.empty(len(order), np.int64)
    pos[order] = np.arange(len(order))
    return pos


# --- one block, one target cluster -------------------------------------------------------------------


def cross_block(
    rows: Any, cols: Any, row_pos: np.ndarray, col_pos: np.ndarray, tile_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of one block of cross pairs: ``rows`` (visitors) and ``cols`` (members) are
    unit float32 torch tensors on one device, each sorted by its position in the total order
    (``row_pos``, ``col_pos``, all distinct). Returns, as numpy:

    * ``row_m[r]`` = max of ``<rows[r], cols[c]>`` over ``col_pos[c] < row_pos[r]`` and
      ``row_arg[r]`` = the first such ``c`` among equal maxima;
    * ``col_m[c]``, ``col_arg[c]`` the same over rows with ``row_pos[r] < col_pos[c]``;

    -inf and -1 where there is none; M clamped to [-1, 1]. Memory: one ``tile x tile`` block
    and its mask at a time."""
    import torch

    dev = rows.device
    nr, nc = rows.shape[0], cols.shape[0]
    neg_inf = float("-inf")
    row_m = torch.full((nr,), neg_inf, dtype=torch.float32, device=dev)
    row_a = torch.full((nr,), -1, dtype=torch.int64, device=dev)
    col_m = torch.full((nc,), neg_inf, dtype=torch.float32, device=dev)
    col_a = torch.full((nc,), -1, dtype=torch.int64, device=dev)
    pr = torch.from_numpy(np.ascontiguousarray(row_pos, np.int64)).to(dev)
    pcol = torch.from_numpy(np.ascontiguousarray(col_pos, np.int64)).to(dev)
    t = semdedup.tile_for(tile_size, str(dev))
    with torch.inference_mode():
        for a in range(0, nr, t):
            b = min(a + t, nr)
            for c in range(0, nc, t):
                d = min(c + t, nc)
                block = rows[a:b] @ cols[c:d].T
                before = pcol[c:d][None, :] < pr[a:b][:, None]  # the member comes first
                # rows: the members before each visitor (column blocks come left to right, so
                # strictly greater keeps the first among equal maxima)
                v, ix = block.masked_fill(~before, neg_inf).max(dim=1)
                better = v > row_m[a:b]
                row_m[a:b] = torch.where(better, v, row_m[a:b])
                row_a[a:b] = torch.where(better, ix + c, row_a[a:b])
                # columns: the visitors before each member (row blocks come top to bottom)
                v, ix = block.masked_fill_(before, neg_inf).max(dim=0)
                better = v > col_m[c:d]
                col_m[c:d] = torch.where(better, v, col_m[c:d])
                col_a[c:d] = torch.where(better, ix + a, col_a[c:d])
    row_m.clamp_(max=1.0)
    col_m.clamp_(max=1.0)
    row_m = torch.where(row_a >= 0, row_m.clamp(min=-1.0), row_m)
    col_m = torch.where(col_a >= 0, col_m.clamp(min=-1.0), col_m)
    return row_m.cpu().numpy(), row_a.cpu().numpy(), col_m.cpu().numpy(), col_a.cpu().numpy()


@dataclass(frozen=True)
class Side:
    """Documents on one side of a target cluster's block: ids, distances to their own centroid,
    their own cluster, unit vectors (a float32 torch tensor), nearest clusters and gaps; ``pos``:
    their places in the total order when known (the local engine's, over all documents), else
    None (ranked from ids and distances; only the relative order of the two sides matters)."""

    ids: np.ndarray
    distances: np.ndarray
    clusters: np.ndarray
    vectors: Any
    near: np.ndarray
    gaps: np.ndarray
    pos: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


def _better(m: np.ndarray, pos: np.ndarray, best_m: np.ndarray, best_pos: np.ndarray) -> np.ndarray:
    """Where candidate (m, partner position) beats the best so far: larger M, or equal M and an
    earlier partner (position -1: no partner, beaten by any)."""
    has = pos >= 0
    none = best_pos < 0
    return has & (none | (m > best_m) | ((m == best_m) & (pos < best_pos)))


def target_candidates(
    members: Side, visitors: Side, rule: CrossRule, tile_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cross candidates of one target cluster: ``(member_m, member_partner, visitor_m,
    visitor_partner)``, partners as row indices of the other side (-1 = none, M -inf). Inputs in
    any order; the result does not depend on it."""

    n_m, n_v = len(members), len(visitors)
    member_m = np.full(n_m, -np.inf, np.float32)
    member_p = np.full(n_m, NO_PARTNER, np.int64)
    visitor_m = np.full(n_v, -np.inf, np.float32)
    visitor_p = np.full(n_v, NO_PARTNER, np.int64)
    if not n_m or not n_v:
        return member_m, member_p, visitor_m, visitor_p
    if members.pos is not None and visitors.pos is not None:
        pos = np.concatenate([members.pos, visitors.pos])
    else:
        pos = positions(
            np.concatenate([members.ids, visitors.ids]),
            np.concatenate([members.distances, visitors.distances]),
        )
    mpos, vpos = pos[:n_m], pos[n_m:]
    m_sorted = np.argsort(mpos, kind="stable")
    v_sorted = np.argsort(vpos, kind="stable")
    if rule.member_margin is None:
        groups = [(m_sorted, v_sorted)]
    else:
        groups = []
        for source in np.unique(visitors.clusters):
            ok = accepts(members.near[m_sorted], members.gaps[m_sorted], source, rule)
            groups.append((m_sorted[ok], v_sorted[visitors.clusters[v_sorted] == source]))
    best_pos = np.full(n_m, -1, np.int64)  # position of each member's best partner so far
    for cols, rows in groups:
        if not len(cols) or not len(rows):
            continue
        rm, ra, cm, ca = cross_block(
            _select(visitors.vectors, rows),
            _select(members.vectors, cols),
            vpos[rows],
            mpos[cols],
            tile_size,
        )
        found = ra >= 0
        visitor_m[rows[found]] = rm[found]  # a visitor is in one group only
        visitor_p[rows[found]] = cols[ra[found]]
        got = ca >= 0
        partner = np.where(got, rows[np.maximum(ca, 0)], -1)
        partner_pos = np.where(got, vpos[np.maximum(partner, 0)], -1)
        win = _better(cm, partner_pos, member_m[cols], best_pos[cols])
        member_m[cols[win]] = cm[win]
        member_p[cols[win]] = partner[win]
        best_pos[cols[win]] = partner_pos[win]
    return member_m, member_p, visitor_m, visitor_p


def _select(vectors: Any, rows: np.ndarray) -> Any:
    """``vectors[rows]``; no copy when ``rows`` is every row in order (a side given sorted)."""
    if len(rows) == len(vectors) and (rows == np.arange(len(rows))).all():
        return vectors
    return vectors.index_select(0, semdedup._index(rows).to(vectors.device))


# --- the best candidate per document -----------------------------------------------------------------


def best_candidates(
    owner: np.ndarray, m: np.ndarray, partner_id: np.ndarray, partner_distance: np.ndarray
) -> np.ndarray:
    """Row index of each owner's best candidate (owners in sorted order, one row each): the
    largest M; on equal M the partner earlier in the total order (larger distance, then smaller
    id); a candidate without a partner (null ``partner_id``) only when an owner has no other."""
    owner = np.asarray(owner)
    has = np.asarray([p is not None for p in partner_id], bool)
    key_m = np.where(has, np.asarray(m, np.float64), -np.inf)
    pid = np.asarray(["" if p is None else p for p in partner_id], dtype=str)
    pdist = np.where(has, np.asarray(partner_distance, np.float64), -np.inf)
    order = np.lexsort((pid, -pdist, -key_m, ~has, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]] if len(order) else order
    return order[first]


# --- the local engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossStats:
    """What the pass did: visits, products computed, documents whose best match is across."""

    visits: int
    targets: int
    products: int
    within_products: int

    def as_dict(self) -> dict[str, int]:
        return {
            "visits": self.visits,
            "targets": self.targets,
            "cross_products": self.products,
            "within_products": self.within_products,
        }


def cross_candidates(
    ids: np.ndarray,
    clusters: np.ndarray,
    distances: np.ndarray,
    vectors: Any,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
    tile_size: int = 2048,
    device: str = "cpu",
    progress: Callable[[int], Any] | None = None,
    unit: Any = None,
) -> tuple[np.ndarray, np.ndarray, CrossStats]:
    """Every document's best cross candidate: ``(m float32[N] (-inf none), partner int64[N] (row
    index, -1 none), stats)``, target cluster by target cluster. ``unit``: the rows already
    normalised (``semdedup_all``'s ``unit_out``), else every row is normalised here once."""
    device = resolve_device(device)
    n = len(ids)
    best_m = np.full(n, -np.inf, np.float32)
    best_p = np.full(n, NO_PARTNER, np.int64)
    cl = np.asarray(clusters, np.int64)
    inside = cl >= 0
    vis = visits(near, gaps, rule) & inside[:, None]
    v_rows, v_slots = np.nonzero(vis)
    targets = np.asarray(near)[v_rows, v_slots]
    by_target = np.argsort(targets, kind="stable")
    v_rows, targets = v_rows[by_target], targets[by_target]
    key = np.where(inside, cl, np.iinfo(np.int64).max)  # noise last, never a member
    member_order = np.argsort(key, kind="stable")
    sorted_cl = key[member_order]
    pos = positions(ids, distances)
    # the unit rows of the within-cluster step, or every row normalised here once (a document
    # visits up to cross_clusters targets and is a member of one): the same bits as normalising
    # each target's rows apart, as the Spark engine does (row by row, float64 norms)
    if unit is None:
        unit = semdedup._normalised_rows(vectors, np.arange(n))
    sizes = np.bincount(cl[inside]) if inside.any() else np.zeros(0, np.int64)
    within = int((sizes.astype(np.int64) * (sizes - 1) // 2).sum())
    uniq, starts = np.unique(targets, return_index=True)
    ends = np.r_[starts[1:], len(targets)].astype(np.int64)[: len(starts)]  # none: no visits

    def one(job: tuple[int, int, int]) -> tuple | None:
        t, s, e = job
        lo, hi = np.searchsorted(sorted_cl, t), np.searchsorted(sorted_cl, t, side="right")
        m_rows, v_rows_t = member_order[lo:hi], v_rows[s:e]
        if not len(m_rows):  # an empty k-means cluster: nothing to compare with
            return None
        # both sides in the total order already: their blocks are the sides' tensors, uncopied
        m_rows = m_rows[np.argsort(pos[m_rows], kind="stable")]
        v_rows_t = v_rows_t[np.argsort(pos[v_rows_t], kind="stable")]
        mem = _side(ids, distances, cl, unit, near, gaps, m_rows, device, pos)
        vst = _side(ids, distances, cl, unit, near, gaps, v_rows_t, device, pos)
        return (
            m_rows,
            v_rows_t,
            target_candidates(mem, vst, rule, tile_size),
            _products(mem, vst, rule),
        )

    jobs = list(zip(uniq.tolist(), starts.tolist(), ends.tolist(), strict=True))
    products = 0
    for job, got in zip(jobs, _each_target(jobs, one, device), strict=True):
        if got is not None:
            m_rows, v_rows_t, (mm, mp, vm, vp), count = got
            products += count
            for rows_here, m_here, p_here, partners in (
                (m_rows, mm, mp, v_rows_t),
                (v_rows_t, vm, vp, m_rows),
            ):
                found = p_here >= 0
                partner = np.where(found, partners[np.maximum(p_here, 0)], -1)
                ppos = np.where(found, pos[np.maximum(partner, 0)], -1)
                cur = best_p[rows_here]
                cur_pos = np.where(cur >= 0, pos[np.maximum(cur, 0)], -1)
                win = _better(m_here, ppos, best_m[rows_here], cur_pos)
                best_m[rows_here[win]] = m_here[win]
                best_p[rows_here[win]] = partner[win]
        if progress is not None:
            progress(job[2] - job[1])
    stats = CrossStats(int(len(v_rows)), int(len(uniq)), products, within)
    return best_m, best_p, stats


def _each_target(jobs: list, fn: Callable[[Any], Any], device: str) -> Iterator[Any]:
    """``fn`` of every job, yielded in the jobs' order. On CPU the target clusters run side by
    side on a pool of one thread per core, each with one intra-op thread: a target's blocks are
    small and many (its visitors are a fraction of it), and one OpenMP fork/join per small
    product costs a scheduler time slice each when the cores are shared (as in the within-cluster
    step, :func:`curation.stages.semdedup._each_cluster`); it is also what a Spark task with one
    core does, so both engines compute the same bits."""
    import torch

    threads = torch.get_num_threads()
    if device != "cpu":
        yield from map(fn, jobs)
        return
    with one_thread():
        if threads <= 1 or len(jobs) < 2:
            yield from map(fn, jobs)
        else:
            with ThreadPoolExecutor(threads) as pool:
                yield from pool.map(fn, jobs)


@contextmanager
def one_thread() -> Iterator[None]:
    """torch's intra-op threads set to 1 meanwhile. Every cross block on CPU is computed so, here
    and in a Spark task whatever its cores: a float32 product's rounding can depend on how many
    threads split it, and both engines must give the same bits."""
    import torch

    threads = torch.get_num_threads()
    if threads != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if threads != 1:
            torch.set_num_threads(threads)


def _side(ids, distances, clusters, unit, near, gaps, rows, device, pos=None) -> Side:  # noqa: ANN001
    """The documents ``rows`` as a :class:`Side`; ``unit``: every document's unit row (a float32
    CPU tensor, :func:`curation.stages.semdedup._normalised_rows`), ``pos``: every document's
    place in the total order when known."""
    return Side(
        ids[rows],
        np.asarray(distances, np.float32)[rows],
        clusters[rows],
        unit.index_select(0, semdedup._index(rows)).to(device),
        np.asarray(near)[rows],
        np.asarray(gaps)[rows],
        None if pos is None else pos[rows],
    )


def _products(members: Side, visitors: Side, rule: CrossRule) -> int:
    """Dot products one target cluster's blocks compute (for the stage's manifest)."""
    if rule.member_margin is None:
        return len(members) * len(visitors)
    total = 0
    for source in np.unique(visitors.clusters):
        ok = accepts(members.near, members.gaps, source, rule)
        total += int(ok.sum()) * int((visitors.clusters == source).sum())
    return total


def semdedup_with_cross(
    ids: Any,
    clusters: Any,
    distances: Any,
    vectors: Any,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
    tile_size: int = 2048,
    device: str = "cpu",
    progress: Callable[[int], Any] | None = None,
) -> tuple[pa.Table, CrossStats | None]:
    """:func:`curation.stages.semdedup.semdedup_all` plus the cross-boundary pass: the same table
    (:data:`~curation.schema.RESULT_SCHEMA`, the same rows in the same order) with M, max_id and
    ``cross`` over every compared pair. With the pass off, exactly ``semdedup_all``'s table.
    ``progress(n)``: documents of each finished cluster (the within-cluster part)."""
    unit = unit_buffer(vectors) if rule.on else None
    table = semdedup.semdedup_all(
        ids, clusters, distances, vectors, tile_size, device, progress, unit
    )
    if not rule.on:
        return table, None
    id_arr = semdedup._id_array(ids)
    cl = np.asarray(clusters, np.int64)
    dist = np.asarray(distances, np.float32)
    cm, cp, stats = cross_candidates(
        id_arr, cl, dist, vectors, near, gaps, rule, tile_size, device, unit=unit
    )
    return combine_rows(table, id_arr, dist, cm, cp), stats


def unit_buffer(vectors: Any) -> Any:
    """An empty float32 CPU tensor shaped as ``vectors``, for ``semdedup_all``'s ``unit_out``."""
    import torch

    return torch.zeros(tuple(vectors.shape), dtype=torch.float32)


def combine_rows(
    table: pa.Table,
    ids: np.ndarray,
    distances: np.ndarray,
    cross_m: np.ndarray,
    cross_p: np.ndarray,
) -> pa.Table:
    """:func:`combine` with the cross partners given as row indices of ``ids`` (-1 = none), in
    numbers instead of strings: the same table (the same rule as :func:`best_candidates` - the
    larger M in float32, on equal M the partner earlier in the total order - tested equal to
    :func:`combine`), without sorting every candidate by its partner's id."""
    ids = np.asarray(ids)
    value_set = pa.array(ids, pa.string())
    at = np.asarray(pc.index_in(table.column(S.ID), value_set=value_set))
    within_col = table.column(S.MAX_ID)
    w_p = np.asarray(pc.index_in(within_col, value_set=value_set).fill_null(-1), np.int64)
    w_m = np.asarray(table.column(S.M), np.float32)
    c_m = np.asarray(cross_m, np.float32)[at]
    c_p = np.asarray(cross_p, np.int64)[at]
    pos = positions(ids, distances)
    has_w, has_c = w_p >= 0, c_p >= 0
    earlier = pos[np.maximum(c_p, 0)] < pos[np.maximum(w_p, 0)]
    take = has_c & (~has_w | (c_m > w_m) | ((c_m == w_m) & earlier))
    new_m = np.where(take, c_m, np.where(has_w, w_m, np.float32(-1.0))).astype(np.float64)
    cross_id = pa.array(np.where(take, ids[np.maximum(c_p, 0)], None), pa.string())
    new_id = pc.if_else(pa.array(take), cross_id, within_col)
    return (
        table.set_column(table.schema.get_field_index(S.M), S.M, pa.array(new_m, pa.float64()))
        .set_column(table.schema.get_field_index(S.MAX_ID), S.MAX_ID, new_id)
        .set_column(table.schema.get_field_index(S.CROSS), S.CROSS, pa.array(take))
    )


def combine(
    table: pa.Table,
    ids: np.ndarray,
    distances: np.ndarray,
    cross_m: np.ndarray,
    cross_id: np.ndarray,
    cross_distance: np.ndarray,
) -> tuple[pa.Table, np.ndarray]:
    """The within-cluster result ``table`` with each document's cross candidate (``cross_m``,
    ``cross_id`` (None = none) and its distance, by row of ``ids``; the within partners are among
    ``ids`` too) where it is the better one (:func:`best_candidates`). Also returns, per table
    row, the chosen partner's distance (NaN = none)."""
    ids = np.asarray(ids)
    at = np.asarray(pc.index_in(table.column(S.ID), value_set=pa.array(ids, pa.string())))
    n = table.num_rows
    dist = np.asarray(distances, np.float32)
    within_col = table.column(S.MAX_ID)
    within_at = pc.index_in(within_col, value_set=pa.array(ids, pa.string()))
    has_within = np.asarray(pc.is_valid(within_col), bool)
    within_dist = np.where(has_within, dist[np.asarray(within_at.fill_null(0))], np.nan)
    owner = np.concatenate([np.arange(n), np.arange(n)])
    m = np.concatenate([np.asarray(table.column(S.M), np.float32), cross_m[at]])
    partner = np.concatenate([np.asarray(within_col.to_pylist(), object), cross_id[at]])
    pdist = np.concatenate([within_dist, np.asarray(cross_distance, np.float64)[at]])
    is_cross = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    best = best_candidates(owner, m, partner, pdist)
    has = np.asarray([partner[b] is not None for b in best], bool)
    new_m = np.where(has, m[best].astype(np.float64), -1.0)
    out = (
        table.set_column(table.schema.get_field_index(S.M), S.M, pa.array(new_m, pa.float64()))
        .set_column(
            table.schema.get_field_index(S.MAX_ID),
            S.MAX_ID,
            pa.array(partner[best].tolist(), pa.string()),
        )
        .set_column(table.schema.get_field_index(S.CROSS), S.CROSS, pa.array(is_cross[best] & has))
    )
    return out, np.where(has, pdist[best], np.nan)


# --- the Spark engine's steps ----------------------------------------------------------------------


def visitor_rows(assigned: pa.Table | pa.RecordBatch, rule: CrossRule) -> pa.Table:
    """:data:`~curation.schema.VISIT_SCHEMA` rows: one per document and cluster it visits."""
    near, gaps = near_from_arrow(assigned.column(S.NEAR), assigned.column(S.NEAR_GAPS))
    inside = np.asarray(assigned.column(S.CLUSTER).fill_null(S.NOISE)) >= 0
    rows, slots = np.nonzero(visits(near, gaps, rule) & inside[:, None])
    take = pa.array(rows, pa.int64())
    return pa.table(
        [assigned.column(n).take(take) for n in (S.ID, S.DOMAIN, S.CLUSTER, S.DISTANCE)]
        + [pa.array(near[rows, slots], pa.int64())],
        schema=S.VISIT_SCHEMA,
    )


def target_group(
    group: pa.Table, vectors: Any, rule: CrossRule, tile_size: int, device: str
) -> pa.Table:
    """One target cluster's block on Spark: ``group`` holds its members (``target == cluster``,
    with their nearest clusters) and its visitors (``target != cluster``), ``vectors`` theirs.
    Returns :data:`~curation.schema.CANDIDATE_SCHEMA` rows: each member's home row (the
    within-cluster result combined with what the visitors gave it) and each visitor's best
    match among the members (only visitors that have one)."""
    cl = np.asarray(group.column(S.CLUSTER), np.int64)
    target = np.asarray(group.column(S.TARGET), np.int64)
    ids = semdedup._id_array(group.column(S.ID))
    dist = np.asarray(group.column(S.DISTANCE), np.float32)
    domains = group.column(S.DOMAIN)
    near, gaps = near_from_arrow(group.column(S.NEAR), group.column(S.NEAR_GAPS))
    mem = np.flatnonzero(cl == target)
    vis = np.flatnonzero(cl != target)
    if not len(mem):  # visitors of a cluster without documents (an empty k-means centroid)
        return S.CANDIDATE_SCHEMA.empty_table()
    device = resolve_device(device)
    unit = semdedup._normalised_rows(vectors, np.arange(len(ids)))  # row by row: the same bits
    m_side = _side(ids, dist, cl, unit, near, gaps, mem, device)
    v_side = _side(ids, dist, cl, unit, near, gaps, vis, device)
    with one_thread() if device == "cpu" else nullcontext():
        mm, mp, vm, vp = target_candidates(m_side, v_side, rule, tile_size)
    # as the local engine computes a small cluster: on one intra-op thread (its pool)
    small = device == "cpu" and len(mem) < semdedup.SMALL_CLUSTER
    with one_thread() if small else nullcontext():
        within = semdedup.semdedup_all(
            ids[mem], cl[mem], dist[mem], semdedup._rows(vectors, mem), tile_size, device
        )
    got = mp >= 0
    partner = vis[np.maximum(mp, 0)] if len(vis) else np.zeros(len(mem), np.int64)
    partner_id = np.where(got, ids[partner] if len(vis) else None, None).astype(object)
    partner_dist = np.where(got, dist[partner] if len(vis) else np.nan, np.nan)
    home, home_pdist = combine(within, ids[mem], dist[mem], mm, partner_id, partner_dist)
    at = pc.index_in(home.column(S.ID), value_set=pa.array(ids, pa.string()))
    home = home.append_column(S.DOMAIN, domains.take(at))
    home = home.append_column(S.PARTNER_DISTANCE, pa.array(home_pdist, pa.float32()))
    home = home.append_column(S.HOME, pa.array(np.ones(home.num_rows, bool)))
    found = vp >= 0
    rows, partners = vis[found], mem[vp[found]]
    visited = pa.table(
        {
            S.ID: pa.array(ids[rows], pa.string()),
            S.DOMAIN: domains.take(pa.array(rows, pa.int64())),
            S.CLUSTER: pa.array(cl[rows], pa.int64()),
            S.DISTANCE: pa.array(dist[rows], pa.float32()),
            S.M: pa.array(vm[found].astype(np.float64), pa.float64()),
            S.MAX_ID: pa.array(ids[partners], pa.string()),
            S.CROSS: pa.array(np.ones(len(rows), bool)),
            S.PARTNER_DISTANCE: pa.array(dist[partners], pa.float32()),
            S.HOME: pa.array(np.zeros(len(rows), bool)),
        }
    )
    return pa.concat_tables(
        [S.conform(home, S.CANDIDATE_SCHEMA), S.conform(visited, S.CANDIDATE_SCHEMA)]
    )


def reduce_candidates(candidates: pa.Table) -> pa.Table:
    """Every document's home row with the best of its candidates (:func:`best_candidates`), as
    :data:`~curation.schema.SIMILARITY_SCHEMA` rows (by id)."""
    owner = semdedup._id_array(candidates.column(S.ID))
    best = best_candidates(
        owner,
        np.asarray(candidates.column(S.M), np.float32),
        np.asarray(candidates.column(S.MAX_ID).to_pylist(), object),
        np.asarray(candidates.column(S.PARTNER_DISTANCE).fill_null(np.nan), np.float32),
    )
    home_rows = np.flatnonzero(np.asarray(candidates.column(S.HOME), bool))
    home_rows = home_rows[np.argsort(owner[home_rows], kind="stable")]
    if len(home_rows) != len(best):
        raise ValueError(f"{len(best)} documents but {len(home_rows)} home rows")
    home = candidates.take(pa.array(home_rows, pa.int64()))
    chosen = candidates.take(pa.array(best, pa.int64()))
    for name in (S.M, S.MAX_ID, S.CROSS):
        home = home.set_column(home.schema.get_field_index(name), name, chosen.column(name))
    return S.conform(home, S.SIMILARITY_SCHEMA)


# --- the reference ----------------------------------------------------------------------------------


def brute_force_semdedup(
    ids: Any,
    clusters: Any,
    distances: Any,
    vectors: Any,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
) -> dict[str, tuple[float, str | None, bool]]:
    """Reference for tests: ``{id: (M, max_id, cross)}`` from the full N x N cosine matrix, masked
    to the compared pairs (:func:`compared`) and to ``i`` before ``j`` in the total order; the
    first maximum in that order. Noise: (-1, None, False)."""
    id_arr = semdedup._id_array(ids)
    cl = np.asarray(clusters, np.int64)
    dist = np.asarray(distances, np.float32)
    n = len(id_arr)
    order = semdedup.sort_order(id_arr, dist)
    x = semdedup._normalised_rows(vectors, order).numpy()
    sim = x @ x.T
    c, nr, gp = cl[order], np.asarray(near)[order], np.asarray(gaps)[order]
    out: dict[str, tuple[float, str | None, bool]] = {}
    for j in range(n):
        ok = np.zeros(n, bool)
        if j:
            ok[:j] = compared(c[:j], nr[:j], gp[:j], np.full(j, c[j]), nr[[j] * j], gp[[j] * j],
                              rule)  # fmt: skip
        if not ok.any():
            out[id_arr[order[j]]] = (-1.0, None, False)
            continue
        row = np.where(ok, sim[j], -np.inf)
        i = int(np.argmax(row))
        out[id_arr[order[j]]] = (
            float(np.clip(row[i], -1.0, 1.0)),
            str(id_arr[order[i]]),
            bool(c[i] != c[j]),
        )
    return out
