"""The per-cluster SemDedup step as a Spark job: one cluster per ``applyInPandas`` group.

For corpora whose embeddings do not fit one machine but whose clusters fit one executor each: the
assignments are joined to the embeddings by id, grouped by cluster, and every group goes through
the same :func:`curation.stages.semdedup.semdedup_all` the local path uses (noise, cluster -1,
kept out: never compared).

With the cross-boundary pass on (``semdedup.cross_clusters`` > 0) a group is one *target*
cluster: its members and the documents of other clusters that visit it (their rows repeated, one
per visit), through :func:`curation.stages.semdedup_cross.target_group`; then each document's
home row and the candidates its visits found meet in one group
(:func:`curation.stages.semdedup_cross.reduce_candidates`; documents grouped by a hash of the
id). Memory per task: the target cluster and its visitors.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from curation import schema as S
from curation.config import PipelineConfig
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.run_layout import EMBEDDINGS, StageDir
from curation.stages.semdedup_cross import CrossRule
from curation.storage import HadoopStorage, join

BUCKET = "_bucket"
GROUP_SCHEMA = pa.schema(list(S.ASSIGNMENT_SCHEMA) + [S.VISIT_SCHEMA.field(S.TARGET)])
"""The rows of one target cluster's group (its members and visitors), without the vectors."""


def similarity_on_spark(
    spark, run_uri: str, assignments_uri: str, out_uri: str, cfg: PipelineConfig
) -> None:
    """Write the similarity table of every cluster of ``assignments_uri`` to ``out_uri``."""
    from pyspark.sql import functions as F

    tile, requested = cfg.semdedup.tile_size, cfg.semdedup.device
    meta = StageDir(HadoopStorage(spark), run_uri, EMBEDDINGS).manifest()
    dtype = meta["dtype"]
    width = int(meta["dim"]) * np.dtype(dtype).itemsize

    task_cpus = int(spark.conf.get("spark.task.cpus", "1"))

    def per_cluster(pdf: pd.DataFrame) -> pd.DataFrame:
        _use_threads(task_cpus)  # each Python worker its task's cores, not all of them
        column = pa.array(pdf[E.EMBEDDING], pa.binary(width))
        vectors = E.vectors_of(column, dtype=dtype)
        return semdedup_cluster_frame(pdf, vectors, tile, resolve_device(requested))

    def read(uri: str):  # files only: ``domain`` is a column, not a partition to infer
        return spark.read.option("recursiveFileLookup", "true").parquet(uri)

    emb = read(join(run_uri, EMBEDDINGS)).select(S.ID, E.EMBEDDING)
    assigned = read(assignments_uri).select(*S.ASSIGNMENT_SCHEMA.names)
    rule = CrossRule.of(cfg.semdedup)
    if rule.on:
        spark.sparkContext.setJobDescription(
            "SemDedup: one cluster per group, with its visitors from nearby clusters"
        )
        clustered = _with_cross(assigned, emb, rule, width, dtype, tile, requested, task_cpus)
    else:
        spark.sparkContext.setJobDescription("SemDedup: one cluster per group")
        clustered = (
            assigned.filter(F.col(S.CLUSTER) != S.NOISE)
            .drop(S.NEAR, S.NEAR_GAPS)
            .join(emb.hint("merge"), on=S.ID)  # never a broadcast via the driver
            .groupBy(S.CLUSTER)
            .applyInPandas(per_cluster, S.to_spark_schema(S.SIMILARITY_SCHEMA))
        )
    noise = assigned.filter(F.col(S.CLUSTER) == S.NOISE).select(  # never compared
        S.ID,
        S.DOMAIN,
        S.CLUSTER,
        F.lit(None).cast("float").alias(S.DISTANCE),
        F.lit(0).cast("long").alias(S.RANK),
        F.lit(-1.0).alias(S.M),
        F.lit(None).cast("string").alias(S.MAX_ID),
        F.lit(False).alias(S.CROSS),
    )
    clustered.unionByName(noise).write.parquet(out_uri)


def _with_cross(assigned, emb, rule: CrossRule, width: int, dtype: str, tile: int,  # noqa: ANN001, ANN202
                requested: str, task_cpus: int):  # fmt: skip
    """The similarity rows of every clustered document with the cross-boundary pass: one group
    per target cluster (its members and its visitors, :func:`~curation.stages.semdedup_cross.
    target_group`), then each document's candidates reduced to the best (groups of documents by
    a hash of the id)."""
    from pyspark.sql import functions as F

    from curation.stages import semdedup_cross as cross

    def visit(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from cross.visitor_rows(batch, rule).to_batches()

    def per_target(pdf: pd.DataFrame) -> pd.DataFrame:
        _use_threads(task_cpus)
        table = pa.Table.from_pandas(pdf[GROUP_SCHEMA.names], GROUP_SCHEMA, preserve_index=False)
        vectors = E.vectors_of(pa.array(pdf[E.EMBEDDING], pa.binary(width)), dtype=dtype)
        got = cross.target_group(table, vectors, rule, tile, resolve_device(requested))
        return got.to_pandas()

    def per_documents(pdf: pd.DataFrame) -> pd.DataFrame:
        table = pa.Table.from_pandas(
            pdf[S.CANDIDATE_SCHEMA.names], schema=S.CANDIDATE_SCHEMA, preserve_index=False
        )
        return cross.reduce_candidates(table).to_pandas()

    clustered = assigned.filter(F.col(S.CLUSTER) != S.NOISE)
    members = clustered.withColumn(S.TARGET, F.col(S.CLUSTER))
    visitors = clustered.mapInArrow(visit, S.to_spark_schema(S.VISIT_SCHEMA))
    candidates = (
        members.unionByName(visitors, allowMissingColumns=True)
        .join(emb.hint("merge"), on=S.ID)  # never a broadcast via the driver
        .groupBy(S.TARGET)
        .applyInPandas(per_target, S.to_spark_schema(S.CANDIDATE_SCHEMA))
    )
    # every candidate of a document in one group: groups of many documents (one per id would
    # cost a Python call per document)
    buckets = int(assigned.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    return (
        candidates.withColumn(BUCKET, F.pmod(F.xxhash64(S.ID), F.lit(buckets)))
        .groupBy(BUCKET)
        .applyInPandas(per_documents, S.to_spark_schema(S.SIMILARITY_SCHEMA))
    )


def semdedup_cluster_frame(
    pdf: pd.DataFrame, vectors: np.ndarray, tile: int, device: str
) -> pd.DataFrame:
    """One cluster's rows (id, domain, cluster, distance) -> its similarity rows, as pandas."""
    from curation.stages import semdedup

    base = [S.ID, S.DOMAIN, S.CLUSTER, S.DISTANCE]
    assigned = pa.Table.from_pandas(pdf[base], preserve_index=False)
    table = semdedup.semdedup_all(
        assigned.column(S.ID),
        pdf[S.CLUSTER].to_numpy(np.int64),
        pdf[S.DISTANCE].to_numpy(np.float32, na_value=np.nan),
        vectors,
        tile,
        device,
    )
    return semdedup.with_domains(table, assigned).to_pandas()


def _use_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
