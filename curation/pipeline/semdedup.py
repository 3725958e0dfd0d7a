"""The one SemDedup stage, parameterised by its clustering: Dataset-2 (k-means over every
Dataset-1 document) and Dataset-3 (UMAP + HDBSCAN over the small domains of Dataset-2).

Three declared stages per clustering (:func:`stages`), run by :mod:`curation.runner`:

1. ``clusters/<method>`` (a cache): the clustering assigns every document it covers a cluster,
   its distance to the centroid and its nearest other clusters
   (:data:`~curation.schema.ASSIGNMENT_SCHEMA`; cluster -1 = noise); see
   :mod:`curation.pipeline.clusters_kmeans` and :mod:`curation.pipeline.clusters_hdbscan`;
2. ``clusters/<method>/similarity`` (a cache): the one SemDedup core
   (:func:`curation.stages.semdedup.semdedup_all`) in every cluster - per document, the largest
   similarity M to a document farther from the centroid and that document's id (``max_id``);
   noise is never compared (M = -1) - and, with ``semdedup.cross_clusters`` > 0, the
   cross-boundary pass (:mod:`curation.stages.semdedup_cross`: also the members of nearby
   clusters, under one total order; ``cross`` = the twin is in another cluster). Here, or as a
   Spark job (one cluster per task; with the pass, one target cluster and its visitors per task);
3. the dataset: eps given or calibrated to the target removal (one eps for all judged documents,
   or one per domain), the verdict ``M > 1 - eps`` (:func:`~curation.stages.semdedup.removed_mask`),
   the whole eps -> removal curve in ``eps_curve.json``, the kept documents with their cluster,
   the ledger (score = M, duplicate_of = max_id; reason ``semantic_duplicate``, or
   ``semantic_duplicate_cross_cluster`` when the twin is in another cluster),
   ``cluster_duplicates.parquet`` and the manifest.
   Documents of the parent the clustering does not cover (Dataset-3's other domains) pass through
   unchanged. Changing eps or the target redoes only this step.

Engines: a job given a SparkSession runs every step on Spark (executors read and write the run
folder on any Hadoop path; the driver holds only what the configuration bounds: see
:mod:`curation.spark.kmeans`, :mod:`curation.spark.thresholds`); without one, in this process. Both
call the same stage functions and give the same results.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from curation import schema as S
from curation.config import PipelineConfig
from curation.device import resolve_device
from curation.pipeline import clusters_hdbscan, clusters_kmeans, dataset_writer
from curation.pipeline.vectors import vectors_of_ids
from curation.run_layout import (
    DATASET_1,
    DATASET_2,
    DATASET_3,
    EMBEDDINGS,
    HDBSCAN,
    HDBSCAN_SIMILARITY,
    KMEANS,
    KMEANS_SIMILARITY,
)
from curation.runner import Build, Reads, Stage
from curation.stages import semdedup
from curation.stages import semdedup_cross as cross
from curation.storage import join, local_path

log = logging.getLogger(__name__)

SIMILARITY_DATA = "data"
CLUSTERS_VERSION = 2
"""Version of both clusterings' assignment tables (2: each document's nearest other clusters)."""
CROSS_FIELDS = ("cross_clusters", "cross_margin", "cross_member_margin")
"""The ``semdedup`` fields the similarity step reads: the cross-boundary pass."""
EPS_CURVE = "eps_curve.json"
CLUSTER_DUPLICATES = "cluster_duplicates.parquet"


@dataclass(frozen=True)
class Thresholds:
    """The duplicate rule's settings: eps, or a target removal fraction to calibrate it to."""

    eps: float
    target: float | None
    per: str  # "all": one eps for every judged document; "domain": one per domain


@dataclass(frozen=True)
class Method:
    """A clustering under SemDedup, and where its results go."""

    name: str  # "kmeans" | "hdbscan"
    title: str
    clusters: str  # run folder of the clustering (a cache)
    similarity: str  # run folder of the similarity table (a cache)
    dataset: str  # the dataset written
    parent: str  # the dataset whose documents it judges
    assignments: str  # the assignment table, relative to ``clusters``
    ledger_stage: str
    cluster_column: str  # annotation of kept documents
    build_clusters: Callable[[Build], dict]
    clusters_reads: tuple[str | Reads, ...]
    dataset_reads: tuple[str | Reads, ...]
    thresholds: Callable[[PipelineConfig], Thresholds]
    clusters_inputs: Callable[[Build], object] | None = None
    judges_every_row: bool = True  # every parent document has a verdict (else: pass-through)
    eps_by_domain: bool = False  # the manifest's eps: a mapping domain -> eps (else one value)


HDBSCAN_THRESHOLD_FIELDS = ("eps", "target_removal", "calibrate_per")

KMEANS_METHOD = Method(
    name="kmeans",
    title="Dataset-2 (SemDedup, k-means)",
    clusters=KMEANS,
    similarity=KMEANS_SIMILARITY,
    dataset=DATASET_2,
    parent=DATASET_1,
    assignments=clusters_kmeans.ASSIGNMENTS,
    ledger_stage=S.STAGE_SEMDEDUP_KMEANS,
    cluster_column=S.CLUSTER,
    build_clusters=clusters_kmeans.build,
    clusters_reads=("kmeans",),
    dataset_reads=("semdedup",),
    thresholds=lambda cfg: Thresholds(cfg.semdedup.eps, cfg.semdedup.target_removal, "all"),
)

HDBSCAN_METHOD = Method(
    name="hdbscan",
    title="Dataset-3 (SemDedup, UMAP + HDBSCAN on the small domains)",
    clusters=HDBSCAN,
    similarity=HDBSCAN_SIMILARITY,
    dataset=DATASET_3,
    parent=DATASET_2,
    assignments=clusters_hdbscan.POINTS,
    ledger_stage=S.STAGE_SEMDEDUP_HDBSCAN,
    cluster_column=S.HDBSCAN_CLUSTER,
    build_clusters=clusters_hdbscan.build,
    clusters_reads=(Reads("hdbscan", without=HDBSCAN_THRESHOLD_FIELDS),),
    dataset_reads=(Reads("hdbscan", only=HDBSCAN_THRESHOLD_FIELDS),),
    thresholds=lambda cfg: Thresholds(
        cfg.hdbscan.eps, cfg.hdbscan.target_removal, cfg.hdbscan.calibrate_per
    ),
    clusters_inputs=lambda ctx: {"backend": clusters_hdbscan.backend(ctx.cfg)},
    judges_every_row=False,
    eps_by_domain=True,
)

METHODS = {m.name: m for m in (KMEANS_METHOD, HDBSCAN_METHOD)}


def stages(method: Method) -> list[Stage]:
    """The clustering, similarity and dataset stages of one SemDedup method, in order."""
    parents = (method.parent, EMBEDDINGS) if method.parent != DATASET_1 else (EMBEDDINGS,)
    return [
        Stage(
            method.clusters,
            method.build_clusters,
            kind="cache",
            version=CLUSTERS_VERSION,
            parents=parents,
            reads=method.clusters_reads,
            inputs=method.clusters_inputs,
            description=f"{method.name} clusters",
        ),
        Stage(
            method.similarity,
            lambda ctx: build_similarity(ctx, method),
            kind="cache",
            parents=(method.clusters, EMBEDDINGS),
            reads=(Reads("semdedup", only=CROSS_FIELDS),),
            version=semdedup.CORE_VERSION,
            description=f"SemDedup similarity in {method.name} clusters",
        ),
        Stage(
            method.dataset,
            lambda ctx: build_dataset(ctx, method),
            kind="dataset",
            parents=(method.similarity, method.parent),
            reads=method.dataset_reads,
            description=method.title,
        ),
    ]


def run(run_path: str, cfg: PipelineConfig, method: str = "kmeans", spark=None) -> dict:  # noqa: ANN001
    """Build ``method``'s dataset (each step skipped when finished); its manifest."""
    from curation import runner
    from curation.storage import normalize_uri, require_local_run, storage_for

    m = METHODS[method]
    run_uri = normalize_uri(run_path)
    if spark is None:
        require_local_run(run_uri, f"{m.title} in this process (without Spark)")
    storage = storage_for(run_uri, spark)
    return runner.run(stages(m), run_uri, cfg, storage, spark=spark)[m.dataset]


# --- the similarity step ----------------------------------------------------------------------------


def build_similarity(ctx: Build, method: Method) -> dict:
    """The SemDedup core over every cluster, and the cross-boundary pass when it is on (here, or
    one cluster per Spark task)."""
    t0 = time.time()
    cfg = ctx.cfg
    device = resolve_device(cfg.semdedup.device)
    rule = cross.CrossRule.of(cfg.semdedup)
    assignments_uri = join(ctx.run, method.clusters, method.assignments)
    out = join(ctx.out, SIMILARITY_DATA)
    on_spark = ctx.spark is not None
    facts: dict = {}
    if on_spark:
        from curation.spark.semdedup import similarity_on_spark

        similarity_on_spark(ctx.spark, ctx.run, assignments_uri, out, cfg)
        table = ctx.spark.read.parquet(out)
        documents = table.count()
        if rule.on:
            facts["cross_found"] = table.filter(table[S.CROSS]).count()
    else:
        table, facts = _similarity_here(ctx, assignments_uri, rule, device)
        dataset_writer.write_table(table, local_path(out), "part-00000.parquet")
        documents = table.num_rows
    manifest = {
        "stage": ctx.stage.name,
        "documents": documents,
        "engine": "spark" if on_spark else "local",
        "tile_size": semdedup.tile_for(cfg.semdedup.tile_size, device),
        "device": device,
        "elapsed_s": round(time.time() - t0, 2),
    }
    if rule.on:
        manifest["cross"] = rule.as_dict() | facts
    return manifest


def _similarity_here(
    ctx: Build, assignments_uri: str, rule: cross.CrossRule, device: str
) -> tuple[pa.Table, dict]:
    """The similarity table in this process, and what the cross-boundary pass did."""
    cfg = ctx.cfg
    assigned = dataset_writer.read_folder(local_path(assignments_uri))
    domains = sorted(set(assigned.column(S.DOMAIN).to_pylist()))
    vectors = vectors_of_ids(ctx.run, assigned.column(S.ID), domains)
    ids = assigned.column(S.ID)
    clusters = np.asarray(assigned.column(S.CLUSTER))
    distance = np.asarray(assigned.column(S.DISTANCE).fill_null(np.nan), np.float32)
    t0 = time.time()
    near = gaps = np.empty((0, 0))  # read only when the pass is on
    if rule.on:
        near, gaps = cross.near_from_arrow(assigned.column(S.NEAR), assigned.column(S.NEAR_GAPS))
    with tqdm(total=assigned.num_rows, unit="docs", desc="SemDedup", disable=None) as bar:
        table, stats = cross.semdedup_with_cross(
            ids, clusters, distance, vectors, near, gaps, rule, cfg.semdedup.tile_size, device,
            bar.update,
        )  # fmt: skip
    facts: dict = {}
    if stats is not None:
        found = int(np.asarray(table.column(S.CROSS)).sum())
        facts = stats.as_dict() | {"cross_found": found, "similarity_s": round(time.time() - t0, 3)}
        log.info(
            "SemDedup across clusters: %d visits to %d clusters, %d products (%.2fx the "
            "within-cluster ones): %d documents' best match is across a boundary",
            stats.visits, stats.targets, stats.products,
            stats.products / max(1, stats.within_products), found,
        )  # fmt: skip
    return semdedup.with_domains(table, assigned), facts


# --- the dataset step -------------------------------------------------------------------------------


def choose_eps(m: np.ndarray, domains: np.ndarray, th: Thresholds) -> tuple[dict[str, float], dict]:
    """eps per judged domain (the same for all unless ``th.per == "domain"``) and the removal
    curve; ``m`` and ``domains``: every judged document's M and domain."""
    names = sorted(set(domains.tolist()))
    if th.target is None:
        eps = dict.fromkeys(names, th.eps)
    elif th.per == "all":
        eps = dict.fromkeys(names, semdedup.calibrate_eps(m, th.target))
    else:
        eps = {d: semdedup.calibrate_eps(m[domains == d], th.target) for d in names}
    grid = semdedup.curve_grid(eps.values())
    return eps, semdedup.removal_curve(m, domains.tolist(), grid)


def verdicts(similarity: pa.Table, eps: dict[str, float]) -> pa.Table:
    """The similarity rows with ``removed``: ``M > 1 - eps`` of the row's domain."""
    domains = similarity.column(S.DOMAIN).to_pylist()
    per_row = np.array([eps[d] for d in domains], np.float64)
    removed = semdedup.removed_mask(np.asarray(similarity.column(S.M), np.float64), per_row)
    return similarity.append_column(S.REMOVED, pa.array(removed, pa.bool_()))


def build_dataset(ctx: Build, method: Method) -> dict:
    """Thresholds, verdicts, the dataset (kept documents, ledger), its manifest."""
    if ctx.spark is not None:
        return _build_dataset_on_spark(ctx, method)
    t0 = time.time()
    th = method.thresholds(ctx.cfg)
    similarity = dataset_writer.read_folder(local_path(join(ctx.run, method.similarity, "data")))
    m = np.asarray(similarity.column(S.M), np.float64)
    domains = np.asarray(similarity.column(S.DOMAIN).to_pylist(), dtype=object)
    eps, curve = choose_eps(m, domains, th)
    judged = verdicts(similarity, eps)
    out = local_path(ctx.out)
    (out / EPS_CURVE).write_text(json.dumps(curve, indent=1) + "\n")
    counts = dataset_writer.write_dataset(
        ctx.run, method.parent, out, judged,
        stage=method.ledger_stage, reason=S.REASON_SEMANTIC,
        detail=lambda d: f"eps={eps.get(d, float('nan')):.6g}",
        every_row_judged=method.judges_every_row, cluster_column=method.cluster_column,
        cross_reason=S.REASON_SEMANTIC_CROSS,
    )  # fmt: skip
    per_cluster = (
        judged.filter(pc.greater_equal(judged.column(S.CLUSTER), 0))
        .group_by(S.CLUSTER)
        .aggregate([(S.ID, "count"), (S.REMOVED, "sum")])
        .rename_columns([S.CLUSTER, "size", "duplicates_removed"])
        .sort_by(S.CLUSTER)
    )
    dataset_writer.write_table(per_cluster, out, CLUSTER_DUPLICATES)
    removed = int(np.asarray(judged.column(S.REMOVED), bool).sum())
    noise = int((np.asarray(similarity.column(S.CLUSTER)) < 0).sum())
    first = _one_eps(eps, lambda: semdedup.calibrate_eps(m, th.target), th)
    facts = _facts(method, th, eps, first, len(m), removed, noise)
    return dataset_writer.manifest_of(
        counts, stage=method.dataset, semdedup=facts, elapsed_s=round(time.time() - t0, 2)
    )


def _facts(method: Method, th: Thresholds, eps: dict, first: float, n: int, removed: int,
           noise: int) -> dict:  # fmt: skip
    """The manifest's ``semdedup`` section."""
    facts: dict = {
        "eps": eps if method.eps_by_domain else first,
        "target_removal": th.target,
        "calibrate_per": th.per,
        "clustered_documents": n,
        "achieved_removal": removed / n if n else 0.0,
        "noise_kept": noise,
    }
    if not method.eps_by_domain:
        facts["threshold"] = 1.0 - first
    return facts


def _build_dataset_on_spark(ctx: Build, method: Method) -> dict:
    """The dataset step on Spark: eps from a distributed M (the same eps as in-process), the
    verdicts joined to the parent's documents by id on the executors."""
    from pyspark.sql import functions as F

    from curation.spark import thresholds, writers

    t0 = time.time()
    spark, th = ctx.spark, method.thresholds(ctx.cfg)
    spark.sparkContext.setJobDescription(f"{method.dataset}: calibrate eps")
    similarity = spark.read.parquet(join(ctx.run, method.similarity, SIMILARITY_DATA))
    names = sorted(r[S.DOMAIN] for r in similarity.select(S.DOMAIN).distinct().collect())
    if th.target is None:
        eps = dict.fromkeys(names, th.eps)
    elif th.per == "all":
        eps = dict.fromkeys(names, thresholds.calibrate(similarity, th.target))
    else:
        eps = {
            d: thresholds.calibrate(similarity.filter(F.col(S.DOMAIN) == d), th.target)
            for d in names
        }
    curve = thresholds.removal_curve(similarity, semdedup.curve_grid(eps.values()))
    ctx.storage.write_text(ctx.path(EPS_CURVE), json.dumps(curve, indent=1) + "\n")
    limit = F.create_map(*[F.lit(x) for kv in sorted(eps.items()) for x in kv])
    judged = similarity.withColumn(
        S.REMOVED, F.col(S.M) > F.lit(1.0) - limit[F.col(S.DOMAIN)] if eps else F.lit(False)
    )
    spark.sparkContext.setJobDescription(f"{method.dataset}: write the dataset")
    counts = writers.write_derived(
        spark, ctx.storage, ctx.run, method.parent, ctx.out, judged,
        stage=method.ledger_stage, reason=S.REASON_SEMANTIC,
        detail={d: f"eps={e:.6g}" for d, e in eps.items()},
        every_row_judged=method.judges_every_row, cluster_column=method.cluster_column,
        cross_reason=S.REASON_SEMANTIC_CROSS,
    )  # fmt: skip
    per_cluster = (
        judged.filter(F.col(S.CLUSTER) >= 0)
        .groupBy(S.CLUSTER)
        .agg(
            F.count(S.ID).alias("size"),
            F.sum(F.col(S.REMOVED).cast("long")).alias("duplicates_removed"),
        )  # fmt: skip
        .orderBy(S.CLUSTER)
    )
    per_cluster.coalesce(1).write.parquet(ctx.path(CLUSTER_DUPLICATES))
    totals = judged.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col(S.REMOVED).cast("long")).alias("removed"),
        F.sum((F.col(S.CLUSTER) < 0).cast("long")).alias("noise"),
    ).first()
    first = _one_eps(eps, lambda: thresholds.calibrate(similarity, th.target), th)
    facts = _facts(
        method, th, eps, first, totals["n"], totals["removed"] or 0, totals["noise"] or 0
    )
    return dataset_writer.manifest_of(
        counts, stage=method.dataset, semdedup=facts, engine="spark",
        elapsed_s=round(time.time() - t0, 2),
    )  # fmt: skip


def _one_eps(eps: dict[str, float], calibrate: Callable[[], float], th: Thresholds) -> float:
    """The single eps of a method that uses one for all documents (also with none judged)."""
    if eps:
        return next(iter(eps.values()))
    return th.eps if th.target is None else calibrate()
