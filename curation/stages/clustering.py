"""What SemDedup needs of a clustering, and the two clusterings it runs on.

A clustering only assigns: every document gets a cluster (or :data:`~curation.schema.NOISE`,
never compared and never removed) and its cosine distance to its cluster's centroid. The one
SemDedup core (:mod:`curation.stages.semdedup`) does the rest the same way for every clustering.

* :class:`KMeansClustering` - faiss spherical k-means trained on the hash-chosen sample
  (:mod:`curation.stages.cluster_kmeans`), every document assigned to its nearest centroid
  (Dataset-2);
* :class:`UmapHdbscanClustering` - UMAP + HDBSCAN, over all documents together or one group per
  domain (:mod:`curation.stages.cluster_hdbscan`); distances to the normalised mean of each
  cluster's members (Dataset-3).

Both are pure functions of (ids, domains, vectors) and their config: the same inputs in any order
give the same assignment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from curation import schema as S
from curation.config import HdbscanConfig, KMeansConfig
from curation.stages import cluster_hdbscan, cluster_kmeans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assignment:
    """Every document's cluster (int64, -1 = noise) and distance to its centroid (float32, NaN
    for noise), in the input's order; ``extras``: what the clustering also has to show."""

    cluster: np.ndarray
    distance: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)


class Clustering(Protocol):
    """A clustering under SemDedup."""

    name: str

    def assign(
        self, ids: pa.Array | pa.ChunkedArray, domains: np.ndarray, vectors: np.ndarray, device: str
    ) -> Assignment: ...


@dataclass(frozen=True)
class KMeansClustering:
    """Spherical k-means on the hash sample; ``extras``: ``centroids`` (k, D) and ``trained_on``."""

    cfg: KMeansConfig
    name: str = "kmeans"

    def assign(self, ids, domains, vectors, device) -> Assignment:  # noqa: ANN001
        k = cluster_kmeans.n_clusters_for(len(vectors), self.cfg)
        sample = cluster_kmeans.training_sample(ids, self.cfg.sample_size)
        log.info(
            "k-means: %d clusters from %d of %d documents on %s",
            k, int(sample.sum()), len(vectors), device,
        )  # fmt: skip
        chosen = pa.array(sample)
        centroids = cluster_kmeans.train_kmeans(
            vectors[sample], k, self.cfg, device, ids=ids.filter(chosen)
        )
        cluster, distance = cluster_kmeans.assign(vectors, centroids, device)
        extras = {"centroids": centroids, "trained_on": int(sample.sum())}
        return Assignment(cluster, distance, extras)


@dataclass(frozen=True)
class UmapHdbscanClustering:
    """UMAP + HDBSCAN per group (all domains together, or one per domain: ``group_by``);
    ``extras``: 2-D ``coords``, ``searches`` (the min_cluster_size search of each group),
    ``backends`` and ``clusters`` (their number)."""

    cfg: HdbscanConfig
    name: str = "hdbscan"

    def groups(self, domains: np.ndarray) -> list[tuple[str, np.ndarray]]:
        if self.cfg.group_by == "all":
            return [("+".join(self.cfg.domains), np.arange(len(domains)))]
        return [(d, np.flatnonzero(domains == d)) for d in self.cfg.domains if (domains == d).any()]

    def assign(self, ids, domains, vectors, device) -> Assignment:  # noqa: ANN001, ARG002
        h = self.cfg
        n = len(vectors)
        labels = np.full(n, S.NOISE, np.int64)
        coords = np.zeros((n, h.umap_components), np.float32)
        searches, backends, offset = [], set(), 0
        for name, rows in self.groups(np.asarray(domains, dtype=object)):
            result = cluster_hdbscan.cluster(vectors[rows], h, device)
            group_labels = result.labels
            labels[rows] = np.where(group_labels >= 0, group_labels + offset, S.NOISE)
            coords[rows] = result.coords
            offset += result.n_clusters
            backends.add(result.backend)
            searches.append(
                {
                    "group": name,
                    "documents": len(rows),
                    "min_cluster_size": result.min_cluster_size,
                    "clusters": result.n_clusters,
                    "noise": float((group_labels < 0).mean()) if len(rows) else 0.0,
                    "trace": result.trace,
                    "timings": result.timings,
                }
            )
        distance = cluster_hdbscan.centroid_distances(vectors, labels)
        extras = {"coords": coords, "searches": searches, "backends": sorted(backends),
                  "clusters": offset}  # fmt: skip
        return Assignment(labels, distance.astype(np.float32), extras)
