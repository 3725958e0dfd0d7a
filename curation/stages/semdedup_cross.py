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

**How.** One job per cluster, which replaces the within-cluster step: the cluster *extended* by
its visitors - its members and the documents that visit it, merged in the total order - goes
through SemDedup's tiled product (:func:`extended_max`, the within-cluster step's own
:func:`~curation.stages.semdedup.max_similarity`) with the pairs that are not compared masked
(:func:`exclusion`: two visitors; with ``member_margin``, a member and a visitor whose cluster it
does not accept). A member's row gives its best match among the members and visitors before it,
a visitor's row its best match among the members before it, ties to the earliest row; the
cluster's rows are read and multiplied once, with no second pass over the clusters. A pair that
qualifies both ways is computed in both clusters' jobs (the same value up to rounding; the maximum
is kept). Each document's candidates - its row in its own cluster's job and in every job it
visited - are then reduced to the best one (:func:`best_candidates`): the larger M, on equal M
the partner earlier in the total order. The local engine (:func:`semdedup_with_cross`) and the
Spark engine (:mod:`curation.spark.semdedup`: one target cluster per task,
:func:`target_group`, then the candidates reduced in groups of documents) call the same
functions on the same rows, so they give the same table.

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


# --- one target cluster: its members and its visitors in one block ---------------------------------


def exclusion(
    visitor: np.ndarray,
    source: np.ndarray,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
    device: str = "cpu",
) -> semdedup.Exclude | None:
    """The pairs of an extended cluster (a target's members and visitors, rows in the total order)
    that are not compared, as :func:`curation.stages.semdedup.max_similarity`'s ``exclude``:

    * two visitors (whether they are compared is decided in their own clusters: same cluster,
      or one visits the other's);
    * with ``member_margin`` set, a visitor and a member that does not accept the visitor's
      cluster (``source``: each row's own cluster).

    ``visitor``: bool per row; ``near``/``gaps``: each row's nearest other clusters. None when
    nothing is excluded (no visitors: the plain within-cluster step)."""
    import torch

    flags = np.asarray(visitor, bool)
    count = np.concatenate(([0], np.cumsum(flags)))  # visitors among rows [r0, r1): O(1)
    if not count[-1]:
        return None
    vis = torch.from_numpy(flags).to(device)
    if rule.member_margin is None:

        def pairs_of_visitors(r0: int, r1: int, c0: int, c1: int) -> Any:
            if count[r1] == count[r0] or count[c1] == count[c0]:
                return None
            return vis[r0:r1, None] & vis[None, c0:c1]

        return pairs_of_visitors
    sources, which = np.unique(np.asarray(source, np.int64)[flags], return_inverse=True)
    slot = np.zeros(len(flags), np.int64)
    slot[flags] = which  # each visitor's source cluster, as a column of ``refuse``
    refuse = torch.from_numpy(
        ~np.stack([accepts(near, gaps, s, rule) for s in sources], axis=1)
    ).to(device)  # (rows, sources): a member refuses visitors of that cluster
    slot_t = torch.from_numpy(slot).to(device)

    def refused(r0: int, r1: int, c0: int, c1: int) -> Any:
        if count[r1] == count[r0] and count[c1] == count[c0]:
            return None
        vr, vc = vis[r0:r1, None], vis[None, c0:c1]
        off = vr & vc
        off |= vr & ~vc & refuse[c0:c1][:, slot_t[r0:r1]].T  # visitor row, member column
        off |= ~vr & vc & refuse[r0:r1][:, slot_t[c0:c1]]  # member row, visitor column
        return off

    return refused


def extended_max(
    unit: Any,
    visitor: np.ndarray,
    source: np.ndarray,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
    tile_size: int,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """SemDedup of one target cluster extended by its visitors: ``unit`` (n, D) the unit rows of
    its members and visitors, sorted by their places in the total order. Returns per row ``M``
    (float32) and ``argmax`` (the row of the best earlier compared document, -1 = none, then
    ``M = -1``): a member's over the members and visitors before it, a visitor's over the
    members before it. Ties go to the earliest row, i.e. the earliest in the total order.

    One tiled product of the extended cluster with itself (:func:`curation.stages.semdedup.
    max_similarity`) with the pairs of :func:`exclusion` masked: the within-cluster step and the
    cross pairs of this target in the same blocks, the members' rows read once."""
    n = len(visitor)
    if n <= 1:
        return np.full(n, -1.0, np.float32), np.full(n, -1, np.int64)
    exclude = exclusion(visitor, source, near, gaps, rule, device)
    return semdedup.max_similarity(unit, tile_size, device, exclude=exclude)


def cross_products(visitor: np.ndarray, source: np.ndarray, near, gaps, rule: CrossRule) -> int:  # noqa: ANN001
    """Cross pairs one target's block compares: members x visitors, less the refused ones."""
    flags = np.asarray(visitor, bool)
    members = int((~flags).sum())
    if rule.member_margin is None:
        return members * int(flags.sum())
    src = np.asarray(source, np.int64)
    total = 0
    for s in np.unique(src[flags]):
        ok = accepts(np.asarray(near)[~flags], np.asarray(gaps)[~flags], s, rule)
        total += int(ok.sum()) * int((src[flags] == s).sum())
    return total


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


def best_by_position(
    owner: np.ndarray, m: np.ndarray, partner: np.ndarray, pos: np.ndarray
) -> np.ndarray:
    """:func:`best_candidates` with partners as row indices (-1 = none) and ``pos`` every row's
    place in the total order: index of each owner's best candidate, owners ascending."""
    has = partner >= 0
    key_m = np.where(has, np.asarray(m, np.float64), -np.inf)
    order = np.lexsort((np.where(has, pos[np.maximum(partner, 0)], 0), -key_m, ~has, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]] if len(order) else order
    return order[first]


# --- the local engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossStats:
    """What the pass did: visits, target clusters visited, cross products, within products."""

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


@contextmanager
def one_thread() -> Iterator[None]:
    """torch's intra-op threads set to 1 meanwhile. A cluster below
    :data:`~curation.stages.semdedup.SMALL_CLUSTER` members is computed so on CPU, here and in a
    Spark task whatever its cores: a float32 product's rounding can depend on how many threads
    split it, and both engines must give the same bits."""
    import torch

    threads = torch.get_num_threads()
    if threads != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if threads != 1:
            torch.set_num_threads(threads)


def _each_job(jobs: list, small: list[bool], fn: Callable[[Any], Any], device: str) -> list:
    """``fn`` of every job, in the jobs' order. On CPU the small ones (most clusters) run side by
    side on a pool of one thread per core, each with one intra-op thread (as the within-cluster
    step, :func:`curation.stages.semdedup._each_cluster`: no OpenMP fork/join per small product,
    which costs a scheduler time slice each on shared cores), then the large ones one by one
    with every thread. On another device one by one."""
    import torch

    if device != "cpu":
        return [fn(job) for job in jobs]
    out: list = [None] * len(jobs)
    few = [k for k, s in enumerate(small) if s]
    threads = torch.get_num_threads()
    with one_thread():
        if threads <= 1 or len(few) < 2:
            got = map(fn, [jobs[k] for k in few])
        else:
            pool = ThreadPoolExecutor(threads)
            got = pool.map(fn, [jobs[k] for k in few])
        for k, r in zip(few, got, strict=True):
            out[k] = r
        if threads > 1 and len(few) >= 2:
            pool.shutdown()
    for k, s in enumerate(small):
        if not s:
            out[k] = fn(jobs[k])
    return out


def semdedup_with_cross(
    ids: Any,
    clusters: Any,
    distances: Any,
    vectors: Any,
    near: np.ndarray,
    gaps: np.ndarray,
    rule: CrossRule,
    tile_size: int = 0,
    device: str = "cpu",
    progress: Callable[[int], Any] | None = None,
) -> tuple[pa.Table, CrossStats | None]:
    """:func:`curation.stages.semdedup.semdedup_all` with the cross-boundary pass: the same table
    (:data:`~curation.schema.RESULT_SCHEMA`, the same rows in the same order) with M, max_id and
    ``cross`` over every compared pair. With the pass off, exactly ``semdedup_all``'s table.

    One job per cluster (:func:`extended_max`): its members and the documents visiting it, in
    the total order, one tiled product - no second pass over the clusters. Each document then
    takes the best of its candidates (its own cluster's row, and its row in every cluster it
    visited): the larger M, on equal M the partner earlier in the total order.
    ``progress(n)``: the members of each finished cluster."""
    if not rule.on:
        table = semdedup.semdedup_all(
            ids, clusters, distances, vectors, tile_size, device, progress
        )
        return table, None
    id_arr = semdedup._id_array(ids)
    cl = np.asarray(clusters, np.int64)
    dist = np.asarray(distances, np.float32)
    near, gaps = np.asarray(near), np.asarray(gaps)
    n = len(id_arr)
    if not (len(cl) == len(dist) == len(vectors) == len(near) == len(gaps) == n):
        raise ValueError(
            f"lengths differ: {n} ids, {len(cl)} clusters, {len(dist)} distances, "
            f"{len(vectors)} vectors, {len(near)} near"
        )
    noise = cl == S.NOISE
    if noise.any():  # never compared: as semdedup_all, last, by id
        inside = np.flatnonzero(~noise)
        table, stats = semdedup_with_cross(
            id_arr[inside], cl[inside], dist[inside], semdedup._rows(vectors, inside),
            near[inside], gaps[inside], rule, tile_size, device, progress,
        )  # fmt: skip
        return pa.concat_tables([table, semdedup._noise_rows(np.sort(id_arr[noise]))]), stats
    device = resolve_device(device)
    tile_size = semdedup.tile_for(tile_size, device)
    order = np.lexsort((id_arr, -dist.astype(np.float64), cl))  # semdedup_all's order
    pos = np.empty(n, np.int64)
    pos[semdedup.sort_order(id_arr, dist)] = np.arange(n)  # the total order
    sorted_cl = cl[order]
    bounds = np.flatnonzero(np.diff(sorted_cl)) + 1
    starts = np.concatenate(([0], bounds)).astype(np.int64)
    ends = np.concatenate((bounds, [n])).astype(np.int64)
    v_rows, v_slots = np.nonzero(visits(near, gaps, rule))
    targets = near[v_rows, v_slots]
    by = np.lexsort((pos[v_rows], targets))  # per target, in the total order
    v_rows, targets = v_rows[by], targets[by]

    def one(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        s, e = int(starts[k]), int(ends[k])
        t = sorted_cl[s]
        lo, hi = np.searchsorted(targets, t), np.searchsorted(targets, t, side="right")
        rows = np.concatenate([order[s:e], v_rows[lo:hi]])
        flags = np.r_[np.zeros(e - s, bool), np.ones(hi - lo, bool)]
        if hi > lo:  # members and visitors merged in the total order
            merge = np.argsort(pos[rows], kind="stable")
            rows, flags = rows[merge], flags[merge]
        unit = semdedup._normalised_rows(vectors, rows)
        src, nr, gp = cl[rows], near[rows], gaps[rows]
        m, arg = extended_max(unit, flags, src, nr, gp, rule, tile_size, device)
        return rows, flags, m, arg, cross_products(flags, src, nr, gp, rule)

    jobs = list(range(len(starts)))
    small = [int(ends[k] - starts[k]) < semdedup.SMALL_CLUSTER for k in jobs]

    def tracked(k: int) -> tuple:
        got = one(k)
        if progress is not None:
            progress(int(ends[k] - starts[k]))
        return got

    results = _each_job(jobs, small, tracked, device)
    own_m = np.full(n, -1.0, np.float32)
    own_p = np.full(n, NO_PARTNER, np.int64)
    extra_owner, extra_m, extra_p = [], [], []
    products = visited = 0
    for rows, flags, m, arg, count in results:
        partner = np.where(arg >= 0, rows[np.maximum(arg, 0)], NO_PARTNER)
        own_m[rows[~flags]] = m[~flags]
        own_p[rows[~flags]] = partner[~flags]
        got = flags & (arg >= 0)
        extra_owner.append(rows[got])
        extra_m.append(m[got])
        extra_p.append(partner[got])
        products += count
        visited += bool(flags.any())
    owner = np.concatenate([np.arange(n)] + extra_owner)
    cand_m = np.concatenate([own_m] + extra_m)
    cand_p = np.concatenate([own_p] + extra_p)
    best = best_by_position(owner, cand_m, cand_p, pos)
    best_p = cand_p[best]
    best_m = np.where(best_p >= 0, cand_m[best], np.float32(-1.0))
    sizes = np.bincount(cl) if n else np.zeros(0, np.int64)
    within = int((sizes.astype(np.int64) * (sizes - 1) // 2).sum())
    stats = CrossStats(int(len(v_rows)), int(visited), int(products), within)
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    p_sorted = best_p[order]
    has = p_sorted >= 0
    arg_sorted = np.where(has, inv[np.maximum(p_sorted, 0)], NO_PARTNER)
    across = has & (cl[np.maximum(p_sorted, 0)] != sorted_cl)
    rank = np.arange(n, dtype=np.int64) - np.repeat(starts, ends - starts)
    table = semdedup._result(
        id_arr[order], sorted_cl, dist[order], rank, best_m[order], arg_sorted,
        np.zeros(n, np.int64), across,
    )  # fmt: skip
    return table, stats


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
    """One target cluster's job on Spark: ``group`` holds its members (``target == cluster``,
    with their nearest clusters) and its visitors (``target != cluster``), ``vectors`` theirs,
    in any order. The same computation as the local engine's job for that cluster
    (:func:`extended_max`). Returns :data:`~curation.schema.CANDIDATE_SCHEMA` rows: each
    member's home row (its best match among the members and visitors before it) and each
    visitor's best match among the members before it (only visitors that have one)."""
    cl = np.asarray(group.column(S.CLUSTER), np.int64)
    target = np.asarray(group.column(S.TARGET), np.int64)
    ids = semdedup._id_array(group.column(S.ID))
    dist = np.asarray(group.column(S.DISTANCE), np.float32)
    domains = group.column(S.DOMAIN)
    near, gaps = near_from_arrow(group.column(S.NEAR), group.column(S.NEAR_GAPS))
    members = int((cl == target).sum())
    if not members:  # visitors of a cluster without documents (an empty k-means centroid)
        return S.CANDIDATE_SCHEMA.empty_table()
    device = resolve_device(device)
    rows = semdedup.sort_order(ids, dist)  # the total order
    flags = cl[rows] != target[rows]
    unit = semdedup._normalised_rows(vectors, rows)  # row by row: the local engine's bits
    small = device == "cpu" and members < semdedup.SMALL_CLUSTER
    with one_thread() if small else nullcontext():
        m, arg = extended_max(
            unit, flags, cl[rows], near[rows], gaps[rows], rule,
            semdedup.tile_for(tile_size, device), device,
        )  # fmt: skip
    has = arg >= 0
    partner = np.where(has, rows[np.maximum(arg, 0)], 0)
    partner_id = np.where(has, ids[partner], None).astype(object)
    partner_dist = np.where(has, dist[partner], np.nan).astype(np.float32)
    mine = rows[~flags]
    home = pa.table(
        {
            S.ID: pa.array(ids[mine], pa.string()),
            S.CLUSTER: pa.array(cl[mine], pa.int64()),
            S.DISTANCE: pa.array(dist[mine], pa.float32()),
            S.RANK: pa.array(np.arange(members), pa.int64()),
            S.M: pa.array(np.where(has, m, -1.0)[~flags].astype(np.float64), pa.float64()),
            S.MAX_ID: pa.array(partner_id[~flags], pa.string()),
            S.CROSS: pa.array((has & flags[np.maximum(arg, 0)])[~flags]),
            S.DOMAIN: domains.take(pa.array(mine, pa.int64())),
            S.PARTNER_DISTANCE: pa.array(partner_dist[~flags], pa.float32()),
            S.HOME: pa.array(np.ones(members, bool)),
        }
    )
    found = flags & has
    visited = pa.table(
        {
            S.ID: pa.array(ids[rows[found]], pa.string()),
            S.DOMAIN: domains.take(pa.array(rows[found], pa.int64())),
            S.CLUSTER: pa.array(cl[rows[found]], pa.int64()),
            S.DISTANCE: pa.array(dist[rows[found]], pa.float32()),
            S.M: pa.array(m[found].astype(np.float64), pa.float64()),
            S.MAX_ID: pa.array(partner_id[found], pa.string()),
            S.CROSS: pa.array(np.ones(int(found.sum()), bool)),
            S.PARTNER_DISTANCE: pa.array(partner_dist[found], pa.float32()),
            S.HOME: pa.array(np.zeros(int(found.sum()), bool)),
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
