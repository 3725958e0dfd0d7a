"""The per-cluster SemDedup step as a Spark job: one cluster per ``applyInPandas`` group.

For corpora whose embeddings do not fit one machine but whose clusters fit one executor each: the
assignments are joined to the embeddings by id, grouped by cluster, and every group goes through
the same :func:`curation.stages.semdedup.semdedup_all` the local path uses (noise, cluster -1,
included: never compared).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from curation import schema as S
from curation.config import PipelineConfig
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.run_layout import EMBEDDINGS, StageDir
from curation.storage import HadoopStorage, join


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
    spark.sparkContext.setJobDescription("SemDedup: one cluster per group")
    clustered = (
        assigned.filter(F.col(S.CLUSTER) != S.NOISE)
        .join(emb, on=S.ID)
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
    )
    clustered.unionByName(noise).write.parquet(out_uri)


def semdedup_cluster_frame(
    pdf: pd.DataFrame, vectors: np.ndarray, tile: int, device: str
) -> pd.DataFrame:
    """One cluster's rows (id, domain, cluster, distance) -> its similarity rows, as pandas."""
    from curation.stages import semdedup

    assigned = pa.Table.from_pandas(pdf[list(S.ASSIGNMENT_SCHEMA.names)], preserve_index=False)
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
