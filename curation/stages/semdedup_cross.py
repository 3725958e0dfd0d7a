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

**How.** One job per cluster, in place of the within-cluster step
(:func:`cluster_with_visitors`): its members and the documents that visit it are normalised
together. On CPU, a cluster of one block (fewer than 512 members; members and visitors within a
tile: :func:`joint`, most clusters) is one float32 product, all its rows times its members',
read by one compiled pass (:func:`joint_block`): the members' rows as the within-cluster step
reads them (the same product), the visitors' rows both ways, then the merge. Otherwise the
members go through the within-cluster step itself
(:func:`curation.stages.semdedup.max_similarity`, the very bits of the pass off) and the visitors
x members block is multiplied once, tiled, and read both ways (:func:`visitor_block`): a
visitor's row keeps the members before it in the total order, a member's column the visitors
before it (with ``member_margin``, the pairs a member refuses are masked). The cluster's rows are
gathered and normalised once for both, and there is no second pass over the clusters. There, on a
CPU with native bf16 (:func:`screening`), the visitors x members block is multiplied in bf16
only to screen: the pairs that could hold a maximum are computed again exactly (float64 from the
float32 rows; :func:`_staircase_screened`), so the result is the exact maximum over the same
pairs. A pair that qualifies both ways is computed in both clusters' jobs (the same value,
screened; up to rounding otherwise; the maximum is kept). Each document's
candidates - its row in its own cluster's job and in every job it visited - are then reduced to
the best one (:func:`best_candidates`): the larger M, on equal M the partner earlier in the
total order. The local engine (:func:`semdedup_with_cross`) and the
Spark engine (:mod:`curation.spark.semdedup`: one target cluster per task,
:func:`target_group`, then the candidates reduced in groups of documents) call the same
functions on the same rows, so they give the same table.

:func:`brute_force_semdedup` is the reference for tests: the whole N x N similarity matrix masked
to compared pairs and the order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import SemDedupConfig
from curation.device import cpu_has_native_bf16, resolve_device
from curation.numba_cache import REASSOCIATE, compiled, kernel_part
from curation.stages import semdedup
from curation.stages.semdedup import (  # kernel parts, which compiled loops call by name
    LANES,
    _clamp,
    _first_index,
    _lower_max,
    _prefix_max,
)

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
    k = min(rule.clusters, near.shape[1])  # only the first slots can be visited
    out = np.zeros(near.shape, bool)
    out[:, :k] = (near[:, :k] >= 0) & _within(np.asarray(gaps)[:, :k], rule.margin)
    return out


def _within(gaps: Any, margin: float) -> np.ndarray:
    """Whether each gap is at most ``margin``, compared in float64 (the same decision as Spark's
    double comparison); a missing gap (NaN) never is."""
    with np.errstate(invalid="ignore"):
        return np.asarray(gaps, np.float64) <= margin


def accepts(near: np.ndarray, gaps: np.ndarray, source: Any, rule: CrossRule) -> np.ndarray:
    """bool[N]: whether each document accepts visitors from cluster ``source`` (one cluster for
    all rows, or one per row)."""
    near = np.asarray(near)
    if rule.member_margin is None:
        return np.ones(len(near), bool)
    src = np.broadcast_to(np.asarray(source, np.int64), (len(near),))
    return ((near == src[:, None]) & _within(gaps, rule.member_margin)).any(axis=1)


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


# --- one cluster's job: its members, and the documents visiting it ----------------------------------


def refusals(
    member_near: Any, member_gaps: Any, visitor_source: np.ndarray, rule: CrossRule
) -> tuple[np.ndarray, np.ndarray] | None:
    """With ``member_margin`` set: ``(refuse, slot)``, ``refuse[s, c]`` whether member ``c`` refuses
    visitors of the ``s``-th distinct source cluster and ``slot[r]`` visitor ``r``'s ``s``.
    None when every member accepts every visitor."""
    if rule.member_margin is None:
        return None
    sources, slot = np.unique(np.asarray(visitor_source, np.int64), return_inverse=True)
    near = np.asarray(member_near)
    close = _within(member_gaps, rule.member_margin)
    # accepts() for every source at once: (sources, members, stored clusters) -> any over the last
    refuse = ~((near[None] == sources[:, None, None]) & close[None]).any(axis=2)
    return refuse.reshape(len(sources), len(near)), slot.reshape(-1).astype(np.int64)


def visitor_block(
    visitors: Any,
    members: Any,
    before: np.ndarray,
    tile_size: int,
    refused: tuple[np.ndarray, np.ndarray] | None = None,
    floor: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of a cluster's visitors x members block, each pair multiplied once:
    ``visitors`` (v, D) and ``members`` (n, D) unit float32 torch tensors on one device, each
    sorted by the total order; ``before[r]`` = how many members come before visitor ``r`` (so
    member ``c`` comes first iff ``c < before[r]``); ``refused``: :func:`refusals`. Returns, as
    numpy:

    * ``row_m[r]`` = max of ``<visitors[r], members[c]>`` over the members before it and
      ``row_arg[r]`` = the first such ``c`` among equal maxima;
    * ``col_m[c]``, ``col_arg[c]`` the same over the visitors before member ``c``;

    -1 and -1 where there is none; M clamped to [-1, 1]. Memory: one ``tile x tile`` block at a
    time. Each block's maxima are read off in one compiled pass on CPU (:func:`_staircase_cpu`),
    by masked tensor reductions on other devices (:func:`_staircase_torch`); a maximum is exact,
    so both give the same result. Where :func:`screening` names a dtype (a CPU with native bf16,
    no refusals), the block is multiplied in it and read by :func:`_staircase_screened`: M is
    then each maximum's float64 product rounded to float32 (the float32 product's value within
    ~1e-6 otherwise), and the partners the same unless two products differ by less than that.
    ``floor`` (screened only): per member, a value below which its column's maximum is not
    needed (its best match within the cluster: a visitor below it never wins); a column whose
    visitors all stay below it may then hold any of them, or none."""
    import torch

    dev = members.device
    nv, nc = visitors.shape[0], members.shape[0]
    row_m = np.full(nv, -np.inf, np.float32)
    row_a = np.full(nv, -1, np.int64)
    col_m = np.full(nc, -np.inf, np.float32)
    col_a = np.full(nc, -1, np.int64)
    before = np.ascontiguousarray(before, np.int64)
    t = semdedup.tile_for(tile_size, str(dev))
    fold = _staircase_cpu if dev.type == "cpu" else _staircase_torch
    screen = screening(dev, nv * nc) if refused is None else None
    with torch.inference_mode():
        if screen is not None:
            exact = (visitors.numpy(), members.numpy())
            visitors, members = _padded(visitors, screen), _padded(members, screen)
            col_top = np.full(nc, -np.inf, np.float32)
            delta = np.float32(screen_delta(members.shape[1], screen))
            low = np.full(nc, -np.inf, np.float32) if floor is None else floor
            low = np.ascontiguousarray(low, np.float32)
        for a in range(0, nv, t):
            b = min(a + t, nv)
            for c in range(0, nc, t):
                d = min(c + t, nc)
                if screen is None:
                    block = visitors[a:b] @ members[c:d].T
                    fold(block, before, a, c, (row_m, row_a, col_m, col_a), refused)
                    continue
                rows, cols = _quanta(b - a, SCREEN_ROWS), _quanta(d - c, SCREEN_COLUMNS)
                block = visitors[a : a + rows] @ members[c : c + cols].T
                compiled(_staircase_screened, REASSOCIATE)(
                    _bf16_bits(block), b - a, d - c, *exact, before, a, c, row_m, row_a,
                    col_m, col_a, col_top, low, delta,
                )  # fmt: skip
    compiled(_finish)(row_m, col_m)
    return row_m, row_a, col_m, col_a


def _bf16_bits(block: Any) -> np.ndarray:
    """A bf16 CPU tensor's bits as a uint16 numpy array (no copy): its top 16 bits of a float32."""
    import torch

    return block.view(torch.int16).numpy().view(np.uint16)


@kernel_part
def _finish(row_m, col_m) -> None:  # noqa: ANN001
    """:func:`visitor_block`'s maxima clamped to [-1, 1] in place (-inf, none, becomes -1; its
    partner is still the initial -1: a partner is only set with a larger M), in one compiled
    pass (numpy's steps cost more than the work on a cluster)."""
    for m in (row_m, col_m):
        for i in range(m.shape[0]):
            m[i] = _clamp(m[i])


def screening(device: Any, products: int) -> Any:
    """The dtype a CPU block of ``products`` (visitors x members) is screened in
    (:func:`_staircase_screened`): bf16 where the CPU has native bf16 (a product ~3x as fast as
    float32 at a cluster's sizes) and the block has at least :data:`SCREEN_MIN_PRODUCTS`; else
    None (the block in float32, read directly). On other devices None."""
    import torch

    if products < SCREEN_MIN_PRODUCTS or torch.device(device).type != "cpu":
        return None
    return torch.bfloat16 if cpu_has_native_bf16() else None


SCREEN_MIN_PRODUCTS = 16384
"""A smaller block is read in float32: the casts, the padding and the exact products of the
candidates cost more than bf16 saves (measured on 2 cores, one thread: even at ~7,000 products,
e.g. 32 visitors x 233 members 112 vs 124 us, 64 x 100 112 vs 108 us; 48 x 600 208 vs 361 us)."""
SCREEN_ROWS = 32
SCREEN_COLUMNS = 64
"""A screened block's rows (visitors) and columns (members) are padded to multiples of these:
the bf16 product's kernel is built for each new shape (~0.3 ms, more than a small cluster's
product) and every cluster has its own; padded, the shapes repeat and the built ones are reused
(the padding's products are never read)."""


def _quanta(rows: int, quantum: int) -> int:
    return -(-rows // quantum) * quantum


def _padded(rows: Any, dtype: Any) -> Any:
    """``rows`` in ``dtype`` followed by :data:`SCREEN_COLUMNS` zero rows (every tile of them
    can be read padded to whole quanta)."""
    import torch

    out = torch.empty(rows.shape[0] + SCREEN_COLUMNS, rows.shape[1], dtype=dtype)
    out[: rows.shape[0]] = rows
    out[rows.shape[0] :] = 0
    return out


def screen_delta(dim: int, dtype: Any) -> float:
    """A bound on |a screened product - its float64 value| for unit rows of ``dim`` floats:
    each factor rounded to bf16 (relative 2^-8: 2^-7 + 2^-16 on a product, times sum |u_i v_i|
    <= 1), float32 accumulation (``dim`` * 2^-24, doubled), the result rounded to bf16 (2^-8
    below 2), and 2^-20 for the float32 comparisons with it."""
    import torch

    if dtype != torch.bfloat16:
        raise ValueError(f"no screening bound for {dtype}")
    return 2.0**-7 + 2.0**-16 + 2.0**-8 + dim * 2.0**-23 + 2.0**-20


def _staircase_cpu(block: Any, before: np.ndarray, a: int, c: int, out: tuple,
                   refused: tuple[np.ndarray, np.ndarray] | None) -> None:  # fmt: skip
    """The compiled staircase over one CPU block (rows ``a + i``, columns ``c + j``):
    :func:`_staircase_open` when every member accepts every visitor, else
    :func:`_staircase_loop`."""
    if refused is None:
        compiled(_staircase_open)(block.numpy(), before, a, c, *out)
    else:
        compiled(_staircase_loop)(block.numpy(), before, a, c, *out, *refused)


@kernel_part
def _exact_dot(u, v):  # noqa: ANN001, ANN202
    """A pair's exact value: the float64 dot product of two float32 rows, rounded to float32
    (summed in the order the compiled code fixes)."""
    acc = 0.0
    for k in range(u.shape[0]):
        acc += np.float64(u[k]) * np.float64(v[k])
    return np.float32(acc)


@kernel_part
def _staircase_open(block, before, a, c, row_m, row_a, col_m, col_a) -> None:  # noqa: ANN001
    """:func:`_staircase_loop` without refusals, about twice as fast and with the same result:
    a row's maximum is taken over :data:`LANES` running maxima (a maximum is exact, whatever
    the order) and then its first occurrence is looked up, and its value stored from the block
    (so +0.0 and -0.0 come out as the sequential loop would have kept them); the columns are
    updated with unconditional stores, over unsigned indices (no negative-index check), which
    the compiler vectorises. NaN products are passed over, as there."""
    h, w = block.shape
    width = np.uint64(w)
    lanes = np.empty(LANES, np.float32)
    col_mv = col_m[c : c + w]
    col_av = col_a[c : c + w]
    for i in range(h):
        r = a + i
        lim = np.uint64(min(max(before[r] - c, 0), w))
        row = block[i]
        if lim > 0:
            top = _prefix_max(row, lim, lanes)
            if top > row_m[r]:  # then top is a value of the row: found
                jj = _first_index(row, lim, top)
                row_m[r] = row[jj]
                row_a[r] = c + jj
        for jj in range(lim, width):
            x = row[jj]
            old_m = col_mv[jj]
            old_a = col_av[jj]
            greater = x > old_m
            col_mv[jj] = x if greater else old_m
            col_av[jj] = r if greater else old_a


def _staircase_screened(bits, h, w, vis, mem, before, a, c, row_m, row_a, col_m, col_a,
                        col_top, col_floor, delta) -> None:  # noqa: ANN001  # fmt: skip
    """:func:`_staircase_open` over a screened block (bf16 products: ``bits``, each row widened to
    float32 as it is read, exactly; its first ``h`` rows and ``w`` columns, the rest padding),
    read for candidates only. A screened product lies within ``delta`` (:func:`screen_delta`) of
    the pair's exact value, here the float64 dot product of the float32 rows ``vis[r]`` and
    ``mem[m]`` rounded to float32, and only exact values enter ``row_m``/``col_m``. A pair's exact value is computed when its screened one is
    (1) at least the screened maximum less ``2 * delta`` (a row: over this block's part of the
    row; a column: ``col_top``, the running maximum over the visitors of this block and the
    blocks above it) and (2) above the exact maximum so far less ``delta`` (a column: and at
    least ``col_floor`` less ``delta``; a column none of whose pairs reaches its floor may end
    with any of them, or none). The pair of the exact maximum passes these, and so does the
    first of equal exact maxima, visited in order (rows by member, columns by visitor): the
    result is the exact maximum over the same pairs and its first occurrence, as if every
    product had been exact. Compiled with reassociation (the dot product vectorised); its
    order is fixed by the compiled code."""
    width = np.uint64(w)
    two = np.float32(2.0) * delta
    lanes = np.empty(LANES, np.float32)
    wide = np.empty(w, np.uint32)
    row = wide.view(np.float32)
    top_v = col_top[c : c + w]
    for i in range(h):
        r = a + i
        lim = np.uint64(min(max(before[r] - c, 0), w))
        _widen(bits[i], wide)
        if lim > 0:
            top = _prefix_max(row, lim, lanes)
            if top + delta > row_m[r]:
                floor = top - two
                u = vis[r]
                for jj in range(lim):
                    x = row[jj]
                    if x >= floor and x + delta > row_m[r]:
                        e = _exact_dot(u, mem[c + jj])
                        if e > row_m[r]:
                            row_m[r] = e
                            row_a[r] = c + np.int64(jj)
        for jj in range(lim, width):
            x = row[jj]
            old = top_v[jj]
            top_v[jj] = x if x > old else old
    floor_v = np.maximum(top_v - two, col_floor[c : c + w] - delta)
    for i in range(h):
        r = a + i
        lim = min(max(before[r] - c, 0), w)
        if lim == w:  # every member of this block comes before the visitor: no column part
            continue
        _widen(bits[i], wide)
        u = vis[r]
        for j in range(lim, w):
            x = row[j]
            if x >= floor_v[j] and x + delta > col_m[c + j]:
                e = _exact_dot(u, mem[c + j])
                if e > col_m[c + j]:
                    col_m[c + j] = e
                    col_a[c + j] = r


@kernel_part
def _widen(bits, out):  # noqa: ANN001, ANN202
    """``out[j]``: the float32 bits of bf16 ``bits[j]`` (the same value), for ``out``'s length."""
    for j in range(out.shape[0]):
        out[j] = np.uint32(bits[j]) << np.uint32(16)


@kernel_part
def _staircase_loop(block, before, a, c, row_m, row_a, col_m, col_a, refuse, slot) -> None:  # noqa: ANN001
    """Fold one block of the visitors x members product into the running maxima, reading each
    product once (compiled by numba): row ``i`` is visitor ``a + i``, column ``j`` member
    ``c + j``; the members before the visitor (``c + j < before[a + i]``) go to the visitor's
    row maximum, the others (the visitor comes first) to the member's column maximum; pairs
    with ``refuse[slot[visitor], member]`` are skipped. Strictly greater
    wins and rows and columns are visited in order, blocks left to right and top to bottom, so
    among equal maxima the first member (row) or visitor (column) is kept, as ``torch.max``."""
    h, w = block.shape
    for i in range(h):
        r = a + i
        lim = min(max(before[r] - c, 0), w)
        s = slot[r]
        best = row_m[r]
        arg = row_a[r]
        for j in range(lim):
            x = block[i, j]
            if x > best and not refuse[s, c + j]:
                best = x
                arg = c + j
        row_m[r] = best
        row_a[r] = arg
        for j in range(lim, w):
            x = block[i, j]
            if x > col_m[c + j] and not refuse[s, c + j]:
                col_m[c + j] = x
                col_a[c + j] = r


def _staircase_torch(block: Any, before: np.ndarray, a: int, c: int, out: tuple,
                     refused: tuple[np.ndarray, np.ndarray] | None) -> None:  # fmt: skip
    """:func:`_staircase_loop` by masked tensor reductions on the block's device."""
    import torch

    dev = block.device
    h, w = block.shape
    row_m, row_a, col_m, col_a = out
    neg_inf = float("-inf")
    if refused is not None:
        refuse = torch.from_numpy(refused[0][refused[1][a : a + h]][:, c : c + w]).to(dev)
        block.masked_fill_(refuse, neg_inf)
    first = torch.from_numpy(before[a : a + h]).to(dev)
    earlier = torch.arange(c, c + w, device=dev) < first[:, None]  # the member comes first
    # rows: the members before each visitor; columns: the visitors before each member
    v, ix = torch.where(earlier, block, neg_inf).max(dim=1)
    _fold(row_m[a : a + h], row_a[a : a + h], v, ix, c)
    v, ix = block.masked_fill_(earlier, neg_inf).max(dim=0)
    _fold(col_m[c : c + w], col_a[c : c + w], v, ix, a)


def _fold(best: np.ndarray, arg: np.ndarray, v: Any, ix: Any, offset: int) -> None:
    """Merge one block's maxima ``v`` at ``ix`` (torch) into ``best``/``arg`` (numpy views):
    strictly greater wins, so the earlier block keeps equal maxima."""
    v, ix = v.cpu().numpy(), ix.cpu().numpy()
    better = v > best
    best[better] = v[better]
    arg[better] = ix[better] + offset


def cluster_with_visitors(
    unit: Any,
    members: int,
    member_pos: np.ndarray,
    visitor_pos: np.ndarray,
    visitor_source: np.ndarray,
    member_near: np.ndarray | None,
    member_gaps: np.ndarray | None,
    rule: CrossRule,
    tile_size: int,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One cluster's job: ``unit`` (n + v, D) float32 CPU tensor, the unit rows of its ``members``
    (the first n, sorted by the total order: ``member_pos``) then of its visitors (sorted:
    ``visitor_pos``, their own clusters ``visitor_source``). Returns ``(member_m, member_arg,
    visitor_m, visitor_arg)``, args as rows of ``unit`` (-1 = none, then M = -1):

    * each member's best match among the members and the accepted visitors before it: the
      within-cluster step itself (:func:`curation.stages.semdedup._cluster_core`, the very bits
      of the pass off) merged with the visitors (larger M; on equal M the earlier partner);
    * each visitor's best match among the members before it that accept its cluster.

    ``member_near``/``member_gaps``: the members' nearest other clusters (read only with
    ``member_margin`` set). A :func:`joint` job is one product read once (:func:`joint_block`);
    otherwise the visitors x members block is multiplied once for both directions
    (:func:`visitor_block`). Either on one intra-op thread on CPU (both engines the same bits)."""
    refused = None
    if len(visitor_source) and members:
        refused = refusals(member_near, member_gaps, visitor_source, rule)
    return job_with_visitors(unit, members, member_pos, visitor_pos, refused, tile_size, device)


def job_with_visitors(
    unit: Any,
    members: int,
    member_pos: np.ndarray,
    visitor_pos: np.ndarray,
    refused: tuple[np.ndarray, np.ndarray] | None,
    tile_size: int,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cluster_with_visitors` with the members' :func:`refusals` of the visitors given
    (``refused``), for a caller that also counts the pairs with them (:func:`cross_products`)."""
    dev = resolve_device(device)
    n = members
    v = unit.shape[0] - n
    if not v or not n:
        m, arg = semdedup._cluster_core(unit[:n], tile_size, dev)
        return m, arg, np.full(v, -1.0, np.float32), np.full(v, -1, np.int64)
    member_pos = np.asarray(member_pos, np.int64)
    visitor_pos = np.asarray(visitor_pos, np.int64)
    before = np.searchsorted(member_pos, visitor_pos)
    if joint(n, v, tile_size, dev):
        return joint_block(unit, n, before, member_pos, visitor_pos, refused)
    m, arg = semdedup._cluster_core(unit[:n], tile_size, dev)
    with semdedup.one_thread() if dev == "cpu" else nullcontext():
        vm, va, cm, ca = visitor_block(unit[n:].to(dev), unit[:n].to(dev), before, tile_size,
                                       refused, m)  # fmt: skip
    compiled(_merge_loop)(m, arg, cm, ca, member_pos, visitor_pos, n)
    return m, arg, vm, va


def joint(members: int, visitors: int, tile_size: int, device: str) -> bool:
    """Whether a job of ``members`` and ``visitors`` is one joint block (:func:`joint_block`): on
    CPU, when its members are :func:`~curation.stages.semdedup.one_block` (the within-cluster
    step computes them as one ``n x n`` product, so the joint block holds the same product),
    members and visitors fit one tile, and either the visitors are at most
    :data:`JOINT_VISITORS` times the members or the block would not be screened anyway
    (:func:`screening`)."""
    tile = semdedup.tile_for(tile_size, device)
    return (
        device == "cpu"
        and members > 0
        and members + visitors <= tile
        and semdedup.one_block(members, tile)
        and (visitors <= JOINT_VISITORS * members or screening(device, visitors * members) is None)
    )


JOINT_VISITORS = 2
"""A job with more visitors than this many times its members, on a CPU that screens in bf16,
goes through :func:`visitor_block`: there its visitors' products outweigh the steps the joint
block saves, and bf16 makes them cheaper (measured on an Intel Xeon with AMX, one thread: 8
nearest clusters at any margin, ~7 visitors per member, 58 against 69 ms at 3,500 documents;
up to twice the members the joint block was as fast or faster; bench/README.md, "One product
per job")."""


def joint_block(
    unit: Any,
    n: int,
    before: np.ndarray,
    member_pos: np.ndarray,
    visitor_pos: np.ndarray,
    refused: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cluster_with_visitors` of a :func:`joint` job: one float32 product of all its unit
    rows (``n`` members, then the visitors) by its members' - ``(n + v) x n``, on one intra-op
    thread - read by one compiled pass (:func:`_joint_read`): the members' rows below the
    diagonal as the within-cluster step reads them (:func:`~curation.stages.semdedup._lower_max`),
    the visitors' rows both ways as :func:`visitor_block` does, then the merge. On a cluster of a
    few hundred documents this costs less than the within-cluster product, a second (bf16)
    product of the visitors, their casts and the steps between them (bench/README.md, "One
    product per job"); a pair's M is its float32 product.

    The members' rows are the within-cluster step's product: the same M, up to the rounding of
    a row of a float32 product, which the BLAS may make depend on the other rows (it did not on
    the CPU measured, an Intel Xeon: every within-cluster M of 31,500 documents equal bit for
    bit). The Spark engine runs the same job on the same rows, so both engines give the same
    bits."""
    import torch

    with semdedup.one_thread():
        block = torch.mm(unit, unit[:n].T)
    refuse, slot = _ACCEPT_ALL if refused is None else refused
    return compiled(_joint_read)(block.numpy(), n, before, member_pos, visitor_pos, refuse, slot)


_ACCEPT_ALL = (np.zeros((0, 0), bool), np.zeros(0, np.int64))
"""``(refuse, slot)`` of a job whose members accept every visitor (read only for its shape)."""


def _joint_read(block, n, before, member_pos, visitor_pos, refuse, slot):  # noqa: ANN001, ANN202
    """:func:`joint_block`'s reading, compiled: ``block`` (n + v) x n; returns the members' M and
    argmax (visitors as rows ``n + r``) and the visitors'; ``refuse`` empty when every member
    accepts every visitor (:func:`_staircase_open`), else by visitor ``slot``
    (:func:`_staircase_loop`)."""
    v = block.shape[0] - n
    m = np.empty(n, np.float32)
    arg = np.empty(n, np.int64)
    _lower_max(block[:n], m, arg)
    vm = np.full(v, -np.inf, np.float32)
    va = np.full(v, -1, np.int64)
    col_m = np.full(n, -np.inf, np.float32)
    col_a = np.full(n, -1, np.int64)
    if refuse.shape[0] == 0:
        _staircase_open(block[n:], before, 0, 0, vm, va, col_m, col_a)
    else:
        _staircase_loop(block[n:], before, 0, 0, vm, va, col_m, col_a, refuse, slot)
    _finish(vm, col_m)
    _merge_loop(m, arg, col_m, col_a, member_pos, visitor_pos, n)
    return m, arg, vm, va


@kernel_part
def _merge_loop(m, arg, col_m, col_a, member_pos, visitor_pos, n) -> None:  # noqa: ANN001
    """Merge each member's best visitor (``col_m``, ``col_a``: -1 = none) into its best within
    the cluster (``m``, ``arg``: -1 = none), in place: the larger M, on equal M the partner
    earlier in the total order (positions ``visitor_pos``, ``member_pos``); a visitor's row in
    ``arg`` is ``n`` + its index. Compiled by numba: one pass instead of eight array ones."""
    for c in range(len(m)):
        j = col_a[c]
        if j < 0:
            continue
        x = col_m[c]
        w = arg[c]
        if w < 0 or x > m[c] or (x == m[c] and visitor_pos[j] < member_pos[w]):
            m[c] = x
            arg[c] = n + j


def _take_job(both, n, mm, ma, vm, va, own_m, own_p):  # noqa: ANN001, ANN202
    """One job's results into place (compiled; one pass where numpy took ten): each member's
    (``both[:n]``) M and partner (a row of ``both``, or :data:`NO_PARTNER`) into ``own_m``,
    ``own_p``; returns its visitors' (``both[n:]``) candidates - owner rows, M, partner rows -
    for the visitors with a partner."""
    for i in range(n):
        own_m[both[i]] = mm[i]
        own_p[both[i]] = both[ma[i]] if ma[i] >= 0 else NO_PARTNER
    found = 0
    for r in range(va.shape[0]):
        found += va[r] >= 0
    owners = np.empty(found, np.int64)
    m = np.empty(found, np.float32)
    partners = np.empty(found, np.int64)
    k = 0
    for r in range(va.shape[0]):
        if va[r] >= 0:
            owners[k] = both[n + r]
            m[k] = vm[r]
            partners[k] = both[va[r]]
            k += 1
    return owners, m, partners


def cross_products(members: int, visitor_source: np.ndarray, refused) -> int:  # noqa: ANN001
    """Cross pairs one cluster's job compares: members x visitors, less the refused ones."""
    if refused is None:
        return members * len(visitor_source)
    refuse, slot = refused
    accepting = refuse.shape[1] - refuse.sum(axis=1)  # members accepting each source
    return int(accepting[slot].sum())


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
    m: np.ndarray,
    partner: np.ndarray,
    owner: np.ndarray,
    more_m: np.ndarray,
    more_partner: np.ndarray,
    pos: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`best_candidates` with partners as row indices and ``pos`` every row's place in the
    total order: row ``i``'s candidate ``(m[i], partner[i])`` (partner -1: none) against the
    further candidates ``(more_m, more_partner)`` of rows ``owner`` (each with a partner).
    Returns each row's best ``(M, partner)``: the largest M, on equal M the partner earlier in
    the total order; ``(-1, -1)`` without any."""
    m = np.asarray(m, np.float32).copy()
    partner = np.asarray(partner, np.int64).copy()
    if len(owner):
        compiled(_best_loop)(
            m, partner, np.asarray(owner, np.int64), np.asarray(more_m, np.float32),
            np.asarray(more_partner, np.int64), np.asarray(pos, np.int64),
        )  # fmt: skip
    m[partner < 0] = -1.0
    return m, partner


def _best_loop(m, partner, owner, more_m, more_partner, pos) -> None:  # noqa: ANN001
    """:func:`best_by_position`'s choice, one candidate at a time (compiled; the result does not
    depend on the candidates' order: the larger M, on equal M the earlier partner, and a NaN
    M loses to any other)."""
    for k in range(len(owner)):
        o = owner[k]
        x = more_m[k]
        p = more_partner[k]
        cur = partner[o]
        old = m[o]
        if cur < 0 or old != old or x > old or (x == old and pos[p] < pos[cur]):
            m[o] = x
            partner[o] = p


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


_CANDIDATE_TYPES = tuple(enumerate((np.int64, np.float32, np.int64)))
"""The visitors' candidates a job returns: owner rows, M, partner rows."""


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate([np.zeros(0, dtype), *parts])


def _stable_group(clusters: np.ndarray) -> np.ndarray:
    """``np.argsort(clusters, kind="stable")`` for cluster ids >= 0: as 16-bit integers where
    they fit, which numpy sorts by radix (~6x faster than a merge sort at 28,000 ids)."""
    if len(clusters) and clusters.max() < 2**15:
        clusters = clusters.astype(np.int16)
    return np.argsort(clusters, kind="stable")


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

    One job per cluster (:func:`job_with_visitors`): its members and the documents visiting
    it, normalised together, the within-cluster product and the visitors x members one - no
    second pass over the clusters. Each document then takes the best of its candidates (its own
    cluster's job, and every job it visited): the larger M, on equal M the partner earlier in
    the total order.
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
    if not n:
        return semdedup.semdedup_all(id_arr, cl, dist, vectors), CrossStats(0, 0, 0, 0)
    device = resolve_device(device)
    tile_size = semdedup.tile_for(tile_size, device)
    total = semdedup.sort_order(id_arr, dist)  # the total order
    # semdedup_all's order (cluster, then the total order) by a stable integer sort of it: one
    # sort of the string ids instead of two
    order = total[_stable_group(cl[total])]
    pos = np.empty(n, np.int64)
    pos[total] = np.arange(n)
    sorted_cl = cl[order]
    bounds = np.flatnonzero(np.diff(sorted_cl)) + 1
    starts = np.concatenate(([0], bounds)).astype(np.int64)
    ends = np.concatenate((bounds, [n])).astype(np.int64)
    v_rows, v_slots = np.nonzero(visits(near, gaps, rule))
    # the rows' norms: with fewer visits than documents each job takes those of the rows it
    # gathers (in cache then); with more, once per document, not once per visit (same bits)
    norms = None
    if len(v_rows) >= n:
        with semdedup.one_thread():  # no OpenMP team left spinning beside the jobs' threads
            norms = semdedup.row_norms(vectors)
    targets = near[v_rows, v_slots]
    by = np.argsort(targets * n + pos[v_rows])  # per target, in the total order
    v_rows, targets = v_rows[by], targets[by]
    by_member = rule.member_margin is not None  # members' nearest clusters needed
    # each cluster's visitors as one slice of the visits, their positions and clusters alike
    v_lo = np.searchsorted(targets, sorted_cl[starts])
    v_hi = np.searchsorted(targets, sorted_cl[starts], side="right")
    v_pos, v_src, m_pos = pos[v_rows], cl[v_rows], pos[order]

    def one(k: int) -> tuple:
        s, e, lo, hi = int(starts[k]), int(ends[k]), int(v_lo[k]), int(v_hi[k])
        both = np.concatenate([order[s:e], v_rows[lo:hi]])  # each part in the total order
        unit = semdedup._normalised_rows(vectors, both, norms)
        src = v_src[lo:hi]
        refused = None
        if by_member and hi > lo:
            mem = both[: e - s]
            refused = refusals(near[mem], gaps[mem], src, rule)
        got = job_with_visitors(unit, e - s, m_pos[s:e], v_pos[lo:hi], refused, tile_size, device)
        return both, got, cross_products(e - s, src, refused)

    jobs = list(range(len(starts)))
    small = [int(ends[k] - starts[k]) < semdedup.SMALL_CLUSTER for k in jobs]
    sizes = (ends - starts).astype(np.int64)
    guests = np.bincount(targets, minlength=int(sorted_cl[-1]) + 1)[sorted_cl[starts]]
    work = (sizes * (sizes + guests)).tolist()  # the job's products, about

    own_m = np.full(n, -1.0, np.float32)
    own_p = np.full(n, NO_PARTNER, np.int64)

    def tracked(k: int) -> tuple:
        """One job, its members' rows written in place (each cluster its own rows: no two
        threads write the same element); returns its visitors' candidates."""
        both, (mm, ma, vm, va), count = one(k)
        members = int(ends[k] - starts[k])
        owners, found_m, partners = compiled(_take_job)(both, members, mm, ma, vm, va, own_m, own_p)
        if progress is not None:
            progress(members)
        return owners, found_m, partners, count, len(both) > members

    done: list = [None] * len(jobs)  # in the jobs' order
    for k, got in semdedup.each_job(jobs, small, work, tracked, device):
        done[k] = got
    best_m, best_p = best_by_position(
        own_m, own_p, *(_joined([d[i] for d in done], t) for i, t in _CANDIDATE_TYPES), pos
    )
    products = sum(d[3] for d in done)
    visited = sum(d[4] for d in done)
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
    (:func:`cluster_with_visitors`). Returns :data:`~curation.schema.CANDIDATE_SCHEMA` rows: each
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
    pos = positions(ids, dist)  # the total order among the group's rows
    rows = np.argsort(pos)
    mem, vis = rows[cl[rows] == target[rows]], rows[cl[rows] != target[rows]]
    both = np.concatenate([mem, vis])
    unit = semdedup._normalised_rows(vectors, both)  # row by row: the local engine's bits
    small = device == "cpu" and members < semdedup.SMALL_CLUSTER
    with semdedup.one_thread() if small else nullcontext():
        mm, ma, vm, va = cluster_with_visitors(
            unit, members, pos[mem], pos[vis], cl[vis], near[mem], gaps[mem], rule,
            semdedup.tile_for(tile_size, device), device,
        )  # fmt: skip
    has = ma >= 0
    partner = both[np.maximum(ma, 0)]
    home = pa.table(
        {
            S.ID: pa.array(ids[mem], pa.string()),
            S.CLUSTER: pa.array(cl[mem], pa.int64()),
            S.DISTANCE: pa.array(dist[mem], pa.float32()),
            S.RANK: pa.array(np.arange(members), pa.int64()),
            S.M: pa.array(mm.astype(np.float64), pa.float64()),
            S.MAX_ID: pa.array(np.where(has, ids[partner], None).astype(object), pa.string()),
            S.CROSS: pa.array(has & (ma >= members)),
            S.DOMAIN: domains.take(pa.array(mem, pa.int64())),
            S.PARTNER_DISTANCE: pa.array(np.where(has, dist[partner], np.nan), pa.float32()),
            S.HOME: pa.array(np.ones(members, bool)),
        }
    )
    found = va >= 0
    rows, partner = vis[found], mem[va[found]]
    visited = pa.table(
        {
            S.ID: pa.array(ids[rows], pa.string()),
            S.DOMAIN: domains.take(pa.array(rows, pa.int64())),
            S.CLUSTER: pa.array(cl[rows], pa.int64()),
            S.DISTANCE: pa.array(dist[rows], pa.float32()),
            S.M: pa.array(vm[found].astype(np.float64), pa.float64()),
            S.MAX_ID: pa.array(ids[partner], pa.string()),
            S.CROSS: pa.array(np.ones(len(rows), bool)),
            S.PARTNER_DISTANCE: pa.array(dist[partner], pa.float32()),
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
