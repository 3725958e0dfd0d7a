"""UMAP + HDBSCAN clustering of embeddings (stage 6).

The clustering only assigns cluster ids; duplicates are found by the one SemDedup core
(:func:`curation.stages.semdedup.semdedup_all`) in the original embedding space, exactly as for
k-means. Pure functions over numpy arrays: the pipeline (:mod:`curation.pipeline.clusters_hdbscan`)
and the tests call them directly.

Backends, behind :func:`reduce` and :func:`cluster`:

* ``cuml``: cuML's ``UMAP`` and ``HDBSCAN`` when the device is a GPU and cuML runs there - in its
  own environment (``make install-cuml``) or in this one; detected once by a real import and a
  tiny fit, see :mod:`curation.stages.cuml_env`, which logs why when it is not used;
* ``umap-learn+hdbscan``: umap-learn and the ``hdbscan`` package on CPU (otherwise).

Both get the same parameters and a fixed seed (umap-learn is then single-threaded and, with the
default PCA start (``umap_init``), gives the same layout on every run; its spectral start did not
on graphs of 20k+ documents). umap-learn compiles with numba: :func:`numba_cache_dir` points numba's cache to
a writable folder before the first import, and :func:`cache_library_kernels` turns that cache on
for the umap-learn and pynndescent kernels declared without it, so later processes load the
compiled code instead of compiling it again.

**Searching min_cluster_size toward a target number of clusters.** With ``target_clusters`` > 0,
HDBSCAN is refitted on the (fixed) 2-D coordinates for several ``min_cluster_size`` values:
the number of clusters falls, roughly, as min_cluster_size grows, and a clustering into ``k``
clusters of ``n`` points has clusters of about ``n / k`` points, so the search bisects (in log
space, over integers) the bracket ``[2, max(2, n // target)]``: when a value gives more clusters
than the target the lower end moves up, else the upper end moves down, until the bracket closes
(at most ``log2(n / target)`` fits, each well under a second on 2-D data). The value whose count is
nearest the target wins (on a tie, the larger min_cluster_size: fewer, sturdier clusters); every
step is returned in ``trace`` and saved with the run.

Noise (label -1) is never removed: those documents take no part in SemDedup and pass through.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curation import schema as S
from curation.config import HdbscanConfig
from curation.numba_cache import cache_library_kernels, numba_cache_dir
from curation.stages import cluster_kmeans, cuml_env, semdedup

log = logging.getLogger(__name__)

NOISE = S.NOISE
CPU_BACKEND = "umap-learn+hdbscan"
GPU_BACKEND = "cuml"


@dataclass(frozen=True)
class Reduced:
    """UMAP output: ``coords`` (N, umap_components) float32."""

    coords: np.ndarray
    backend: str
    seconds: float


@dataclass(frozen=True)
class Clustering:
    """One group's clustering: ``labels`` (N,) int64 with -1 = noise, 0..k-1 = clusters."""

    coords: np.ndarray
    labels: np.ndarray
    min_cluster_size: int
    backend: str
    trace: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return n_clusters(self.labels)


def n_clusters(labels: np.ndarray) -> int:
    """Clusters in canonical labels (0..k-1, -1 = noise)."""
    return int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0


def backend_for(device: str) -> str:
    """``cuml`` on a GPU device where cuML runs (:func:`curation.stages.cuml_env.status`: a real
    import and a tiny fit, once per process; the reason is logged when not), else the CPU
    libraries."""
    if device.startswith("cuda") and cuml_env.status(device).available:
        return GPU_BACKEND
    return CPU_BACKEND


def reduce(vectors: np.ndarray, cfg: HdbscanConfig, device: str = "cpu") -> Reduced:
    """UMAP of ``vectors`` (N, D) to ``cfg.umap_components`` dimensions (fixed seed).

    Fewer than ``umap_components + 2`` points cannot be embedded: they get zeros (and, in
    :func:`cluster`, the noise label)."""
    n = len(vectors)
    backend = backend_for(device)
    if n < cfg.umap_components + 2:
        return Reduced(np.zeros((n, cfg.umap_components), np.float32), backend, 0.0)
    params = {
        "n_components": cfg.umap_components,
        "n_neighbors": max(2, min(cfg.umap_neighbors, n - 1)),
        "min_dist": cfg.umap_min_dist,
        "metric": cfg.umap_metric,
        "random_state": cfg.seed,
    }
    log.info(
        "UMAP: %d x %d -> %d dimensions (%s)", n, vectors.shape[1], cfg.umap_components, backend
    )
    t0 = time.perf_counter()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if backend == GPU_BACKEND:
        init = "random" if cfg.umap_init == "random" else "spectral"
        coords = cuml_env.umap(x, {**params, "init": init}, device)
    else:
        numba_cache_dir()
        import umap

        cache_library_kernels("umap", "pynndescent")

        with warnings.catch_warnings():  # "n_jobs overridden to 1 by setting random_state": wanted
            warnings.simplefilter("ignore", UserWarning)
            model = umap.UMAP(
                **params, init=cfg.umap_init if n > 4 * cfg.umap_components else "random"
            )
            coords = model.fit_transform(x)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    return Reduced(coords, backend, time.perf_counter() - t0)


def hdbscan_labels(
    coords: np.ndarray,
    cfg: HdbscanConfig,
    min_cluster_size: int,
    backend: str,
    device: str = "cuda",
) -> np.ndarray:
    """HDBSCAN labels (-1 = noise) of the reduced points for one ``min_cluster_size``
    (``device``: the GPU the ``cuml`` backend runs on)."""
    n = len(coords)
    if n < max(2, min_cluster_size) or not np.isfinite(coords).all() or not coords.any():
        return np.full(n, NOISE, np.int64)
    params = {
        "min_cluster_size": int(min_cluster_size),
        "min_samples": int(cfg.min_samples) or None,
        "cluster_selection_method": cfg.cluster_selection_method,
    }
    if backend == GPU_BACKEND:
        labels = cuml_env.hdbscan(np.ascontiguousarray(coords, np.float32), params, device)
    else:
        import hdbscan

        labels = hdbscan.HDBSCAN(**params, core_dist_n_jobs=1).fit_predict(coords)
    return _canonical(np.asarray(labels, np.int64))


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 in order of their first point (independent of library order)."""
    out = np.full(len(labels), NOISE, np.int64)
    seen = labels >= 0
    if seen.any():
        _, first, inverse = np.unique(labels[seen], return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        out[seen] = rank[inverse]
    return out


def search_min_cluster_size(
    coords: np.ndarray, cfg: HdbscanConfig, backend: str, device: str = "cuda"
) -> tuple[int, np.ndarray, list[dict]]:
    """The bisection described in the module docstring: (min_cluster_size, labels, trace)."""
    n = len(coords)
    target = cfg.target_clusters
    lo, hi = 2, max(2, n // target)
    tried: dict[int, np.ndarray] = {}
    trace: list[dict] = []

    def fit(m: int) -> int:
        if m not in tried:
            t0 = time.perf_counter()
            tried[m] = hdbscan_labels(coords, cfg, m, backend, device)
            noise = float((tried[m] < 0).mean()) if n else 0.0
            trace.append({"min_cluster_size": m, "clusters": n_clusters(tried[m]),
                          "noise": round(noise, 4),
                          "seconds": round(time.perf_counter() - t0, 3)})  # fmt: skip
        return n_clusters(tried[m])

    if fit(hi) < target and fit(lo) > target:
        while hi - lo > 1:
            mid = min(hi - 1, max(lo + 1, round(math.sqrt(lo * hi))))
            if fit(mid) > target:
                lo = mid
            else:
                hi = mid
    best = min(tried, key=lambda m: (abs(n_clusters(tried[m]) - target), -m))
    return best, tried[best], trace


def cluster(vectors: np.ndarray, cfg: HdbscanConfig, device: str = "cpu") -> Clustering:
    """UMAP, then HDBSCAN with ``cfg.min_cluster_size`` or the searched one (``target_clusters``)."""
    reduced = reduce(vectors, cfg, device)
    t0 = time.perf_counter()
    if cfg.target_clusters > 0:
        mcs, labels, trace = search_min_cluster_size(reduced.coords, cfg, reduced.backend, device)
    else:
        mcs, trace = cfg.min_cluster_size, []
        labels = hdbscan_labels(reduced.coords, cfg, mcs, reduced.backend, device)
    timings = {"umap_s": round(reduced.seconds, 3), "hdbscan_s": round(time.perf_counter() - t0, 3)}
    log.info(
        "UMAP + HDBSCAN (%s): %d documents -> %d clusters, %.1f%% noise (min_cluster_size %d; "
        "UMAP %.1f s, HDBSCAN %.1f s)",
        reduced.backend, len(vectors), n_clusters(labels), 100 * float((labels < 0).mean()) if len(labels) else 0,
        mcs, timings["umap_s"], timings["hdbscan_s"],
    )  # fmt: skip
    return Clustering(reduced.coords, labels, mcs, reduced.backend, trace, timings)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def _centroids(vectors: np.ndarray, labels: np.ndarray):  # noqa: ANN202
    """(member rows in label order, their unit vectors, each row's centroid index, the labels
    present, the centroids: the normalised means of the members' unit vectors)."""
    members = np.flatnonzero(labels >= 0)
    order = members[np.argsort(labels[members], kind="stable")]
    unit = _unit(vectors[order])
    starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])
    centroids = _unit(np.add.reduceat(unit, starts, axis=0))
    which = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    return order, unit, which, labels[order][starts], centroids


def centroid_distances(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cosine distance of each document to its cluster's centroid (the normalised mean of the
    members' unit vectors) in the original embedding space; NaN for noise."""
    labels = np.asarray(labels, np.int64)
    out = np.full(len(labels), np.nan, np.float32)
    if not (labels >= 0).any():
        return out
    order, unit, which, _, centroids = _centroids(vectors, labels)
    out[order] = 1.0 - np.einsum("ij,ij->i", unit, centroids[which])
    return out


def near_clusters(
    vectors: np.ndarray, labels: np.ndarray, device: str, count: int = S.NEAR_COUNT
) -> tuple[np.ndarray, np.ndarray]:
    """Each clustered document's ``count`` nearest other clusters by cosine to their centroids
    (as in :func:`centroid_distances`) and the gaps to its own one (see
    :func:`curation.stages.cluster_kmeans.assign_near`); -1 and NaN for noise."""
    labels = np.asarray(labels, np.int64)
    near = np.full((len(labels), count), -1, np.int64)
    gaps = np.full((len(labels), count), np.nan, np.float32)
    if not (labels >= 0).any() or count == 0:
        return near, gaps
    order, unit, which, present, centroids = _centroids(vectors, labels)
    got = cluster_kmeans.assign_near(unit, centroids, device, count, own=which)
    found = got.near >= 0
    near[order] = np.where(found, present[np.maximum(got.near, 0)], -1)
    gaps[order] = got.gaps
    return near, gaps


def representatives(
    ids: Any, distances: np.ndarray, labels: np.ndarray, k: int
) -> dict[int, list[str]]:
    """The ``k`` documents nearest each cluster's centroid (ties by id): ``{cluster: [id, ...]}``."""
    id_arr = semdedup._id_array(ids)
    labels = np.asarray(labels, np.int64)
    members = np.flatnonzero(labels >= 0)
    if k <= 0 or not len(members):
        return {}
    order = members[np.lexsort((id_arr[members], distances[members], labels[members]))]
    out: dict[int, list[str]] = {}
    for i in order:
        chosen = out.setdefault(int(labels[i]), [])
        if len(chosen) < k:
            chosen.append(str(id_arr[i]))
    return out
