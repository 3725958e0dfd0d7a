"""Dataset-3: SemDedup with UMAP + HDBSCAN clusters on the small domains of Dataset-2.

Three steps, each atomic and skipped when finished:

1. ``clusters/hdbscan``: the Dataset-2 documents of ``hdbscan.domains`` (all together, or one
   group per domain), their Dataset-1 embeddings reduced with UMAP and clustered with HDBSCAN
   (min_cluster_size given, or searched toward ``hdbscan.target_clusters``). Saved for inspection:
   ``points.parquet`` (id, domain, cluster (-1 = noise), x, y, distance to the cluster centroid),
   ``clusters.parquet`` (size, domains, representative documents), ``search.json``, and
   ``sample_points.parquet`` (2-D coordinates of a hash sample of the other domains);
2. ``clusters/hdbscan/similarity``: the one SemDedup core (:mod:`curation.stages.semdedup`) in
   every HDBSCAN cluster, in the original embedding space; noise points never take part (M = -1);
3. ``dataset-3``: eps given or calibrated (for all clustered domains, or per domain) to
   ``hdbscan.target_removal``; the other domains' documents copied unchanged; kept documents of
   the clustered domains gain ``hdbscan_cluster``; ledger stage ``semdedup_hdbscan``; per-cluster
   duplicate counts in ``cluster_duplicates.parquet``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from curation import schema as S
from curation.config import PipelineConfig, config_hash
from curation.datasets import read_kept
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.pipeline import dataset_writer
from curation.run_layout import (
    DATASET_2,
    DATASET_3,
    EMBEDDINGS,
    HDBSCAN,
    HDBSCAN_SIMILARITY,
    StageDir,
)
from curation.stages import cluster_hdbscan, cluster_kmeans, semdedup
from curation.storage import LocalStorage, join, local_path, normalize_uri, require_local_run

log = logging.getLogger(__name__)

SIMILARITY = HDBSCAN_SIMILARITY
CLUSTER_COLUMN = "hdbscan_cluster"
REASON_SEMANTIC = "semantic_duplicate"


def _fingerprints(run_uri: str, storage, cfg: PipelineConfig) -> tuple[str, str, str]:
    """(clusters, similarity, dataset-3) fingerprints."""
    h = cfg.hdbscan
    parents = {
        name: StageDir(storage, run_uri, name).manifest()["fingerprint"]
        for name in (DATASET_2, EMBEDDINGS)
    }
    clustering = {
        k: v
        for k, v in asdict(h).items()
        if k not in ("eps", "target_removal", "calibrate_per", "device")
    }
    clusters = config_hash({"parents": parents, "hdbscan": clustering})
    similarity = config_hash({"clusters": clusters, "core": semdedup.CORE_VERSION})
    ds3 = config_hash(
        {"similarity": similarity, "eps": h.eps, "target": h.target_removal, "per": h.calibrate_per}
    )
    return clusters, similarity, ds3


def _vectors(run_uri: str, ids: pa.ChunkedArray, where: pc.Expression) -> np.ndarray:
    """The embeddings of ``ids`` in their order (read with the filter ``where``)."""
    emb = E.read_embeddings(run_uri, [S.ID, E.EMBEDDING], where=where)
    at = pc.index_in(ids, value_set=emb.column(S.ID))
    if at.null_count:
        raise dataset_writer.MissingStageError("Dataset-2 documents without an embedding")
    return E.vectors_of(emb.column(E.EMBEDDING))[np.asarray(at)]


def _clustered_documents(
    run_uri: str, cfg: PipelineConfig, d2: pa.Table | None = None
) -> tuple[pa.Table, np.ndarray]:
    """Dataset-2 documents of the configured domains, sorted by id, and their vectors
    (``d2``: Dataset-2's id and domain columns, if already read)."""
    wanted = pa.array(list(cfg.hdbscan.domains), pa.string())
    if d2 is None:
        d2 = read_kept(run_uri, DATASET_2, [S.ID, S.DOMAIN])
    docs = d2.filter(pc.is_in(d2.column(S.DOMAIN), value_set=wanted)).sort_by(S.ID)
    return docs, _vectors(run_uri, docs.column(S.ID), pc.field(S.DOMAIN).isin(wanted))


def _groups(docs: pa.Table, cfg: PipelineConfig) -> list[tuple[str, np.ndarray]]:
    if cfg.hdbscan.group_by == "all":
        return [("+".join(cfg.hdbscan.domains), np.arange(docs.num_rows))]
    domains = np.asarray(docs.column(S.DOMAIN).to_pylist(), dtype=object)
    return [(d, np.flatnonzero(domains == d)) for d in cfg.hdbscan.domains if (domains == d).any()]


def build_clusters(run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str) -> dict:
    """Step 1: UMAP + HDBSCAN per group; points, clusters and representatives for inspection."""
    t0 = time.time()
    h = cfg.hdbscan
    device = resolve_device(h.device)
    d2 = read_kept(run_uri, DATASET_2, [S.ID, S.DOMAIN])
    docs, vectors = _clustered_documents(run_uri, cfg, d2)
    n = docs.num_rows
    ids = docs.column(S.ID)
    labels = np.full(n, -1, np.int64)
    coords = np.zeros((n, h.umap_components), np.float32)
    searches, backends, offset = [], set(), 0
    for name, rows in _groups(docs, cfg):
        result = cluster_hdbscan.cluster(vectors[rows], h, device)
        group_labels = result.labels
        labels[rows] = np.where(group_labels >= 0, group_labels + offset, -1)
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
    staging = local_path(stage.begin())
    points = pa.table(
        {
            S.ID: ids,
            S.DOMAIN: docs.column(S.DOMAIN),
            S.CLUSTER: pa.array(labels),
            "x": pa.array(coords[:, 0]),
            "y": pa.array(coords[:, min(1, h.umap_components - 1)]),
            "distance": pa.array(distance, pa.float32(), from_pandas=True),
        }
    )
    dataset_writer.write_table(points, staging, "points.parquet")
    clusters = _cluster_table(docs, distance, labels, h.representatives)
    dataset_writer.write_table(clusters, staging, "clusters.parquet")
    (staging / "search.json").write_text(json.dumps(searches, indent=1) + "\n")
    _write_sample_points(run_uri, cfg, d2, staging)
    manifest = {
        "stage": HDBSCAN,
        "documents": n,
        "clusters": offset,
        "noise_fraction": float((labels < 0).mean()) if n else 0.0,
        "backend": sorted(backends),
        "groups": [{k: v for k, v in g.items() if k != "trace"} for g in searches],
        "config": asdict(h),
        "elapsed_s": round(time.time() - t0, 2),
    }
    return stage.commit(manifest, fp)


def _cluster_table(docs: pa.Table, distance: np.ndarray, labels: np.ndarray, k: int) -> pa.Table:
    """One row per cluster: size, documents per domain, representatives (nearest the centroid)."""
    reps = cluster_hdbscan.representatives(docs.column(S.ID), distance, labels, k)
    per_domain = (
        pa.table({"cluster": pa.array(labels), S.DOMAIN: docs.column(S.DOMAIN)})
        .filter(pc.greater_equal(pc.field("cluster"), 0))
        .group_by(["cluster", S.DOMAIN])
        .aggregate([([], "count_all")])
        .sort_by([("cluster", "ascending"), (S.DOMAIN, "ascending")])
    )
    domains: dict[int, dict[str, int]] = {}
    for label, domain, count in zip(
        *(per_domain.column(c).to_pylist() for c in ("cluster", S.DOMAIN, "count_all")), strict=True
    ):
        domains.setdefault(label, {})[domain] = count
    rows = [
        {
            "cluster": label,
            "size": sum(counts.values()),
            "domains": json.dumps(counts),
            "representatives": reps.get(label, []),
        }
        for label, counts in domains.items()
    ]
    schema = pa.schema([("cluster", pa.int64()), ("size", pa.int64()), ("domains", pa.string()),
                        ("representatives", pa.list_(pa.string()))])  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def _write_sample_points(run_uri: str, cfg: PipelineConfig, d2: pa.Table, staging) -> None:
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
    vectors = _vectors(run_uri, sample.column(S.ID), pc.field(S.ID).isin(sample.column(S.ID)))
    reduced = cluster_hdbscan.reduce(vectors, h, resolve_device(h.device))
    xy = np.asarray(reduced.coords)
    table = pa.table({S.ID: sample.column(S.ID), S.DOMAIN: sample.column(S.DOMAIN),
                      "x": pa.array(xy[:, 0]), "y": pa.array(xy[:, min(1, xy.shape[1] - 1)])})  # fmt: skip
    dataset_writer.write_table(table, staging, "sample_points.parquet")


def build_similarity(run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str) -> dict:
    """Step 2: the SemDedup core inside every HDBSCAN cluster (noise points: M = -1)."""
    t0 = time.time()
    docs, vectors = _clustered_documents(run_uri, cfg)
    points = dataset_writer.read_folder(local_path(join(run_uri, HDBSCAN)) / "points.parquet")
    if points.column(S.ID).to_pylist() != docs.column(S.ID).to_pylist():
        raise RuntimeError(f"{HDBSCAN}/points.parquet does not match Dataset-2: rebuild it")
    device = resolve_device(cfg.semdedup.device)
    distance = np.asarray(points.column("distance").fill_null(np.nan), np.float32)
    labels = np.asarray(points.column(S.CLUSTER), np.int64)
    with tqdm(
        total=len(labels), unit="docs", desc="SemDedup (HDBSCAN clusters)", disable=None
    ) as bar:
        table = cluster_hdbscan.dedup(
            docs.column(S.ID), vectors, labels, distance, cfg.semdedup.tile_size, device, bar.update
        )
    domain_of = dict(
        zip(docs.column(S.ID).to_pylist(), docs.column(S.DOMAIN).to_pylist(), strict=True)
    )
    table = table.append_column(
        S.DOMAIN, pa.array([domain_of[i] for i in table.column(S.ID).to_pylist()])
    )
    staging = local_path(stage.begin())
    dataset_writer.write_table(table, staging / "data", "part-00000.parquet")
    manifest = {"stage": SIMILARITY, "documents": table.num_rows, "device": device,
                "elapsed_s": round(time.time() - t0, 2)}  # fmt: skip
    return stage.commit(manifest, fp)


def choose_eps(
    m: np.ndarray, domains: np.ndarray, cfg: PipelineConfig
) -> tuple[dict[str, float], dict]:
    """eps per clustered domain (one value for all unless calibrate_per=domain) and the curve;
    ``m`` and ``domains``: every clustered document's M and domain."""
    h = cfg.hdbscan
    names = sorted(set(domains.tolist()))
    if h.target_removal is None:
        eps = dict.fromkeys(names, h.eps)
    elif h.calibrate_per == "all":
        eps = dict.fromkeys(names, semdedup.calibrate_eps(m, h.target_removal))
    else:
        eps = {d: semdedup.calibrate_eps(m[domains == d], h.target_removal) for d in names}
    grid = semdedup.curve_grid(eps.values())
    return eps, semdedup.removal_curve(m, domains.tolist(), grid)


def build_dataset3(run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str) -> dict:
    """Step 3: thresholds, Dataset-3 (other domains unchanged), ledger, manifest."""
    t0 = time.time()
    similarity = dataset_writer.read_folder(local_path(join(run_uri, SIMILARITY)) / "data")
    m = np.asarray(similarity.column("M"), np.float64)
    domains = np.asarray(similarity.column(S.DOMAIN).to_pylist(), dtype=object)
    eps, curve = choose_eps(m, domains, cfg)
    removed = m > np.array([1.0 - eps[d] for d in domains])
    verdicts = similarity.append_column("removed", pa.array(removed))
    staging = local_path(stage.begin())
    (staging / "eps_curve.json").write_text(json.dumps(curve, indent=1) + "\n")
    counts = dataset_writer.write_dataset(
        run_uri, DATASET_2, staging, verdicts,
        stage=S.STAGE_SEMDEDUP_HDBSCAN, reason=REASON_SEMANTIC,
        detail=lambda d: f"eps={eps.get(d, float('nan')):.6g}",
        every_row_judged=False, cluster_column=CLUSTER_COLUMN,
    )  # fmt: skip
    per_cluster = (
        verdicts.filter(pc.greater_equal(verdicts.column(S.CLUSTER), 0))
        .group_by(S.CLUSTER)
        .aggregate([(S.ID, "count"), ("removed", "sum")])
        .rename_columns([S.CLUSTER, "size", "duplicates_removed"])
        .sort_by(S.CLUSTER)
    )
    dataset_writer.write_table(per_cluster, staging, "cluster_duplicates.parquet")
    clustered = len(m)
    manifest = dataset_writer.manifest_of(
        counts,
        stage=DATASET_3,
        semdedup={
            "eps": eps,
            "target_removal": cfg.hdbscan.target_removal,
            "calibrate_per": cfg.hdbscan.calibrate_per,
            "clustered_documents": clustered,
            "achieved_removal": float(removed.mean()) if clustered else 0.0,
            "noise_kept": int((np.asarray(similarity.column(S.CLUSTER)) < 0).sum()),
        },
        config={"hdbscan": asdict(cfg.hdbscan)},
        elapsed_s=round(time.time() - t0, 2),
    )
    return stage.commit(manifest, fp)


def run(run_path: str, cfg: PipelineConfig) -> dict:
    """Build ``<run>/dataset-3`` from Dataset-2 (each step skipped when done)."""
    run_uri = normalize_uri(run_path)
    require_local_run(run_uri, "Dataset-3")
    storage = LocalStorage()
    dataset_writer.require_finished(storage, run_uri, DATASET_2, EMBEDDINGS)
    fp_clusters, fp_similarity, fp_ds3 = _fingerprints(run_uri, storage, cfg)
    ds3 = StageDir(storage, run_uri, DATASET_3)
    if not ds3.should_run(fp_ds3, cfg.run.force):
        return ds3.manifest()
    dataset_writer.ensure_step(
        storage, run_uri, HDBSCAN, fp_clusters, partial(build_clusters, run_uri, cfg)
    )
    dataset_writer.ensure_step(
        storage, run_uri, SIMILARITY, fp_similarity, partial(build_similarity, run_uri, cfg)
    )
    return build_dataset3(run_uri, cfg, ds3, fp_ds3)
