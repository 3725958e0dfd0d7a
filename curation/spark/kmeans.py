"""k-means under SemDedup on Spark: what the driver holds is bounded by the configuration.

* the training sample - the ``kmeans.sample_size`` documents with the smallest ``xxh64(id)``
  (Spark's ``xxhash64`` is the same hash as :func:`curation.stages.cluster_kmeans.id_hashes`),
  picked on the executors and then brought to the driver: at most ``sample_size`` vectors;
* the centroids, trained there (:func:`curation.stages.cluster_kmeans.train_kmeans`, the same
  call and the same rows as the in-process engine, so the same centroids) and broadcast;
* the assignment: every embedding shard assigned to its nearest centroid (and its nearest other
  ones) on the executors (``mapInArrow`` over
  :func:`curation.stages.cluster_kmeans.assign_near`), written by them;
* cluster sizes: one count per cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.device import resolve_device
from curation.formats import embeddings as E
from curation.run_layout import EMBEDDINGS
from curation.stages import cluster_kmeans
from curation.stages.semdedup_cross import near_to_arrow
from curation.storage import join

HASH = "_hash"


def read_embeddings(spark, run_uri: str, columns: tuple[str, ...] = (S.ID, S.DOMAIN, E.EMBEDDING)):  # noqa: ANN001, ANN201
    """``<run>/embeddings`` as a DataFrame (files only: ``domain`` is a column of the files)."""
    path = join(run_uri, EMBEDDINGS)
    return spark.read.option("recursiveFileLookup", "true").parquet(path).select(*columns)


def decode(column: pa.Array | pa.ChunkedArray, dim: int, dtype: str) -> np.ndarray:
    """float32 (N, dim) vectors of a Spark ``BinaryType`` embedding column (Arrow)."""
    width = dim * E.DTYPES[dtype].itemsize
    return E.vectors_of(pc.cast(column, pa.binary(width)), dtype=dtype)


def training_sample(emb, n: int) -> pa.Table:  # noqa: ANN001 - a Spark DataFrame
    """(id, embedding) of the ``n`` documents with the smallest ``xxh64(id)`` (ties by id)."""
    from pyspark.sql import functions as F

    ranked = emb.select(S.ID, E.EMBEDDING, F.xxhash64(S.ID).alias(HASH))
    return ranked.orderBy(HASH, S.ID).limit(n).select(S.ID, E.EMBEDDING).toArrow()


def assign(emb, centroids: np.ndarray, dim: int, dtype: str, device: str):  # noqa: ANN001, ANN201
    """DataFrame of :data:`~curation.schema.ASSIGNMENT_SCHEMA`: every embedding's nearest
    centroid, computed on the executors (the centroids travel as a broadcast)."""
    sc = emb.sparkSession.sparkContext
    shared = sc.broadcast(np.ascontiguousarray(centroids, np.float32))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        where = resolve_device(device)  # in a Spark task: the GPU Spark assigned to it
        for batch in batches:
            vectors = decode(batch.column(E.EMBEDDING), dim, dtype)
            got = cluster_kmeans.assign_near(vectors, shared.value, where)
            near, gaps = near_to_arrow(got.near, got.gaps)
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column(S.ID),
                    batch.column(S.DOMAIN),
                    pa.array(got.cluster, pa.int64()),
                    pa.array(got.distance, pa.float32()),
                    near,
                    gaps,
                ],
                schema=S.ASSIGNMENT_SCHEMA,
            )

    return emb.mapInArrow(run, S.to_spark_schema(S.ASSIGNMENT_SCHEMA))
