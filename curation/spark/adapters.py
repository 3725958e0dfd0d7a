"""Thin adapters: Spark calls the pure batch functions of :mod:`curation.stages` through these.

Nothing here decides anything about documents; it only moves Arrow batches between the JVM and
the stage functions (``mapInArrow``), and expresses the one shuffle of Dataset-1 (exact dedup's
reduce: the smallest id per key) in Spark SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import pyarrow as pa

from curation import schema as S
from curation.config import PipelineConfig
from curation.schema import to_spark_schema
from curation.stages import exact_dedup, ingest, length_filter
from curation.stages.dataset1 import annotate_batch, decide_batch


def _key(uri: str) -> str:
    """Compare file URIs by path: Hadoop writes ``file:/x`` where we write ``file:///x``."""
    p = urlparse(uri)
    return f"{p.scheme or 'file'}://{p.netloc}{p.path}"


def ingest_annotated(spark, plan: ingest.InputPlan, cfg: PipelineConfig):
    """DataFrame of :data:`~curation.schema.DECIDED_SCHEMA`: every row of every planned file,
    annotated, with the per-row decisions of ``cfg``.

    Each input file is one row of Spark's ``binaryFile`` source (so any Hadoop file system works);
    the Python worker parses it with :func:`curation.stages.ingest.read_file`, annotates and
    decides each batch: one trip through Python for all per-row work.
    """
    files = {_key(f.uri): f for f in plan.files}

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content")
            for i, path in enumerate(paths):
                f = files[_key(path)]
                data = contents[i].as_py()
                for table in ingest.read_file(data, f, cfg.ingest):
                    yield from decide_batch(annotate_batch(table, cfg), cfg).to_batches()

    raw = spark.read.format("binaryFile").load([f.uri for f in plan.files])
    return raw.select("path", "content").mapInArrow(run, to_spark_schema(S.DECIDED_SCHEMA))


def redecided(df, cfg: PipelineConfig):
    """Rows of stored annotations with the decisions of ``cfg`` made afresh (thresholds changed)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = S.conform(pa.Table.from_batches([batch]), S.ANNOTATED_SCHEMA)
            yield from decide_batch(table, cfg).to_batches()

    return df.select(*S.ANNOTATED_SCHEMA.names).mapInArrow(run, to_spark_schema(S.DECIDED_SCHEMA))


def with_exact_dedup(df, cfg: PipelineConfig):
    """Mark exact duplicates among rows not yet removed; then apply the length rule.

    The survivor of each group of :func:`curation.stages.exact_dedup.group_columns` is its
    smallest id still in play: the same on every run, partitioning and cluster size. One shuffle,
    by the group columns; adds ``duplicate_of``.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    in_play = F.col(S.STAGE).isNull()
    keys = exact_dedup.group_columns(cfg.exact_dedup)
    survivor = F.min(F.when(in_play, F.col(S.ID))).over(Window.partitionBy(*keys))
    df = df.withColumn("_survivor", F.when(in_play, survivor))
    df = df.withColumn("_dup", in_play & (F.col("_survivor") != F.col(S.ID)))
    df = df.withColumn("_short", in_play & ~F.col("_dup") & F.col(S.TOO_SHORT))
    dup, short = F.col("_dup"), F.col("_short")
    return df.select(
        *[c for c in df.columns if c not in _DEDUP_SET and not c.startswith("_")],
        F.when(dup, F.lit(S.STAGE_EXACT_DEDUP))
        .when(short, F.lit(S.STAGE_LENGTH))
        .otherwise(F.col(S.STAGE))
        .alias(S.STAGE),
        F.when(dup, F.lit(exact_dedup.REASON_DUPLICATE))
        .when(short, F.lit(length_filter.REASON_SHORT))
        .otherwise(F.col(S.REASON))
        .alias(S.REASON),
        F.when(short, F.col(S.N_CHARS).cast("double")).otherwise(F.col(S.SCORE)).alias(S.SCORE),
        F.when(dup, F.col(S.DEDUP_KEY)).otherwise(F.col(S.DETAIL)).alias(S.DETAIL),
        F.when(dup, F.col("_survivor")).alias(S.DUPLICATE_OF),
    )


_DEDUP_SET = {S.STAGE, S.REASON, S.SCORE, S.DETAIL}


def select_schema(df, schema: pa.Schema):
    """``df``'s columns in the order of ``schema``; missing nullable columns become typed nulls."""
    from pyspark.sql import functions as F

    cols = []
    for field in schema:
        if field.name in df.columns:
            cols.append(F.col(field.name))
        elif field.nullable:
            cols.append(F.lit(None).cast(S.to_spark_type(field.type)).alias(field.name))
        else:
            raise KeyError(f"column {field.name!r} is missing")
    return df.select(*cols)
