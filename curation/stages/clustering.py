"""What SemDedup needs of a clustering, and the two clusterings it runs on.

A clustering only assigns: every document gets a cluster (or :data:`~curation.schema.NOISE`,
never compared and never removed), its cosine distance to its cluster's centroid and its nearest
other clusters (for the cross-boundary pass). The one
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
from curation.stages.semdedup_cross import near_to_arrow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assignment:
    """Every document's cluster (int64, -1 = noise) and distance to its centroid (float32, NaN
    for noise), in the input's order; its :data:`~curation.schema.NEAR_COUNT` nearest other
    clusters ``near`` (int64 (N, NEAR_COUNT), -1 = none) with their ``gaps`` (float32, the
    cosine to the own centroid minus the one to that centroid; NaN = none), which the
    cross-boundary pass visits; ``extras``: what the clustering also has to show."""

    cluster: np.ndarray
    distance: np.ndarray
    near: np.ndarray
    gaps: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)

    def table(self, ids: Any, domains: Any) -> pa.Table:
        """The assignment as :data:`~curation.schema.ASSIGNMENT_SCHEMA` rows."""
        near, gaps = near_to_arrow(self.near, self.gaps)
        return pa.table(
            {
                S.ID: ids,
                S.DOMAIN: domains,
                S.CLUSTER: pa.array(self.cluster, pa.int64()),
                S.DISTANCE: pa.array(self.distance, pa.float32(), from_pandas=True),
                S.NEAR: near,
                S.NEAR_GAPS: gaps,
            },
            schema=S.ASSIGNMENT_SCHEMA,
        )


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
        got = cluster_kmeans.assign_near(vectors, centroids, device)
        extras = {"centroids": centroids, "trained_on": int(sample.sum())}
        return Assignment(got.cluster, got.distance, got.near, got.gaps, extras)


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
        near, gaps = cluster_hdbscan.near_clusters(vectors, labels, device)
        extras = {"coords": coords, "searches": searches, "backends": sorted(backends),
                  "clusters": offset}  # fmt: skip
        return Assignment(labels, distance.astype(np.float32), near, gaps, extras)
