"""The SemDedup core: within one cluster, each document's largest similarity to an earlier one.

One implementation for every clustering (k-means for Dataset-2, HDBSCAN for Dataset-3) and every
engine (the local loop :func:`semdedup_all`, Spark's ``applyInPandas`` via
:func:`semdedup_cluster`).

The rule (SemDedup, Abbas et al. 2023, as the pipeline spec states it): sort a cluster's documents
by cosine distance to the centroid, farthest first (ties by id); for document ``j`` let
``M[j] = max_{i<j} cos(x_i, x_j)`` and ``max_id[j]`` that ``i``'s id; remove ``j`` when
``M[j] > 1 - eps``. In every group of near-duplicates the first in this order - the one farthest
from the centroid - has no earlier duplicate and is kept. M depends only on the data, so one pass
gives the whole removal-vs-eps curve (:func:`removal_curve`) and eps can be calibrated to a target
removal fraction afterwards (:func:`calibrate_eps`) without recomputing anything.

:func:`max_similarity` computes M exactly, tile by tile: row block ``J`` (``tile_size`` rows) is
multiplied with the column blocks to its left and its own diagonal block (the only ones holding
pairs ``i < j``); per row a running maximum and its column are kept. Beyond the input it holds one
``tile x tile`` block plus a few vectors of length N, whatever the cluster size; no cluster is cut
into chunks compared only among themselves. On CPU a cluster of fewer than ``2 *
MIN_STRIP_ROWS`` documents (one block: :func:`one_block`) is that same single product, read by
one compiled pass (:func:`one_block_max`): the same M and argmax bit for bit, without the masked
fill, the reduction and their allocations, which cost more than the reading at such sizes.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

from curation import schema as S
from curation.device import resolve_device
from curation.numba_cache import REASSOCIATE, compiled, kernel_part

log = logging.getLogger(__name__)

CORE_VERSION = 3
"""Bump when the computed M / max_id of the same input would change, or the table's columns (a
cache key of the run). 2: the ``cross`` column and the cross-boundary pass. 3: a cross-boundary
pair's M is the float32 product of the cluster's joint block on CPU (was its float64 value where
the CPU screened in bf16)."""

RESULT_SCHEMA = S.RESULT_SCHEMA
SIMILARITY_SCHEMA = S.SIMILARITY_SCHEMA

CPU_TILE = 2048
"""Default tile on CPU: 2048 x 2048 float32 blocks (16 MB); 1024-4096 all reached 0.77-0.93 of
half a plain GEMM here (bench/README.md, ``make bench-semdedup``)."""
CUDA_TILE = 8192
"""Default tile on CUDA: 8192 x 8192 float32 blocks (256 MB), so that a 20k cluster is a few
large GEMMs instead of dozens of small launches. A documented default, not yet measured on a GPU:
``make gpu-check`` times 2048/4096/8192/16384 on a 20k x 1024 cluster and reports the fastest
(``similarity.tile_sweep`` in its JSON); set ``semdedup.tile_size`` to override."""


def tile_for(tile_size: int, device: str) -> int:
    """``tile_size``, or when it is 0 (the config's default) the device's default tile:
    :data:`CUDA_TILE` on a CUDA device, :data:`CPU_TILE` on CPU."""
    if tile_size < 0:
        raise ValueError(f"tile_size must be >= 0, got {tile_size}")
    if tile_size:
        return tile_size
    return CUDA_TILE if device.startswith("cuda") else CPU_TILE


DIAGONAL_SPLIT = 8
"""At most this many row strips per diagonal block (see :func:`diagonal_strips`)."""
DIAGONAL_WASTE = 16
"""The strips are chosen so that the products with ``i >= j`` multiplied in the diagonal blocks
stay below about ``1 / DIAGONAL_WASTE`` of the useful ones (when the caps allow)."""
MIN_STRIP_ROWS = 256
"""No strip has fewer rows: below that a matmul's fixed cost outweighs the products it saves
(a cluster of 200 documents is one 200 x 200 block, not eight strips)."""


def diagonal_strips(n: int, tile: int) -> int:
    """Row strips of each diagonal block: the diagonal ``t x t`` block (``t = min(tile, n)``) is
    computed as a staircase of strips ``[p, q) x [a, q)``, wasting about ``n * t / (2 * strips)``
    products on pairs ``i >= j`` (``n^2 / 2`` are useful). More strips waste less but mean more,
    smaller matmuls: as many as keep the waste under ``1 / DIAGONAL_WASTE``, at most
    ``DIAGONAL_SPLIT`` and none under ``MIN_STRIP_ROWS`` rows (a cluster of one 2048 tile:
    8 strips, 12.5% waste; of 16 tiles or more: 1 strip, <= 6%)."""
    t = min(tile, n)
    want = math.ceil(DIAGONAL_WASTE * t / n) if n else 1
    return max(1, min(DIAGONAL_SPLIT, want, t // MIN_STRIP_ROWS))


# --- the core --------------------------------------------------------------------------------------


def _as_tensor(vectors: Any, device: str, dtype):  # noqa: ANN202 - torch is imported lazily
    """``vectors`` as a 2-D torch tensor on ``device`` in ``dtype`` (no copy when it already is)."""
    import torch

    if not isinstance(vectors, torch.Tensor):
        array = np.asarray(vectors)
        if array.dtype not in (np.float16, np.float32, np.float64):
            raise TypeError(f"vectors must be floating point, got {array.dtype}")
        with warnings.catch_warnings():
            # read-only buffers (pyarrow, np.frombuffer): torch only reads them here
            warnings.filterwarnings("ignore", message=".*not writable.*")
            vectors = torch.from_numpy(array)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (N, D), got shape {tuple(vectors.shape)}")
    return vectors.to(device=device, dtype=dtype or vectors.dtype)


def max_similarity(
    vectors_sorted: Any,
    tile_size: int = 0,
    device: str = "cpu",
    compute_dtype: str = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    """For each row ``j``: ``M[j] = max_{i<j} <x_i, x_j>`` and ``argmax[j]`` = that ``i``.

    ``vectors_sorted``: (N, D) rows in SemDedup order, L2-normalised (then M is the cosine); numpy
    or torch, float16/float32 (float16 and float64 are converted to ``compute_dtype``: one copy of
    the input). ``tile_size`` 0: the device's default (:func:`tile_for`). Returns ``M`` float32[N] clamped to [-1, 1] and ``argmax`` int64[N], both numpy;
    ``M[0] = -1`` and ``argmax[0] = -1``. Ties go to the smallest ``i``.

    Work: only the blocks holding pairs ``i < j`` are multiplied, the diagonal ones as a staircase
    (:func:`diagonal_strips`): N^2/2 useful dot products plus at most 1/8 (usually 1/16) more.
    Memory beyond the input: one ``tile x tile`` block, a boolean mask of at most one such block
    and O(N) running maxima - never N x N. ``compute_dtype`` ``float16``/``bfloat16`` is meant for
    CUDA (faster matmul, M to about 1e-3); the default ``float32`` is exact to float rounding
    (unless the process turned on TF32 matmuls, ``torch.backends.cuda.matmul.allow_tf32``).
    The same input, device and thread count give the same bits; another thread count may round
    a product 1 ulp differently (BLAS blocking), so compare M across engines with a tolerance.
    """
    import torch

    dev = resolve_device(device)
    tile_size = tile_for(tile_size, dev)
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[
        compute_dtype
    ]
    x = _as_tensor(vectors_sorted, dev, dtype)
    n = x.shape[0]
    best = torch.full((n,), float("-inf"), dtype=torch.float32, device=dev)
    arg = torch.full((n,), -1, dtype=torch.int64, device=dev)
    if n > 1:
        with torch.inference_mode():
            _tiled_max(x, min(tile_size, n), best, arg)
    if n:
        best[0], arg[0] = -1.0, -1  # the first document has nothing before it
        best.clamp_(-1.0, 1.0)
    return best.cpu().numpy(), arg.cpu().numpy()


def _tiled_max(x, t: int, best, arg) -> None:  # noqa: ANN001
    """Fill ``best``/``arg`` (running max over i < j) block by block; see :func:`max_similarity`."""
    import torch

    n = x.shape[0]
    dev = x.device
    neg_inf = float("-inf")
    step = max(1, math.ceil(t / diagonal_strips(n, t)))  # rows of one diagonal strip
    flat = torch.empty(t * t, dtype=x.dtype, device=dev)  # the one block, viewed per shape
    vals = torch.empty(t, dtype=x.dtype, device=dev)
    idx = torch.empty(t, dtype=torch.int64, device=dev)
    better = torch.empty(t, dtype=torch.bool, device=dev)
    upper = torch.ones(step, step, dtype=torch.bool, device=dev).triu_()  # column >= row

    direct = x.dtype == torch.float32

    def fold(rows: slice, block, col0: int) -> None:
        """Merge one block's row maxima into the running maxima (strictly greater wins, so that
        among equal values the smallest column - blocks come left to right - is kept)."""
        if col0 == 0 and direct:  # the rows' first block: its maxima are the running maxima
            torch.max(block, dim=1, out=(best[rows], arg[rows]))
            return
        h = block.shape[0]
        v, ix, bt = vals[:h], idx[:h], better[:h]
        torch.max(block, dim=1, out=(v, ix))
        b_rows, a_rows = best[rows], arg[rows]
        vf = v if v.dtype == torch.float32 else v.float()
        torch.gt(vf, b_rows, out=bt)
        torch.where(bt, vf, b_rows, out=b_rows)
        ix.add_(col0)
        torch.where(bt, ix, a_rows, out=a_rows)

    for a in range(0, n, t):
        b = min(a + t, n)
        h = b - a
        xj = x[a:b]
        # full blocks left of the diagonal: every pair has i < j
        for c in range(0, a, t):
            block = flat[: h * t].view(h, t)
            torch.mm(xj, x[c : c + t].T, out=block)
            fold(slice(a, b), block, c)
        # the diagonal block as a staircase of strips [p, q) x [a, q), masking i >= j at the end
        for p in range(a, b, step):
            q = min(p + step, b)
            rows, w = q - p, q - a
            block = flat[: rows * w].view(rows, w)
            torch.mm(x[p:q], x[a:q].T, out=block)
            block[:, p - a :].masked_fill_(upper[:rows, :rows], neg_inf)
            fold(slice(p, q), block, a)


def brute_force_max_similarity(
    vectors_sorted: Any, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Reference for tests: the full N x N similarity matrix, masked to ``i < j``, numpy argmax
    (first maximum, i.e. the smallest ``i`` among ties). Same contract as :func:`max_similarity`."""
    import torch

    x = _as_tensor(vectors_sorted, resolve_device(device), torch.float32)
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    with torch.inference_mode():
        sim = (x @ x.T).cpu().numpy()
    for j in range(n):  # mask i >= j row by row (no N x N index arrays)
        sim[j, j:] = -np.inf
    arg = np.argmax(sim, axis=1).astype(np.int64)
    m = sim[np.arange(n), arg].astype(np.float32)
    m[0], arg[0] = -1.0, -1
    return np.clip(m, -1.0, 1.0), arg


# --- one cluster, many clusters ---------------------------------------------------------------------


def _id_array(ids: Any) -> np.ndarray:
    """ids (list, numpy, pyarrow Array/ChunkedArray) as a numpy array of str (for sorting)."""
    if isinstance(ids, pa.ChunkedArray | pa.Array):
        ids = ids.to_pylist()
    return np.asarray(ids, dtype=str)


def sort_order(ids: Any, distances: Any) -> np.ndarray:
    """The SemDedup order of one cluster: the permutation that puts the largest distance to the
    centroid first; equal distances by id ascending (so it never depends on input order)."""
    id_arr = _id_array(ids)
    dist = np.asarray(distances)
    if len(id_arr) != len(dist):
        raise ValueError(f"{len(id_arr)} ids but {len(dist)} distances")
    return np.lexsort((id_arr, -dist.astype(np.float64)))


def _normalised_rows(vectors: Any, rows: np.ndarray, norms: Any = None):  # noqa: ANN202 - a torch tensor
    """``vectors[rows]`` as a new float32 CPU tensor with unit rows (zero rows stay zero): stored
    float16 embeddings are unit only to about 1e-3, and M must be a cosine. ``norms``: every
    row's :func:`row_norms`, when the caller computed them once for rows it gathers many times.

    Bit-for-bit the same whatever the caller's buffers, thread or ``norms``: the copy lives in
    torch's 64-byte aligned memory and the norms are summed in float64, row by row (numpy's SIMD
    sums depend on the array's alignment, which made M differ in the last bit between runs)."""
    import torch

    src = _as_tensor(vectors, "cpu", None)
    index = _index(rows)
    out = src.index_select(0, index)
    if out.dtype != torch.float32:
        out = out.float()
    if norms is None:
        norms = _norms(out)
    else:
        norms = norms.index_select(0, index)
    out /= norms[:, None]
    return out


NORM_ROWS = 4096
"""Rows per step of :func:`row_norms` when the vectors are not float32 (its float32 copy stays
small)."""


def row_norms(vectors: Any):  # noqa: ANN202 - a torch tensor
    """The norm :func:`_normalised_rows` divides each row of ``vectors`` by, as a float32 CPU
    tensor (N,): the same bits as computed on any gathered rows (a row's float64 sum does not
    depend on the other rows or the buffer; tested)."""
    import torch

    src = _as_tensor(vectors, "cpu", None)
    if src.dtype == torch.float32:
        return _norms(src)
    out = torch.empty(src.shape[0], dtype=torch.float32)
    for a in range(0, src.shape[0], NORM_ROWS):
        out[a : a + NORM_ROWS] = _norms(src[a : a + NORM_ROWS].float())
    return out


def _norms(rows: Any):  # noqa: ANN001, ANN202 - torch tensors
    """Row norms of a float32 CPU tensor, summed in float64 (:func:`_norm_loop`); 1.0 for a
    zero row (it stays zero)."""
    import torch

    x = rows.contiguous().numpy()
    out = np.empty(x.shape[0], np.float32)
    compiled(_norm_loop, REASSOCIATE)(x, out)
    return torch.from_numpy(out)


def _norm_loop(x, out) -> None:  # noqa: ANN001
    """``out[i]`` = the norm of row ``x[i]`` (its squares summed in float64, the square root
    rounded to float32), 1.0 where it is 0. Compiled with reassociation: the sum is vectorised
    (~4x torch's float64 norm) in an order fixed by the compiled code, not by the buffer."""
    n, d = x.shape
    for i in range(n):
        row = x[i]
        s = 0.0
        for k in range(d):
            v = np.float64(row[k])
            s += v * v
        out[i] = np.float32(1.0) if s == 0.0 else np.float32(np.sqrt(s))


def _cluster_core(vectors_sorted: Any, tile_size: int, device: str):  # noqa: ANN202
    """:func:`max_similarity` of one cluster's unit rows; on CPU a cluster of :func:`one_block`
    is one ``n x n`` product read by one compiled pass (:func:`one_block_max`)."""
    n = len(vectors_sorted)
    if n <= 1:  # nothing to compare: skip torch
        return np.full(n, -1.0, np.float32), np.full(n, -1, np.int64)
    if device == "cpu" and one_block(n, tile_for(tile_size, device)):
        return one_block_max(vectors_sorted)
    return max_similarity(vectors_sorted, tile_size, device)


def one_block(n: int, tile: int) -> bool:
    """Whether :func:`max_similarity` computes a cluster of ``n`` rows as one ``n x n`` product
    (one tile, one diagonal strip: fewer than ``2 * MIN_STRIP_ROWS`` rows), as
    :func:`one_block_max` does."""
    return n <= tile and diagonal_strips(n, tile) == 1


def one_block_max(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_similarity` of a cluster of :func:`one_block` on CPU: the same ``n x n``
    product of the unit rows ``x`` (float32 CPU tensor), its maxima below the diagonal read by
    one compiled pass (:func:`_lower_max`) instead of a masked fill, a reduction and their
    allocations - the torch steps cost more than the reading on a cluster of a few hundred rows.
    A maximum and its first column are exact: the same M and argmax as the masked reduction."""
    import torch

    n = x.shape[0]
    with torch.inference_mode():
        block = torch.mm(x, x.T)
    m, arg = np.empty(n, np.float32), np.empty(n, np.int64)
    compiled(_lower_max)(block.numpy(), m, arg)
    return m, arg


LANES = 8
"""Running maxima :func:`_prefix_max` keeps side by side for one row (no chain of dependent
comparisons: they run in parallel)."""


@kernel_part
def _prefix_max(row, lim, lanes):  # noqa: ANN001, ANN202
    """The maximum of ``row[:lim]`` (``lim`` > 0, unsigned) over :data:`LANES` running maxima in
    ``lanes`` (no chain of dependent comparisons: they run in parallel; a maximum is exact in
    any order). NaN products are passed over; -inf when all are NaN."""
    lanes[:] = -np.inf
    j = np.uint64(0)
    while j + np.uint64(LANES) <= lim:
        for k in range(np.uint64(LANES)):
            x = row[j + k]
            lanes[k] = x if x > lanes[k] else lanes[k]
        j += np.uint64(LANES)
    top = np.float32(-np.inf)
    for k in range(np.uint64(LANES)):
        top = lanes[k] if lanes[k] > top else top
    while j < lim:
        x = row[j]
        top = x if x > top else top
        j += np.uint64(1)
    return top


@kernel_part
def _first_index(row, lim, top):  # noqa: ANN001, ANN202
    """The first ``j < lim`` with ``row[j] == top`` (:func:`_prefix_max`'s maximum), -1 when none
    (all NaN). The value is then stored from ``row[j]``, so +0.0 and -0.0 come out as a
    sequential scan keeps them."""
    for j in range(lim):
        if row[j] == top:
            return np.int64(j)
    return np.int64(-1)


@kernel_part
def _clamp(x):  # noqa: ANN001, ANN202
    """``x`` clamped to [-1, 1] (NaN stays NaN): a cosine's float rounding may pass 1."""
    return min(max(x, np.float32(-1.0)), np.float32(1.0)) if x == x else x


@kernel_part
def _lower_max(block, m, arg) -> None:  # noqa: ANN001
    """For each row ``j`` of the square ``block``: ``m[j]`` = the maximum of ``block[j, :j]``
    clamped to [-1, 1], ``arg[j]`` its first column (:func:`_first_index`); row 0 (nothing
    before it): -1 and -1. NaN products are passed over (the embed stage writes only finite
    vectors); a row of NaN only gets -1 and -1."""
    lanes = np.empty(LANES, np.float32)
    m[0] = np.float32(-1.0)
    arg[0] = -1
    for j in range(1, block.shape[0]):
        row = block[j]
        top = _prefix_max(row, np.uint64(j), lanes)
        a = _first_index(row, j, top)
        m[j] = _clamp(row[a] if a >= 0 else top)
        arg[j] = a


def semdedup_cluster(
    ids: Any,
    cluster: int,
    distances: Any,
    vectors: Any,
    tile_size: int = 0,
    device: str = "cpu",
) -> pa.Table:
    """SemDedup of one cluster: rows (``ids``, ``distances`` to the centroid, ``vectors`` (N, D))
    in any order -> :data:`RESULT_SCHEMA` rows in SemDedup order (``rank`` 0 = farthest)."""
    id_arr = _id_array(ids)
    dist = np.asarray(distances, dtype=np.float32)
    if len(id_arr) != len(dist) or len(dist) != len(vectors):
        raise ValueError(f"lengths differ: {len(id_arr)} ids, {len(dist)}, {len(vectors)} vectors")
    order = sort_order(id_arr, dist)
    m, arg = _cluster_core(_normalised_rows(vectors, order), tile_size, device)
    sorted_ids = id_arr[order]
    return _result(
        sorted_ids,
        np.full(len(order), cluster, np.int64),
        dist[order],
        np.arange(len(order), dtype=np.int64),
        m,
        arg,
        np.zeros(len(order), np.int64),
    )


def _result(sorted_ids, clusters, dist, rank, m, arg, start, cross=None) -> pa.Table:  # noqa: ANN001
    """Assemble the table; ``arg`` is within-cluster, ``start`` each row's cluster offset;
    ``cross``: whether each row's ``max_id`` lies in another cluster (None: never)."""
    has = arg >= 0
    max_id = sorted_ids[np.where(has, start + arg, 0)] if len(arg) else sorted_ids
    return pa.table(
        [
            pa.array(sorted_ids, pa.string()),
            pa.array(clusters, pa.int64()),
            pa.array(dist, pa.float32()),
            pa.array(rank, pa.int64()),
            pa.array(m.astype(np.float64), pa.float64()),
            pa.array(max_id, pa.string(), mask=~has),
            pa.array(np.zeros(len(arg), bool) if cross is None else np.asarray(cross, bool)),
        ],
        schema=RESULT_SCHEMA,
    )


SMALL_CLUSTER = 1024
"""Clusters below this size are "small": on CPU they run side by side, one per thread; on CUDA
many of them go to the GPU together (see :func:`each_job`)."""
BATCH_ELEMENTS = 1 << 26
"""Batched small clusters on CUDA: at most this many float32 elements (256 MB) in one batch's
padded similarity blocks (B x S x S) and, separately, in its padded vectors (B x S x D)."""


def batch_max_similarity(x: Any) -> tuple[Any, Any]:
    """:func:`max_similarity` of several small clusters at once: ``x`` (B, S, D) holds cluster
    ``b``'s ``n_b`` unit rows, in SemDedup order, in ``x[b, :n_b]`` (the rest zero). One batched
    matmul, the pairs ``i >= j`` masked, one max per row (ties: the smallest ``i``, as
    ``torch.max`` returns the first maximum on CPU and CUDA). Returns torch tensors on ``x``'s
    device: ``M`` (B, S) float32 and ``argmax`` (B, S) int64, with ``M = -1``/``argmax = -1`` at
    row 0; rows at or past ``n_b`` are meaningless. Padding never wins: its columns ``i``
    are past every real row ``j`` and so always masked."""
    import torch

    b, s, _ = x.shape
    with torch.inference_mode():
        sim = torch.bmm(x, x.transpose(1, 2))  # sim[b, j, i] = <x_j, x_i>
        upper = torch.ones(s, s, dtype=torch.bool, device=x.device).triu_()  # i >= j
        sim.masked_fill_(upper, float("-inf"))
        best, arg = sim.max(dim=2)
        best[:, 0], arg[:, 0] = -1.0, -1
        best.clamp_(-1.0, 1.0)
    return best, arg


def _batches(segments: list[tuple[int, int]], dim: int) -> Iterator[list[tuple[int, int]]]:
    """Small cluster segments grouped into batches, sorted by size (little padding), each within
    :data:`BATCH_ELEMENTS` for its padded blocks and vectors."""
    ordered = sorted(segments, key=lambda seg: (seg[1] - seg[0], seg[0]))
    batch: list[tuple[int, int]] = []
    for seg in ordered:
        size = seg[1] - seg[0]  # the largest so far: the batch's padded size if added
        if batch and (len(batch) + 1) * size * max(size, dim) > BATCH_ELEMENTS:
            yield batch
            batch = []
        batch.append(seg)
    if batch:
        yield batch


def _run_batched(
    vectors: Any,
    order: np.ndarray,
    segments: list[tuple[int, int]],
    device: str,
    m: np.ndarray,
    arg: np.ndarray,
) -> Iterator[int]:
    """Small clusters on ``device`` in batches: per batch one host-to-device copy of its rows,
    one batched matmul, one copy of ``M``/``argmax`` back (not one round trip per cluster).
    Writes ``m``/``arg`` at each segment's rows; yields the documents of each finished batch."""
    import torch

    dim = int(vectors.shape[1])
    for batch in _batches(segments, dim):
        sizes = np.asarray([e - s for s, e in batch], np.int64)
        width = int(sizes.max())
        rows = np.concatenate([order[s:e] for s, e in batch])
        # where each row goes in the padded (B * width) layout
        slot = np.concatenate([b * width + np.arange(k) for b, k in enumerate(sizes)])
        x = _normalised_rows(vectors, rows)  # CPU, float32, unit rows: the same as per cluster
        if device != "cpu":
            x = x.pin_memory().to(device, non_blocking=True)
        slot_t = torch.from_numpy(slot).to(x.device, non_blocking=True)
        padded = torch.zeros(len(batch) * width, dim, dtype=torch.float32, device=x.device)
        padded.index_copy_(0, slot_t, x)
        best, best_arg = batch_max_similarity(padded.view(len(batch), width, dim))
        best = best.view(-1).index_select(0, slot_t).cpu().numpy()
        best_arg = best_arg.view(-1).index_select(0, slot_t).cpu().numpy()
        at = 0
        for (s, e), k in zip(batch, sizes.tolist(), strict=True):
            m[s:e], arg[s:e] = best[at : at + k], best_arg[at : at + k]
            at += k
        yield int(sizes.sum())


def _batch_small_clusters(device: str) -> bool:
    """Whether small clusters go to ``device`` in batches: on CUDA (a round trip per cluster
    costs more than its matmul); on CPU a pool of threads is faster (see :func:`each_job`)."""
    return device.startswith("cuda")


class one_thread:  # noqa: N801 - used as a function: ``with one_thread():``
    """torch's intra-op threads set to 1 meanwhile. A cluster below :data:`SMALL_CLUSTER` members
    is computed so on CPU, in the local engine and in a Spark task whatever its cores: a float32
    product's rounding can depend on how many threads split it, and both engines must give the
    same bits. A plain class, not a generator context manager: it is entered once per cluster
    job, where a generator's set-up cost more than the check itself."""

    __slots__ = ("threads",)

    def __enter__(self) -> None:
        import torch

        self.threads = torch.get_num_threads()
        if self.threads != 1:
            torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        if self.threads != 1:
            import torch

            torch.set_num_threads(self.threads)


def one_intra_op_thread() -> None:
    """Set this thread's OpenMP threads to 1 (a pool's initializer). ``torch.set_num_threads``
    in the main thread does not reach a new thread's OpenMP setting, which the matrix products
    (MKL, oneDNN) read: a pool thread's product would otherwise fork as many OpenMP threads as
    there are cores (measured on 2 cores: a 2,000 x 2,000 product in a pool thread ran on two),
    and its rounding could differ from a Spark task's one thread. Only this thread's OpenMP
    setting changes (threadpoolctl), not torch's process-wide count: a pool thread may start
    after the caller restored it."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="openmp")


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def cpu_pool(threads: int) -> ThreadPoolExecutor:
    """A pool of ``threads`` threads, each with one intra-op thread, kept for the process's life
    (per process id: a forked child gets its own) and shared by the similarity steps: a pool
    made per call cost ~1-3 ms of thread starts and first OpenMP setup per call, as much as the
    work of a small table on 2 cores."""
    key = (os.getpid(), threads)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(
            threads, thread_name_prefix="semdedup", initializer=one_intra_op_thread
        )
    return pool


def each_job(
    jobs: Sequence[Any],
    small: Sequence[bool],
    work: Sequence[int],
    fn: Callable[[Any], Any],
    device: str,
) -> Iterator[tuple[int, Any]]:
    """``(k, fn(jobs[k]))`` for every job, yielded in the order the jobs run.

    On CPU the small jobs (``small[k]``: most clusters, with ~200 documents each) run first, each
    with one intra-op thread (:func:`one_thread`: the same bits as a Spark task's, whatever the
    cores), the most ``work`` first (ties by ``k``: no large job starts last while the other
    threads idle), side by side on a pool of ``torch.get_num_threads()`` Python threads when
    there are several: torch releases the GIL, so the cores stay busy without one OpenMP
    fork/join per tiny matmul - which costs a scheduler time slice each when the cores are shared
    (measured on 2 shared cores: 250 clusters of 200 took 0.4-11 s with 2 intra-op threads, 0.17 s
    this way; same 0.08 s on an idle machine). The large jobs then run one by one with every
    intra-op thread. On another device all run one by one, in order (on CUDA
    :func:`semdedup_all` batches the small clusters before)."""
    import torch

    if device != "cpu":
        for k, job in enumerate(jobs):
            yield k, fn(job)
        return
    few = sorted((k for k, s in enumerate(small) if s), key=lambda k: (-work[k], k))
    threads = torch.get_num_threads()
    if few:  # torch's thread count is left alone when every job is large
        with one_thread():
            if threads <= 1 or len(few) < 2:
                got: Iterable[Any] = map(fn, [jobs[k] for k in few])
            else:
                got = cpu_pool(threads).map(fn, [jobs[k] for k in few])
            yield from zip(few, got, strict=True)
    for k, s in enumerate(small):
        if not s:
            yield k, fn(jobs[k])


def _each_cluster(
    segments: list[tuple[int, int]], fn: Callable[[tuple[int, int]], int], device: str
) -> Iterator[int]:
    """``fn`` of every cluster segment ``(start, end)``, yielded in the order they run
    (:func:`each_job`: the clusters below :data:`SMALL_CLUSTER` documents are the small jobs)."""
    sizes = [e - s for s, e in segments]
    small = [n < SMALL_CLUSTER for n in sizes]
    for _, done in each_job(segments, small, sizes, fn, device):
        yield done


def _index(rows: np.ndarray) -> Any:
    """Row indices as an int64 torch tensor (for indexing a tensor)."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64))


def _rows(vectors: Any, rows: np.ndarray) -> Any:
    """``vectors[rows]`` for numpy arrays and torch tensors alike."""
    if isinstance(vectors, np.ndarray):
        return vectors[rows]
    return vectors.index_select(0, _index(rows))


def _noise_rows(ids: np.ndarray) -> pa.Table:
    """Result rows of documents outside every cluster: never compared, never removed."""
    n = len(ids)
    return pa.table(
        [
            pa.array(ids, pa.string()),
            pa.array(np.full(n, S.NOISE, np.int64)),
            pa.nulls(n, pa.float32()),
            pa.array(np.zeros(n, np.int64)),
            pa.array(np.full(n, -1.0)),
            pa.nulls(n, pa.string()),
            pa.array(np.zeros(n, bool)),
        ],
        schema=RESULT_SCHEMA,
    )


def semdedup_all(
    ids: Any,
    clusters: Any,
    distances: Any,
    vectors: Any,
    tile_size: int = 0,
    device: str = "cpu",
    progress: Callable[[int], Any] | None = None,
) -> pa.Table:
    """:func:`semdedup_cluster` over every cluster of one table (the local, single-process path).

    Same result as calling it per cluster and concatenating in cluster order; one global sort
    (cluster, distance descending, id) instead of one per cluster. Documents of cluster
    :data:`~curation.schema.NOISE` (-1: left out by the clustering, e.g. HDBSCAN noise) are never
    compared: they come last, by id, with ``M = -1``, ``rank`` 0 and a null distance.
    ``progress(n)`` is called with the documents of each finished cluster, or batch of clusters
    (``tqdm.update`` fits). On CUDA the clusters of 2 to ``SMALL_CLUSTER - 1`` documents are
    computed in batches (:func:`batch_max_similarity`), the larger ones tile by tile; M agrees
    with the per-cluster computation to float rounding.
    """
    id_arr = _id_array(ids)
    cl = np.asarray(clusters, dtype=np.int64)
    dist = np.asarray(distances, dtype=np.float32)
    n = len(id_arr)
    if not (len(cl) == len(dist) == len(vectors) == n):
        raise ValueError(
            f"lengths differ: {n} ids, {len(cl)} clusters, {len(dist)} distances, "
            f"{len(vectors)} vectors"
        )
    noise = cl == S.NOISE
    if noise.any():
        inside = np.flatnonzero(~noise)
        clustered = semdedup_all(
            id_arr[inside], cl[inside], dist[inside], _rows(vectors, inside), tile_size, device,
            progress,
        )  # fmt: skip
        return pa.concat_tables([clustered, _noise_rows(np.sort(id_arr[noise]))])
    device = resolve_device(device)
    tile_size = tile_for(tile_size, device)
    order = np.lexsort((id_arr, -dist.astype(np.float64), cl))
    sorted_cl = cl[order]
    bounds = np.flatnonzero(np.diff(sorted_cl)) + 1
    starts = np.concatenate(([0], bounds)).astype(np.int64)
    ends = np.concatenate((bounds, [n])).astype(np.int64)
    m = np.empty(n, np.float32)
    arg = np.empty(n, np.int64)
    rank = np.empty(n, np.int64)
    start_of = np.empty(n, np.int64)

    def one(seg: tuple[int, int]) -> int:  # clusters write disjoint slices: thread-safe
        s, e = seg
        m[s:e], arg[s:e] = _cluster_core(_normalised_rows(vectors, order[s:e]), tile_size, device)
        rank[s:e] = np.arange(e - s)
        start_of[s:e] = s
        return e - s

    segments = list(zip(starts.tolist(), ends.tolist(), strict=True))
    if _batch_small_clusters(device):
        batched = [seg for seg in segments if 1 < seg[1] - seg[0] < SMALL_CLUSTER]
        for s, e in batched:
            rank[s:e] = np.arange(e - s)
            start_of[s:e] = s
        for done in _run_batched(vectors, order, batched, device, m, arg):
            if progress is not None:
                progress(done)
        in_batch = set(batched)
        segments = [seg for seg in segments if seg not in in_batch]
    for done in _each_cluster(segments, one, device):
        if progress is not None:
            progress(done)
    if n:
        log.info(
            "SemDedup: %d documents in %d clusters (largest %d)",
            n,
            len(starts),
            int((ends - starts).max()),
        )
    return _result(id_arr[order], sorted_cl, dist[order], rank, m, arg, start_of)


def with_domains(result: pa.Table, assigned: pa.Table) -> pa.Table:
    """The core's result rows with each document's domain, looked up by id in ``assigned``
    (an :data:`~curation.schema.ASSIGNMENT_SCHEMA` table), as :data:`~curation.schema.SIMILARITY_SCHEMA`."""
    import pyarrow.compute as pc

    at = pc.index_in(result.column(S.ID), value_set=assigned.column(S.ID))
    result = result.append_column(S.DOMAIN, assigned.column(S.DOMAIN).take(at))
    return S.conform(result, S.SIMILARITY_SCHEMA)


# --- eps -------------------------------------------------------------------------------------------


def removed_mask(m: Any, eps: float | np.ndarray) -> np.ndarray:
    """The rule: remove a document when ``M > 1 - eps`` (``eps`` one value, or one per row)."""
    return np.asarray(m, dtype=np.float64) > 1.0 - np.asarray(eps, dtype=np.float64)


def calibrate_eps(m: Any, target_fraction: float) -> float:
    """eps whose removal fraction ``mean(M > 1 - eps)`` is as close as possible to the target.

    ``m``: M of all documents (first-in-cluster documents carry -1 and can never be removed).
    Ties in M make some fractions unreachable: the nearest reachable one is taken (the smaller on
    an exact tie). The threshold ``1 - eps`` is put midway between two consecutive distinct M
    values, so that rounding of ``1 - eps`` cannot move a document across it; result in [0, 2].
    (:func:`calibrate_eps_window` is the same rule over a window of levels: what a distributed
    calibration computes.)
    """
    if not 0.0 <= target_fraction <= 1.0:
        raise ValueError(f"target_fraction must be in [0, 1], got {target_fraction}")
    values = np.clip(np.asarray(m, dtype=np.float64), -1.0, 1.0)
    if len(values) == 0:
        return 0.0
    levels, counts = np.unique(values, return_counts=True)
    eps, expected = calibrate_eps_window(
        levels[::-1], counts[::-1], 0, len(values), target_fraction
    )
    got = int(removed_mask(values, eps).sum())
    if got != expected:  # cannot happen for float32-derived M; say so rather than hide it
        log.warning("calibrate_eps: eps=%r removes %d, expected %d", eps, got, expected)
    return eps


def calibrate_eps_window(
    levels: Any, counts: Any, above: int, n: int, target_fraction: float
) -> tuple[float, int]:
    """:func:`calibrate_eps` from distinct M values and their counts: (eps, documents removed).

    ``levels``: consecutive distinct M values in descending order (all of them, or a window of
    them around the target), ``counts`` how many documents have each, ``above`` how many have an
    M above ``levels[0]`` (0 when the window starts at the largest M), ``n`` all documents. The
    window must hold the level where the documents with M at or above it first reach
    ``target_fraction * n``, and the distinct levels right above and below it (where they exist):
    then the result equals :func:`calibrate_eps` over all values.
    """
    levels = np.asarray(levels, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    if n == 0 or len(levels) == 0:
        return 0.0, 0
    # candidate k removes every document with M >= levels[k - 1]; k = 0 removes those above
    reach = np.concatenate(([above], above + np.cumsum(counts)))
    first = 0 if above == 0 else 1  # with above > 0, k = 0 needs the level above the window
    last = len(reach) - (1 if levels[-1] <= -1.0 else 0)  # M = -1 is never removed
    want = target_fraction * n
    ks = np.arange(first, last)
    k = int(ks[np.argmin(np.abs(reach[ks] - want))])  # first minimum = fewer removals on a tie
    if k == 0:
        threshold = 1.0 if levels[0] < 1.0 else levels[0]
    else:
        lower = levels[k] if k < len(levels) else -1.0
        threshold = (levels[k - 1] + lower) / 2.0
    return float(min(2.0, max(0.0, 1.0 - threshold))), int(reach[k])


def curve_grid(chosen: Iterable[float]) -> list[float]:
    """The eps values a removal curve is reported at: 0 to 0.5 in steps of 0.01, plus the eps a
    run chose (so the curve passes exactly through the run's own point)."""
    steps = {round(x, 4) for x in np.linspace(0.0, 0.5, 51)}
    return sorted(steps | {round(e, 6) for e in chosen})


def removal_curve(m: Any, domains: Sequence[str] | Any, eps_grid: Sequence[float]) -> dict:
    """Fraction removed (``M > 1 - eps``) for every eps of the grid, overall and per domain:
    ``{"eps": [...], "overall": [...], "per_domain": {domain: [...]}, "documents": {...}}``."""
    values = np.asarray(m, dtype=np.float64)
    if isinstance(domains, pa.ChunkedArray | pa.Array):
        domains = domains.to_pylist()
    dom = np.asarray(domains, dtype=str)
    if len(dom) != len(values):
        raise ValueError(f"{len(values)} M values but {len(dom)} domains")
    grid = [float(e) for e in eps_grid]
    thresholds = 1.0 - np.asarray(grid, dtype=np.float64)

    def fractions(v: np.ndarray) -> list[float]:
        if len(v) == 0:
            return [0.0] * len(grid)
        s = np.sort(v)
        above = len(s) - np.searchsorted(s, thresholds, side="right")  # count of v > t
        return [float(x) for x in above / len(s)]

    per_domain = {d: fractions(values[dom == d]) for d in sorted(set(dom.tolist()))}
    return {
        "eps": grid,
        "overall": fractions(values),
        "per_domain": per_domain,
        "documents": {"overall": int(len(values))} | {d: int((dom == d).sum()) for d in per_domain},
    }
