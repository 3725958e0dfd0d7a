"""Spherical k-means over the embeddings (faiss): training sample, training, assignment.

One code path for ``faiss-cpu`` and ``faiss-gpu`` (both install the module ``faiss``); whether the
GPU is used follows :func:`curation.device.faiss_uses_gpu`, and which GPU follows the device
string (``cuda:N`` trains and assigns on GPU N, never on "all GPUs"). Everything here is deterministic for
the same set of documents, whatever their order or partitioning:

* the training sample is the ``sample_size`` documents with the smallest 64-bit hash of their id
  (``xxh64(id, seed=42)`` read as a signed integer - the value Spark's ``F.xxhash64(id)`` gives, so
  a Spark job can pick the same sample with ``orderBy(F.xxhash64("id")).limit(n)``; equal hashes
  by id);
* training rows are put in id order before faiss sees them, and faiss runs with a fixed seed;
* assignment is an exact nearest-centroid search (inner product of unit vectors), row by row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from curation import schema as S
from curation.config import KMeansConfig
from curation.device import cuda_index, faiss_uses_gpu

log = logging.getLogger(__name__)

HASH_SEED = 42  # Spark's xxhash64 seed: F.xxhash64(id) == this hash as a signed 64-bit integer


def _id_list(ids: Any) -> list[str]:
    if isinstance(ids, pa.ChunkedArray | pa.Array):
        return ids.to_pylist()
    return [str(i) for i in ids]


def id_hashes(ids: Any) -> np.ndarray:
    """``xxh64(id, seed=42)`` of every id as int64 (equal to Spark's ``F.xxhash64(id)``)."""
    from xxhash import xxh64_intdigest

    ids = _id_list(ids)
    h = np.fromiter(
        (xxh64_intdigest(i.encode("utf-8"), HASH_SEED) for i in ids),
        dtype=np.uint64,
        count=len(ids),
    )
    return h.view(np.int64)


def training_sample(ids: Any, sample_size: int) -> np.ndarray:
    """Boolean mask of the ``sample_size`` ids with the smallest hash (all when fewer).

    Depends only on the set of ids: the same documents are chosen in any order or partitioning.
    """
    id_list = _id_list(ids)
    n = len(id_list)
    if sample_size >= n:
        return np.ones(n, dtype=bool)
    if sample_size <= 0:
        return np.zeros(n, dtype=bool)
    h = id_hashes(id_list)
    cut = np.partition(h, sample_size - 1)[sample_size - 1]  # the sample_size-th smallest hash
    mask = h < cut
    at_cut = np.flatnonzero(h == cut)
    need = sample_size - int(mask.sum())
    if len(at_cut) > need:  # a hash collision at the boundary: smallest ids win
        at_cut = at_cut[np.argsort(np.asarray([id_list[i] for i in at_cut], dtype=str))]
    mask[at_cut[:need]] = True
    return mask


def n_clusters_for(n_docs: int, cfg: KMeansConfig) -> int:
    """``cfg.n_clusters``, or ``round(n_docs / cfg.target_cluster_size)``; at least 1."""
    if cfg.n_clusters > 0:
        return cfg.n_clusters
    return max(1, int(n_docs / cfg.target_cluster_size + 0.5))


def _unit_rows(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """float32 C-contiguous rows of unit length (zero rows stay zero). ``inplace``: ``x`` may be
    overwritten when it is already float32 and contiguous (the caller owns it). Norms are summed
    in float64, so the result does not depend on the array's alignment (numpy's float32 SIMD sums
    do, in the last bit)."""
    y = np.ascontiguousarray(x, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", y, y, dtype=np.float64)).astype(np.float32)
    if (np.abs(norms - 1.0) <= 1e-6).all():
        return y
    norms[norms == 0] = 1.0
    if inplace or not np.may_share_memory(y, x):  # ours to overwrite
        y /= norms[:, None]
        return y
    return y / norms[:, None]


def train_kmeans(
    vectors: np.ndarray,
    k: int,
    cfg: KMeansConfig,
    device: str,
    ids: Sequence[str] | Any | None = None,
    init: str | None = None,
) -> np.ndarray:
    """Spherical k-means centroids (k, D) float32, unit rows.

    ``vectors``: the training rows (N, D), any float dtype (normalised here). ``ids``: their ids;
    when given the rows are sorted by id first, so the result does not depend on their order (the
    caller must otherwise pass them in a deterministic order). ``k > N`` is reduced to ``N`` with a
    warning. ``init``: ``random`` (faiss' default, as the reference), ``kmeans++`` or ``afk-mc2``;
    default ``cfg.init`` when the config has that field, else ``random``.
    """
    import faiss

    n, d = vectors.shape
    if n == 0:
        raise ValueError("k-means needs at least one training vector")
    if ids is not None:
        id_arr = np.asarray(_id_list(ids), dtype=str)
        if len(id_arr) != n:
            raise ValueError(f"{len(id_arr)} ids for {n} training vectors")
        vectors = np.asarray(vectors)[np.argsort(id_arr, kind="stable")]  # a copy we own
    x = _unit_rows(vectors, inplace=ids is not None)
    if k > n:
        log.warning("k-means: %d clusters asked for but only %d training vectors: k = %d", k, n, n)
        k = n
    init = init or getattr(cfg, "init", "random")
    methods = {
        "random": "ClusteringInitMethod_RANDOM",
        "kmeans++": "ClusteringInitMethod_KMEANS_PLUS_PLUS",
        "afk-mc2": "ClusteringInitMethod_AFK_MC2",
    }
    if init not in methods:
        raise ValueError(f"k-means init must be one of {sorted(methods)}, got {init!r}")
    extra = {} if init == "random" else {"init_method": getattr(faiss, methods[init])}
    km = faiss.Kmeans(
        d, k, niter=cfg.iterations, seed=cfg.seed, spherical=True, verbose=False, **extra
    )
    km.index = flat_ip_index(d, device)  # what Kmeans(gpu=True) would do, but on *this* GPU
    km.train(x)
    return _unit_rows(np.asarray(km.centroids, dtype=np.float32).reshape(k, d))


def keep_alive(index, *objects):  # noqa: ANN001, ANN201 - faiss objects
    """Keep ``objects`` (GPU resources) alive as long as ``index``, the way faiss does itself:
    in ``index.referenced_objects``. faiss's Python layer allows no other new attribute on an
    index (``index.anything = res`` raises AttributeError on every index class)."""
    index.referenced_objects = list(getattr(index, "referenced_objects", None) or []) + list(
        objects
    )
    return index


def flat_ip_index(d: int, device: str):  # noqa: ANN201 - a faiss index
    """An exact inner-product index of dimension ``d`` on ``device``: ``IndexFlatIP`` on CPU,
    ``GpuIndexFlatIP`` on the GPU ``device`` names (float32, no float16 storage) with its
    resources kept alive by the index."""
    import faiss

    if not faiss_uses_gpu(device):
        return faiss.IndexFlatIP(d)
    res = faiss.StandardGpuResources()
    config = faiss.GpuIndexFlatConfig()
    config.device = cuda_index(device)
    return keep_alive(faiss.GpuIndexFlatIP(res, d, config), res)


def assign(
    vectors: np.ndarray, centroids: np.ndarray, device: str, batch_rows: int = 65536
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid of every row: ``(cluster int64[N], distance float32[N])`` with
    ``distance = 1 - cos(row, centroid)``; :func:`assign_near` without the nearest other clusters."""
    got = assign_near(vectors, centroids, device, 0, batch_rows)
    return got.cluster, got.distance


@dataclass(frozen=True)
class NearAssignment:
    """Every row's cluster, its distance ``1 - cos`` to that centroid, and its ``count`` nearest
    other clusters (nearest first; ``near`` -1 and ``gaps`` NaN where there are fewer) with their
    gaps ``cos(row, own centroid) - cos(row, that centroid)`` (float64 cosines, then float32)."""

    cluster: np.ndarray  # int64[N]
    distance: np.ndarray  # float32[N]
    near: np.ndarray  # int64[N, count]
    gaps: np.ndarray  # float32[N, count]


def assign_near(
    vectors: np.ndarray,
    centroids: np.ndarray,
    device: str,
    count: int = S.NEAR_COUNT,
    batch_rows: int = 65536,
    own: np.ndarray | None = None,
) -> NearAssignment:
    """Each row's nearest centroid (or its given cluster ``own``) and its ``count`` nearest other
    centroids. Rows are normalised batch by batch (stored float16 vectors are unit only to about
    1e-3), so memory beyond the input is one batch.

    Row by row the same whatever the batch a row comes in (here, or one Spark task's Arrow
    batch): faiss proposes the ``count + 3`` nearest centroids (2 when ``count`` is 0), and the
    cosines to those are computed again in float64 per row - faiss's float32 products round
    differently for batches of different sizes (BLAS blocking, or no BLAS under 20 rows), which
    could move a document's distance, and so its SemDedup order, by an ulp. Candidates are ranked
    by that cosine, ties by the smaller centroid index. ``own`` (the clusters of another
    clustering, e.g. HDBSCAN's, all >= 0): the distance is to that centroid, which is never one of
    the nearest others."""
    n = len(vectors)
    cents = _unit_rows(centroids)
    k = len(cents)
    index = flat_ip_index(cents.shape[1], device)
    index.add(cents)
    top = min(k, count + 3) if count else min(2, k)
    exact = cents.astype(np.float64)
    cluster = np.empty(n, dtype=np.int64)
    distance = np.empty(n, dtype=np.float32)
    near = np.full((n, count), -1, dtype=np.int64)
    gaps = np.full((n, count), np.nan, dtype=np.float32)
    for s in range(0, n, batch_rows):
        batch = _unit_rows(np.asarray(vectors[s : s + batch_rows]))
        _, idx = index.search(batch, top)
        x64 = batch.astype(np.float64)
        sims = np.einsum("nd,nkd->nk", x64, exact[idx])
        rank = np.lexsort((idx, -sims), axis=1)  # by cosine, ties by the smaller index
        idx = np.take_along_axis(idx, rank, 1)
        sims = np.take_along_axis(sims, rank, 1)
        if own is None:
            mine, mine_sim = idx[:, 0], sims[:, 0]
        else:
            mine = np.asarray(own[s : s + len(batch)], np.int64)
            mine_sim = np.einsum("nd,nd->n", x64, exact[mine])
        cluster[s : s + len(batch)] = mine
        distance[s : s + len(batch)] = np.clip(1.0 - mine_sim, 0.0, 2.0)
        if count:
            others = idx != mine[:, None]
            keep = np.cumsum(others, axis=1) <= count  # the first `count` others of each row
            sel = others & keep
            slot = np.cumsum(sel, axis=1) - 1
            r, c = np.nonzero(sel)
            near[s + r, slot[r, c]] = idx[r, c]
            gaps[s + r, slot[r, c]] = (mine_sim[r] - sims[r, c]).astype(np.float32)
    return NearAssignment(cluster, distance, near, gaps)
