"""The per-cluster SemDedup step as a Spark job: one cluster per ``applyInPandas`` group.

For corpora whose embeddings do not fit one machine but whose clusters fit one executor each: the
assignments are joined to the embeddings by id, grouped by cluster, and every group goes through
the same :func:`curation.stages.semdedup.semdedup_cluster` the local path uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from curation import schema as S
from curation.config import PipelineConfig
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.run_layout import EMBEDDINGS, KMEANS, StageDir
from curation.stages.semdedup import SIMILARITY_SCHEMA
from curation.storage import HadoopStorage, join


def similarity_on_spark(spark, run_uri: str, out_uri: str, cfg: PipelineConfig) -> None:
    """Write the similarity table of every cluster to ``out_uri`` (Parquet)."""
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
    assigned = read(join(run_uri, KMEANS, "assignments"))
    spark.sparkContext.setJobDescription("dataset-2: SemDedup, one cluster per group")
    (
        assigned.join(emb, on=S.ID)
        .groupBy(S.CLUSTER)
        .applyInPandas(per_cluster, S.to_spark_schema(SIMILARITY_SCHEMA))
        .write.parquet(out_uri)
    )


def semdedup_cluster_frame(
    pdf: pd.DataFrame, vectors: np.ndarray, tile: int, device: str
) -> pd.DataFrame:
    """One cluster's rows (id, domain, cluster, distance) -> its similarity rows, as pandas."""
    from curation.stages import semdedup

    table = semdedup.semdedup_cluster(
        pa.array(pdf[S.ID], pa.string()),
        int(pdf[S.CLUSTER].iloc[0]),
        pdf["distance"].to_numpy(np.float32),
        vectors,
        tile,
        device,
    )
    domain_of = dict(zip(pdf[S.ID], pdf[S.DOMAIN], strict=True))
    table = table.append_column(
        S.DOMAIN, pa.array([domain_of[i] for i in table.column(S.ID).to_pylist()])
    )
    return S.conform(table, SIMILARITY_SCHEMA).to_pandas()


def _use_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
