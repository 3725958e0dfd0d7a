"""The k-means clustering under Dataset-2's SemDedup: ``<run>/clusters/kmeans``.

Spherical k-means (:class:`curation.stages.clustering.KMeansClustering`: faiss, trained on the
hash-chosen sample of the embeddings), then every document assigned to its nearest centroid. Writes
``centroids.npy`` and ``assignments/`` (:data:`~curation.schema.ASSIGNMENT_SCHEMA`: id, domain,
cluster, distance, the nearest other clusters and their gaps), the table the SemDedup similarity
step reads.
"""

from __future__ import annotations

import io
import time

import numpy as np

from curation import schema as S
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.pipeline import dataset_writer
from curation.run_layout import EMBEDDINGS
from curation.runner import Build
from curation.stages import cluster_kmeans
from curation.stages.clustering import KMeansClustering
from curation.storage import local_path

ASSIGNMENTS = "assignments"
CENTROIDS = "centroids.npy"


def build(ctx: Build) -> dict:
    """Train k-means on the hash sample, assign every document (here, or on Spark)."""
    if ctx.spark is not None:
        return _build_on_spark(ctx)
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
    dataset_writer.write_table(got.table(ids, domains), out / ASSIGNMENTS, "part-00000.parquet")
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


def _build_on_spark(ctx: Build) -> dict:
    """The same on Spark: the driver holds the training sample and the centroids only."""
    from curation.spark import kmeans as spark_kmeans

    t0 = time.time()
    cfg, spark = ctx.cfg.kmeans, ctx.spark
    meta = ctx.parent(EMBEDDINGS).manifest()
    dim, dtype = int(meta["dim"]), meta["dtype"]
    spark.sparkContext.setJobDescription("clusters/kmeans: count, hash sample")
    emb = spark_kmeans.read_embeddings(spark, ctx.run)
    n = emb.count()
    k = cluster_kmeans.n_clusters_for(n, cfg)
    sample = spark_kmeans.training_sample(emb, cfg.sample_size)
    device = resolve_device(cfg.device)
    vectors = spark_kmeans.decode(sample.column(E.EMBEDDING), dim, dtype)
    centroids = cluster_kmeans.train_kmeans(vectors, k, cfg, device, ids=sample.column(S.ID))
    buffer = io.BytesIO()
    np.save(buffer, centroids)
    ctx.storage.write_bytes(ctx.path(CENTROIDS), buffer.getvalue())
    spark.sparkContext.setJobDescription(f"clusters/kmeans: assign {n} documents to {k} centroids")
    spark_kmeans.assign(emb, centroids, dim, dtype, cfg.device).write.parquet(ctx.path(ASSIGNMENTS))
    counts = (
        spark.read.parquet(ctx.path(ASSIGNMENTS)).groupBy(S.CLUSTER).count().toArrow()
    )  # one row per cluster
    sizes = np.zeros(len(centroids), np.int64)
    sizes[np.asarray(counts.column(S.CLUSTER))] = np.asarray(counts.column("count"))
    return {
        "stage": ctx.stage.name,
        "documents": n,
        "clusters": len(centroids),
        "trained_on": sample.num_rows,
        "cluster_size": _stats(sizes),
        "device": device,
        "engine": "spark",
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
