"""The UMAP + HDBSCAN clustering under Dataset-3's SemDedup: ``<run>/clusters/hdbscan``.

The Dataset-2 documents of ``hdbscan.domains`` (all together, or one group per domain), their
embeddings reduced with UMAP and clustered with HDBSCAN (min_cluster_size given, or searched toward
``hdbscan.target_clusters``). Writes ``points.parquet`` - the assignment table the SemDedup
similarity step reads (:data:`~curation.schema.ASSIGNMENT_SCHEMA` plus the 2-D ``x``, ``y``;
cluster -1 = noise) - and, for inspection, ``clusters.parquet`` (size, documents per domain,
representatives), ``search.json`` (the min_cluster_size search) and ``sample_points.parquet``
(2-D coordinates of a hash sample of the other domains).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import PipelineConfig
from curation.datasets import read_kept
from curation.device import resolve_device
from curation.pipeline import dataset_writer
from curation.pipeline.vectors import vectors_of_ids
from curation.run_layout import DATASET_2
from curation.runner import Build
from curation.stages import cluster_hdbscan, cluster_kmeans
from curation.stages.clustering import UmapHdbscanClustering
from curation.storage import local_path

POINTS = "points.parquet"
CLUSTERS = "clusters.parquet"
SEARCH = "search.json"
SAMPLE_POINTS = "sample_points.parquet"
X, Y = "x", "y"


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


def build(ctx: Build) -> dict:
    """UMAP + HDBSCAN per group; points, clusters and representatives for inspection."""
    t0 = time.time()
    cfg, h = ctx.cfg, ctx.cfg.hdbscan
    device = resolve_device(h.device)
    d2 = read_kept(ctx.run, DATASET_2, [S.ID, S.DOMAIN])
    docs = clustered_documents(ctx.run, cfg, d2)
    vectors = vectors_of_ids(ctx.run, docs.column(S.ID), list(h.domains))
    domains = np.asarray(docs.column(S.DOMAIN).to_pylist(), dtype=object)
    got = UmapHdbscanClustering(h).assign(docs.column(S.ID), domains, vectors, device)
    labels, coords = got.cluster, got.extras["coords"]
    n = docs.num_rows
    out = local_path(ctx.out)
    points = pa.table(
        {
            S.ID: docs.column(S.ID),
            S.DOMAIN: docs.column(S.DOMAIN),
            S.CLUSTER: pa.array(labels),
            X: pa.array(coords[:, 0]),
            Y: pa.array(coords[:, min(1, h.umap_components - 1)]),
            S.DISTANCE: pa.array(got.distance, pa.float32(), from_pandas=True),
        }
    )
    dataset_writer.write_table(points, out, POINTS)
    clusters = _cluster_table(docs, got.distance, labels, h.representatives)
    dataset_writer.write_table(clusters, out, CLUSTERS)
    searches = got.extras["searches"]
    (out / SEARCH).write_text(json.dumps(searches, indent=1) + "\n")
    _write_sample_points(ctx.run, cfg, d2, out)
    return {
        "stage": ctx.stage.name,
        "documents": n,
        "clusters": got.extras["clusters"],
        "noise_fraction": float((labels < 0).mean()) if n else 0.0,
        "backend": got.extras["backends"],
        "groups": [{k: v for k, v in g.items() if k != "trace"} for g in searches],
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


def _write_sample_points(run: str, cfg: PipelineConfig, d2: pa.Table, out) -> None:  # noqa: ANN001
    """2-D coordinates of a hash sample of the other domains (their own UMAP, for a map view)."""
    h = cfg.hdbscan
    if h.inspect_sample == 0:
        return
    others = d2.filter(
        pc.invert(pc.is_in(d2.column(S.DOMAIN), value_set=pa.array(list(h.domains))))
    )
    if others.num_rows < max(3, h.umap_neighbors + 2):
        return
    pick = cluster_kmeans.training_sample(others.column(S.ID), h.inspect_sample)
    sample = others.filter(pa.array(pick)).sort_by(S.ID)
    vectors = vectors_of_ids(run, sample.column(S.ID))
    reduced = cluster_hdbscan.reduce(vectors, h, resolve_device(h.device))
    xy = np.asarray(reduced.coords)
    table = pa.table({S.ID: sample.column(S.ID), S.DOMAIN: sample.column(S.DOMAIN),
                      X: pa.array(xy[:, 0]), Y: pa.array(xy[:, min(1, xy.shape[1] - 1)])})  # fmt: skip
    dataset_writer.write_table(table, out, SAMPLE_POINTS)
