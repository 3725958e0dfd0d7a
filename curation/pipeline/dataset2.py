"""Dataset-2: SemDedup with faiss k-means over the Dataset-1 embeddings.

Three steps, each atomic and skipped when finished (``<run>/clusters/kmeans/...``):

1. ``clusters/kmeans``: spherical k-means trained on a hash-chosen sample, every document
   assigned to its nearest centroid (``centroids.npy``, ``assignments/``: id, domain, cluster,
   distance);
2. ``clusters/kmeans/similarity``: per cluster, documents sorted farthest-first and, for each, the
   largest similarity M to a document before it and that document's id (``max_id``) - the one
   SemDedup core (:mod:`curation.stages.semdedup`), run here or as a Spark job;
3. ``dataset-2``: eps (given, or calibrated to a target removal fraction from the stored M, with
   the whole eps -> removal curve written beside it), then the kept documents with their
   ``cluster``, the ledger (stage ``semdedup_kmeans``, score = M, duplicate_of = max_id) and the
   manifest. Changing eps or the target redoes only this step.
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

from curation import schema as S
from curation.config import PipelineConfig, config_hash
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.pipeline import dataset_writer
from curation.run_layout import (
    DATASET_1,
    DATASET_2,
    EMBEDDINGS,
    KMEANS,
    KMEANS_SIMILARITY,
    StageDir,
)
from curation.stages import cluster_kmeans, semdedup
from curation.storage import LocalStorage, join, local_path, normalize_uri, require_local_run

log = logging.getLogger(__name__)

SIMILARITY = KMEANS_SIMILARITY
REASON_SEMANTIC = "semantic_duplicate"
SIMILARITY_SCHEMA = semdedup.SIMILARITY_SCHEMA


def _fingerprints(run_uri: str, storage, cfg: PipelineConfig) -> tuple[str, str, str]:
    """(clusters, similarity, dataset-2) fingerprints."""
    emb = StageDir(storage, run_uri, EMBEDDINGS).manifest()["fingerprint"]
    clusters = config_hash({"embeddings": emb, "kmeans": asdict(cfg.kmeans) | {"device": None}})
    similarity = config_hash({"clusters": clusters, "core": semdedup.CORE_VERSION})
    ds2 = config_hash(
        {"similarity": similarity, "eps": cfg.semdedup.eps, "target": cfg.semdedup.target_removal}
    )
    return clusters, similarity, ds2


def build_clusters(run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str) -> dict:
    """Step 1: train k-means on the hash sample, assign every document."""
    t0 = time.time()
    emb = E.read_embeddings(run_uri)
    ids = emb.column(S.ID)
    vectors = E.vectors_of(emb.column(E.EMBEDDING))
    k = cluster_kmeans.n_clusters_for(len(vectors), cfg.kmeans)
    sample = cluster_kmeans.training_sample(ids, cfg.kmeans.sample_size)
    device = resolve_device(cfg.kmeans.device)
    log.info(
        "k-means: %d clusters from %d of %d documents on %s", k, sample.sum(), len(vectors), device
    )
    centroids = cluster_kmeans.train_kmeans(
        vectors[sample], k, cfg.kmeans, device, ids=ids.filter(pa.array(sample))
    )
    cluster, distance = cluster_kmeans.assign(vectors, centroids, device)
    staging = stage.begin()
    out = local_path(staging)
    np.save(out / "centroids.npy", centroids)
    assignments = pa.table(
        {
            S.ID: ids,
            S.DOMAIN: emb.column(S.DOMAIN),
            S.CLUSTER: pa.array(cluster, pa.int64()),
            "distance": pa.array(distance, pa.float32()),
        }
    )
    dataset_writer.write_table(assignments, out / "assignments", "part-00000.parquet")
    sizes = np.bincount(cluster, minlength=len(centroids))
    manifest = {
        "stage": KMEANS,
        "documents": len(vectors),
        "clusters": len(centroids),
        "trained_on": int(sample.sum()),
        "cluster_size": _stats(sizes),
        "config": asdict(cfg.kmeans),
        "elapsed_s": round(time.time() - t0, 2),
    }
    return stage.commit(manifest, fp)


def _stats(sizes: np.ndarray) -> dict:
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "mean": float(sizes.mean()),
        "max": int(sizes.max()),
        "empty": int((sizes == 0).sum()),
    }


def _assignments_with_vectors(run_uri: str) -> tuple[pa.Table, np.ndarray]:
    """Assignments joined to the embeddings (by id), in one table, plus the vectors."""
    emb = E.read_embeddings(run_uri)
    assigned = dataset_writer.read_folder(local_path(join(run_uri, KMEANS, "assignments")))
    order = pc.index_in(assigned.column(S.ID), value_set=emb.column(S.ID))
    if order.null_count:
        raise RuntimeError("cluster assignments name documents that have no embedding")
    vectors = E.vectors_of(emb.column(E.EMBEDDING))[np.asarray(order)]
    return assigned, vectors


def build_similarity(
    run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str, spark=None
) -> dict:
    """Step 2: the SemDedup core over every cluster (here, or one cluster per Spark task)."""
    t0 = time.time()
    staging = stage.begin()
    device = resolve_device(cfg.semdedup.device)
    if cfg.semdedup.engine == "spark" and spark is not None:
        from curation.spark.semdedup import similarity_on_spark

        similarity_on_spark(spark, run_uri, join(staging, "data"), cfg)
        table = dataset_writer.read_folder(local_path(join(staging, "data")))
    else:
        from tqdm.auto import tqdm

        assigned, vectors = _assignments_with_vectors(run_uri)
        with tqdm(total=assigned.num_rows, unit="docs", desc="SemDedup", disable=None) as bar:
            table = semdedup.semdedup_all(
                assigned.column(S.ID),
                np.asarray(assigned.column(S.CLUSTER)),
                np.asarray(assigned.column("distance")),
                vectors,
                cfg.semdedup.tile_size,
                device,
                bar.update,
            )
        domain_of = dict(
            zip(
                assigned.column(S.ID).to_pylist(),
                assigned.column(S.DOMAIN).to_pylist(),
                strict=True,
            )
        )
        table = table.append_column(
            S.DOMAIN, pa.array([domain_of[i] for i in table.column(S.ID).to_pylist()])
        )
        dataset_writer.write_table(
            S.conform(table, SIMILARITY_SCHEMA),
            local_path(join(staging, "data")),
            "part-00000.parquet",
        )
    manifest = {
        "stage": SIMILARITY,
        "documents": table.num_rows,
        "engine": cfg.semdedup.engine if spark is not None else "local",
        "tile_size": cfg.semdedup.tile_size,
        "device": device,
        "elapsed_s": round(time.time() - t0, 2),
    }
    return stage.commit(manifest, fp)


def choose_eps(similarity: pa.Table, cfg: PipelineConfig) -> tuple[float, dict]:
    """eps (given or calibrated) and the eps -> removal-fraction curve, overall and per domain."""
    m = np.asarray(similarity.column("M"), dtype=np.float64)
    target = cfg.semdedup.target_removal
    eps = cfg.semdedup.eps if target is None else semdedup.calibrate_eps(m, target)
    grid = semdedup.curve_grid([eps])
    curve = semdedup.removal_curve(m, similarity.column(S.DOMAIN).to_pylist(), grid)
    return eps, curve


def build_dataset2(run_uri: str, cfg: PipelineConfig, stage: StageDir, fp: str) -> dict:
    """Step 3: threshold, kept documents, ledger, manifest."""
    t0 = time.time()
    similarity = dataset_writer.read_folder(local_path(join(run_uri, SIMILARITY, "data")))
    eps, curve = choose_eps(similarity, cfg)
    m = np.asarray(similarity.column("M"), dtype=np.float64)
    removed = pa.array(m > 1.0 - eps)
    verdicts = similarity.append_column("removed", removed)
    staging = stage.begin()
    (local_path(staging) / "eps_curve.json").write_text(json.dumps(curve, indent=1) + "\n")
    counts = dataset_writer.write_dataset(
        run_uri,
        DATASET_1,
        local_path(staging),
        verdicts,
        stage=S.STAGE_SEMDEDUP_KMEANS,
        reason=REASON_SEMANTIC,
        detail=f"eps={eps:.6g}",
    )
    achieved = float(removed.to_numpy(zero_copy_only=False).mean()) if len(m) else 0.0
    manifest = dataset_writer.manifest_of(
        counts,
        stage=DATASET_2,
        semdedup={
            "eps": eps,
            "threshold": 1.0 - eps,
            "target_removal": cfg.semdedup.target_removal,
            "achieved_removal": achieved,
        },  # fmt: skip
        config={k: v for k, v in cfg.to_dict().items() if k in ("embed", "kmeans", "semdedup")},
        elapsed_s=round(time.time() - t0, 2),
    )
    return stage.commit(manifest, fp)


def run(run_path: str, cfg: PipelineConfig, spark=None) -> dict:
    """Build ``<run>/dataset-2`` from Dataset-1 and its embeddings (each step skipped when done)."""
    run_uri = normalize_uri(run_path)
    require_local_run(run_uri, "Dataset-2")
    storage = LocalStorage()
    dataset_writer.require_finished(storage, run_uri, DATASET_1, EMBEDDINGS)
    fp_clusters, fp_similarity, fp_ds2 = _fingerprints(run_uri, storage, cfg)
    ds2 = StageDir(storage, run_uri, DATASET_2)
    if not ds2.should_run(fp_ds2, cfg.run.force):
        return ds2.manifest()
    dataset_writer.ensure_step(
        storage, run_uri, KMEANS, fp_clusters, partial(build_clusters, run_uri, cfg)
    )
    dataset_writer.ensure_step(
        storage, run_uri, SIMILARITY, fp_similarity,
        lambda stage, fp: build_similarity(run_uri, cfg, stage, fp, spark),
    )  # fmt: skip
    return build_dataset2(run_uri, cfg, ds2, fp_ds2)
