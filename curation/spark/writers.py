"""Writing datasets from Spark: kept documents by domain, and a dataset derived from a parent by
per-document verdicts (the Spark twin of :func:`curation.pipeline.dataset_writer.write_dataset`)."""

from __future__ import annotations

from curation import schema as S
from curation.manifest import Count
from curation.run_layout import DATA, REMOVED
from curation.runner import MissingStageError
from curation.storage import Storage, join

_JUDGED = "_judged"
_CROSS = "_cross"
_VERDICT = {S.CLUSTER: "_cluster", S.M: "_m", S.MAX_ID: "_max_id", S.REMOVED: "_removed"}


def read_dataset(spark, run_uri: str, dataset: str):  # noqa: ANN001, ANN201
    """The kept documents of ``<run>/<dataset>`` (files only: ``domain`` is a file column)."""
    path = join(run_uri, dataset, DATA)
    return spark.read.option("recursiveFileLookup", "true").parquet(path)


def write_by_domain(df, uri: str, storage: Storage) -> None:  # noqa: ANN001
    """Kept documents -> ``<uri>/domain=<name>/part-*.parquet`` (``domain`` also in the files).

    Each partition of ``df`` writes one file per domain it holds."""
    from pyspark.sql import functions as F

    tmp = join(uri, "_by_domain")
    df.withColumn("_domain", F.col(S.DOMAIN)).write.partitionBy("_domain").parquet(tmp)
    for folder, is_dir in storage.list_dir(tmp):
        name = folder.rsplit("/", 1)[-1]
        if is_dir and name.startswith("_domain="):
            storage.rename(folder, join(uri, "domain=" + name[len("_domain=") :]))
    storage.delete(tmp)


def select_schema(df, schema):  # noqa: ANN001, ANN201
    """``df``'s columns in the order of ``schema``; missing nullable columns become typed nulls."""
    from pyspark.sql import functions as F

    cols = []
    for field in schema:
        if field.name in df.columns:
            cols.append(F.col(field.name).cast(S.to_spark_type(field.type)).alias(field.name))
        elif field.nullable:
            cols.append(F.lit(None).cast(S.to_spark_type(field.type)).alias(field.name))
        else:
            raise KeyError(f"column {field.name!r} is missing")
    return df.select(*cols)


def write_derived(
    spark,  # noqa: ANN001
    storage: Storage,
    run_uri: str,
    parent: str,
    out: str,
    verdicts,  # noqa: ANN001 - a DataFrame of VERDICT_SCHEMA
    *,
    stage: str,
    reason: str,
    detail: dict[str, str],
    every_row_judged: bool,
    cluster_column: str,
    cross_reason: str | None = None,
) -> list[Count]:
    """``out/data`` and ``out/removed`` from ``<run>/<parent>`` and ``verdicts``; the counts.

    As the in-process writer: kept rows gain the verdict's cluster in ``cluster_column`` (rows
    without a verdict keep theirs, or null), removed rows become ledger rows (score = M,
    duplicate_of = max_id, ``detail[domain]``); a parent row without a verdict is an error when
    ``every_row_judged``, else it passes through. ``cross_reason``: the reason of a removed
    row whose verdict has ``cross`` true."""
    from pyspark.sql import functions as F

    docs = read_dataset(spark, run_uri, parent)
    crossed = cross_reason is not None and S.CROSS in verdicts.columns
    v = verdicts.select(
        S.ID,
        *[F.col(c).alias(a) for c, a in _VERDICT.items()],
        (F.coalesce(F.col(S.CROSS), F.lit(False)) if crossed else F.lit(False)).alias(_CROSS),
    )
    rows = docs.join(v.hint("merge"), on=S.ID, how="left")  # per document: no broadcast
    rows = rows.withColumn(_JUDGED, F.col("_removed").isNotNull())
    if every_row_judged:
        missing = [r[S.ID] for r in rows.filter(~F.col(_JUDGED)).select(S.ID).limit(3).collect()]
        if missing:
            raise MissingStageError(
                f"{join(run_uri, parent)}: documents without a verdict, e.g. {missing}"
            )
    gone = F.coalesce(F.col("_removed"), F.lit(False))
    previous = F.col(cluster_column) if cluster_column in docs.columns else F.lit(None)
    cluster = F.when(F.col(_JUDGED), F.col("_cluster")).otherwise(previous).cast("long")
    columns = [c for c in docs.columns if c != cluster_column]
    kept = rows.filter(~gone).select(*columns, cluster.alias(cluster_column))
    write_by_domain(kept, join(out, DATA), storage)
    details = F.create_map(*[F.lit(x) for kv in sorted(detail.items()) for x in kv])
    why = F.when(gone & F.col(_CROSS), F.lit(cross_reason or reason)).otherwise(F.lit(reason))
    ledger = rows.filter(gone).select(
        S.ID,
        S.DOMAIN,
        F.lit(stage).alias(S.STAGE),
        why.alias(S.REASON),
        F.col("_m").alias(S.SCORE),
        F.col("_max_id").alias(S.DUPLICATE_OF),
        F.col("_cluster").alias(S.CLUSTER),
        (details[F.col(S.DOMAIN)] if detail else F.lit(None)).alias(S.DETAIL),
        S.SRC_DOMAIN,
        S.SRC_FILE,
        S.SRC_LINE,
        S.TEXT,
    )
    select_schema(ledger, S.LEDGER_SCHEMA).sortWithinPartitions(S.ID).write.parquet(
        join(out, REMOVED)
    )
    counts = rows.groupBy(S.DOMAIN, gone.alias("gone"), why.alias("why")).count().collect()
    return [
        Count(
            r[S.DOMAIN],
            r[S.DOMAIN],
            stage if r["gone"] else None,
            r["why"] if r["gone"] else None,
            r["count"],
        )  # fmt: skip
        for r in sorted(counts, key=lambda r: (r[S.DOMAIN], r["gone"], r["why"]))
    ]
