"""The UMAP + HDBSCAN clustering under Dataset-3's SemDedup: ``<run>/clusters/hdbscan``.

The Dataset-2 documents of ``hdbscan.domains`` (all together, or one group per domain), their
embeddings reduced with UMAP and clustered with HDBSCAN (min_cluster_size given, or searched toward
``hdbscan.target_clusters``). Writes ``points.parquet`` - the assignment table the SemDedup
similarity step reads (:data:`~curation.schema.ASSIGNMENT_SCHEMA` plus the 2-D ``x``, ``y``;
cluster -1 = noise, with no nearest clusters) - and, for inspection, ``clusters.parquet`` (size, documents per domain,
representatives), ``search.json`` (the min_cluster_size search) and ``sample_points.parquet``
(2-D coordinates of a hash sample of the other domains).

UMAP + HDBSCAN runs on one node, as the reference did (cuML on a GPU node): on Spark, the driver
gathers the clustered domains' documents and vectors only - at most ``hdbscan.max_documents``, a
refusal with a clear message above it - and the inspection sample; everything else of Dataset-3
runs on the executors.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import PipelineConfig
from curation.datasets import read_kept
from curation.device import resolve_device
from curation.errors import CurationError
from curation.pipeline import dataset_writer
from curation.pipeline.vectors import vectors_of_ids
from curation.run_layout import DATASET_2, EMBEDDINGS
from curation.runner import Build
from curation.stages import cluster_hdbscan, cluster_kmeans
from curation.stages.clustering import UmapHdbscanClustering
from curation.storage import local_path

POINTS = "points.parquet"
CLUSTERS = "clusters.parquet"
SEARCH = "search.json"
SAMPLE_POINTS = "sample_points.parquet"
X, Y = "x", "y"


class TooManyDocumentsError(CurationError, RuntimeError):
    """More documents to cluster on one node than ``hdbscan.max_documents`` allows."""


def backend(cfg: PipelineConfig) -> str:
    """The UMAP/HDBSCAN implementation ``hdbscan.device`` resolves to (their results differ)."""
    return cluster_hdbscan.backend_for(resolve_device(cfg.hdbscan.device))


def clustered_documents(run: str, cfg: PipelineConfig, d2: pa.Table | None = None) -> pa.Table:
    """Dataset-2's id and domain of the configured domains, sorted by id (``d2``: Dataset-2's
    id and domain columns, if already read)."""
    wanted = pa.array(list(cfg.hdbscan.domains), pa.string())
    if d2 is None:
        d2 = read_kept(run, DATASET_2, [S.ID, S.DOMAIN])
    return d2.filter(pc.is_in(d2.column(S.DOMAIN), value_set=wanted)).sort_by(S.ID)


@dataclass
class _Inputs:
    docs: pa.Table  # id, domain of the clustered documents, sorted by id
    vectors: np.ndarray
    sample: pa.Table | None  # id, domain of the inspection sample of the other domains, by id
    sample_vectors: np.ndarray | None


def _too_many(n: int, cfg: PipelineConfig) -> None:
    h = cfg.hdbscan
    if n > h.max_documents:
        raise TooManyDocumentsError(
            f"Dataset-3 clusters its {n:,} documents of {', '.join(h.domains)} with UMAP + "
            f"HDBSCAN on one node, and hdbscan.max_documents is {h.max_documents:,}: raise it "
            "on a node with the memory for it (README: memory per process), or name fewer "
            "domains in hdbscan.domains"
        )


def _gather_here(ctx: Build) -> _Inputs:
    h = ctx.cfg.hdbscan
    d2 = read_kept(ctx.run, DATASET_2, [S.ID, S.DOMAIN])
    docs = clustered_documents(ctx.run, ctx.cfg, d2)
    _too_many(docs.num_rows, ctx.cfg)
    vectors = vectors_of_ids(ctx.run, docs.column(S.ID), list(h.domains))
    others = d2.filter(
        pc.invert(pc.is_in(d2.column(S.DOMAIN), value_set=pa.array(list(h.domains))))
    )
    if h.inspect_sample == 0 or others.num_rows < max(3, h.umap_neighbors + 2):
        return _Inputs(docs, vectors, None, None)
    pick = cluster_kmeans.training_sample(others.column(S.ID), h.inspect_sample)
    sample = others.filter(pa.array(pick)).sort_by(S.ID)
    return _Inputs(docs, vectors, sample, vectors_of_ids(ctx.run, sample.column(S.ID)))


def _gather_on_spark(ctx: Build) -> _Inputs:
    """The same inputs, gathered on the executors; the driver receives only them."""
    from pyspark.sql import functions as F

    from curation.spark import kmeans as spark_kmeans
    from curation.spark.writers import read_dataset

    spark, h = ctx.spark, ctx.cfg.hdbscan
    meta = ctx.parent(EMBEDDINGS).manifest()
    dim, dtype = int(meta["dim"]), meta["dtype"]
    spark.sparkContext.setJobDescription("clusters/hdbscan: gather the clustered domains")
    d2 = read_dataset(spark, ctx.run, DATASET_2).select(S.ID, S.DOMAIN)
    inside = F.col(S.DOMAIN).isin(list(h.domains))
    _too_many(d2.filter(inside).count(), ctx.cfg)
    emb = spark_kmeans.read_embeddings(spark, ctx.run, (S.ID, "embedding"))

    def fetch(df) -> tuple[pa.Table, np.ndarray]:  # noqa: ANN001
        table = df.join(emb, on=S.ID).orderBy(S.ID).toArrow()
        vectors = spark_kmeans.decode(table.column("embedding"), dim, dtype)
        return table.select([S.ID, S.DOMAIN]), vectors

    docs, vectors = fetch(d2.filter(inside))
    others = d2.filter(~inside)
    if h.inspect_sample == 0 or others.limit(h.umap_neighbors + 2).count() < max(
        3, h.umap_neighbors + 2
    ):
        return _Inputs(docs, vectors, None, None)
    hashed = others.withColumn("_h", F.xxhash64(S.ID)).orderBy("_h", S.ID).limit(h.inspect_sample)
    sample, sample_vectors = fetch(hashed.select(S.ID, S.DOMAIN))
    return _Inputs(docs, vectors, sample, sample_vectors)


def _write(ctx: Build, table: pa.Table, name: str) -> None:
    """One small table of the clustering: a Parquet file here, a one-file folder on Spark."""
    if ctx.spark is None:
        dataset_writer.write_table(table, local_path(ctx.out), name)
    else:
        ctx.spark.createDataFrame(table).coalesce(1).write.parquet(ctx.path(name))


def build(ctx: Build) -> dict:
    """UMAP + HDBSCAN per group; points, clusters and representatives for inspection."""
    t0 = time.time()
    h = ctx.cfg.hdbscan
    device = resolve_device(h.device)
    got_in = _gather_here(ctx) if ctx.spark is None else _gather_on_spark(ctx)
    docs = got_in.docs
    domains = np.asarray(docs.column(S.DOMAIN).to_pylist(), dtype=object)
    got = UmapHdbscanClustering(h).assign(docs.column(S.ID), domains, got_in.vectors, device)
    labels, coords = got.cluster, got.extras["coords"]
    n = docs.num_rows
    assigned = got.table(docs.column(S.ID), docs.column(S.DOMAIN))
    points = assigned.select([S.ID, S.DOMAIN, S.CLUSTER])
    points = points.append_column(X, pa.array(coords[:, 0]))
    points = points.append_column(Y, pa.array(coords[:, min(1, h.umap_components - 1)]))
    for name in (S.DISTANCE, S.NEAR, S.NEAR_GAPS):
        points = points.append_column(name, assigned.column(name))
    _write(ctx, points, POINTS)
    _write(ctx, _cluster_table(docs, got.distance, labels, h.representatives), CLUSTERS)
    searches = got.extras["searches"]
    ctx.storage.write_text(ctx.path(SEARCH), json.dumps(searches, indent=1) + "\n")
    if got_in.sample is not None:
        reduced = cluster_hdbscan.reduce(got_in.sample_vectors, h, device)
        xy = np.asarray(reduced.coords)
        sample = got_in.sample
        table = pa.table({S.ID: sample.column(S.ID), S.DOMAIN: sample.column(S.DOMAIN),
                          X: pa.array(xy[:, 0]), Y: pa.array(xy[:, min(1, xy.shape[1] - 1)])})  # fmt: skip
        _write(ctx, table, SAMPLE_POINTS)
    return {
        "stage": ctx.stage.name,
        "documents": n,
        "clusters": got.extras["clusters"],
        "noise_fraction": float((labels < 0).mean()) if n else 0.0,
        "backend": got.extras["backends"],
        "groups": [{k: v for k, v in g.items() if k != "trace"} for g in searches],
        "engine": "local" if ctx.spark is None else "spark",
        "elapsed_s": round(time.time() - t0, 2),
    }


def _cluster_table(docs: pa.Table, distance: np.ndarray, labels: np.ndarray, k: int) -> pa.Table:
    """One row per cluster: size, documents per domain, representatives (nearest the centroid)."""
    reps = cluster_hdbscan.representatives(docs.column(S.ID), distance, labels, k)
    per_domain = (
        pa.table({S.CLUSTER: pa.array(labels), S.DOMAIN: docs.column(S.DOMAIN)})
        .filter(pc.greater_equal(pc.field(S.CLUSTER), 0))
        .group_by([S.CLUSTER, S.DOMAIN])
        .aggregate([([], "count_all")])
        .sort_by([(S.CLUSTER, "ascending"), (S.DOMAIN, "ascending")])
    )
    domains: dict[int, dict[str, int]] = {}
    for label, domain, count in zip(
        *(per_domain.column(c).to_pylist() for c in (S.CLUSTER, S.DOMAIN, "count_all")),
        strict=True,
    ):
        domains.setdefault(label, {})[domain] = count
    rows = [
        {
            S.CLUSTER: label,
            "size": sum(counts.values()),
            "domains": json.dumps(counts),
            "representatives": reps.get(label, []),
        }
        for label, counts in domains.items()
    ]
    schema = pa.schema([(S.CLUSTER, pa.int64()), ("size", pa.int64()), ("domains", pa.string()),
                        ("representatives", pa.list_(pa.string()))])  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)
