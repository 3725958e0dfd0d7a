"""The k-means clustering under Dataset-2's SemDedup: ``<run>/clusters/kmeans``.

Spherical k-means (:class:`curation.stages.clustering.KMeansClustering`: faiss, trained on the
hash-chosen sample of the embeddings), then every document assigned to its nearest centroid. Writes ``centroids.npy`` and ``assignments/`` (:data:`~curation.schema.ASSIGNMENT_SCHEMA`:
id, domain, cluster, distance), the table the SemDedup similarity step reads.
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from curation import schema as S
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.pipeline import dataset_writer
from curation.runner import Build
from curation.stages.clustering import KMeansClustering
from curation.storage import local_path

ASSIGNMENTS = "assignments"
CENTROIDS = "centroids.npy"


def build(ctx: Build) -> dict:
    """Train k-means on the hash sample, assign every document."""
    t0 = time.time()
    cfg = ctx.cfg
    emb = E.read_embeddings(ctx.run)
    ids, domains = emb.column(S.ID), emb.column(S.DOMAIN)
    vectors = E.vectors_of(emb.column(E.EMBEDDING))
    device = resolve_device(cfg.kmeans.device)
    got = KMeansClustering(cfg.kmeans).assign(ids, np.asarray(domains), vectors, device)
    out = local_path(ctx.out)
    centroids = got.extras["centroids"]
    np.save(out / CENTROIDS, centroids)
    assignments = pa.table(
        {
            S.ID: ids,
            S.DOMAIN: domains,
            S.CLUSTER: pa.array(got.cluster, pa.int64()),
            S.DISTANCE: pa.array(got.distance, pa.float32()),
        },
        schema=S.ASSIGNMENT_SCHEMA,
    )
    dataset_writer.write_table(assignments, out / ASSIGNMENTS, "part-00000.parquet")
    sizes = np.bincount(got.cluster, minlength=len(centroids))
    return {
        "stage": ctx.stage.name,
        "documents": len(vectors),
        "clusters": len(centroids),
        "trained_on": got.extras["trained_on"],
        "cluster_size": _stats(sizes),
        "device": device,
        "elapsed_s": round(time.time() - t0, 2),
    }


def _stats(sizes: np.ndarray) -> dict:
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "mean": float(sizes.mean()),
        "max": int(sizes.max()),
        "empty": int((sizes == 0).sum()),
    }
