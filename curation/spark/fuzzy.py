"""Fuzzy dedup on Spark: the rule of :mod:`curation.stages.fuzzy_dedup` as DataFrame operations.

Python sees each document once (:func:`~curation.stages.fuzzy_dedup.band_rows`: shingles,
MinHash, band keys), each band row once after one shuffle that sorts them by bucket
(:func:`~curation.stages.fuzzy_dedup.sorted_bucket_pairs`: the candidate pairs of each bucket,
streamed), and each candidate pair once (:func:`~curation.stages.fuzzy_dedup.verify_pairs`);
distinct pairs are Spark SQL; the connected components and each removed document's survivor
and neighbour are found in the driver by a union-find when the linked pairs are at most
``fuzzy_dedup.driver_graph_max_pairs``, else with Spark SQL too (the same rows). Only band keys and
ids travel through the bucket shuffle; texts travel only for documents that are in some
candidate pair. Intermediate results are written under ``work`` (a folder URI), so each is computed once
and the plan never grows with the rounds of the components loop.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.spark.components import LABEL, NODE, connected_components
from curation.stages import fuzzy_dedup as FD
from curation.storage import join

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FuzzyResult:
    """Where the removals are, and what it took to find them."""

    removals: str  # Parquet folder of REMOVAL_SCHEMA rows
    candidates: int  # distinct candidate pairs from the buckets
    linked: int  # candidate pairs kept (true Jaccard >= threshold, or all without verify)
    removed: int

    def stats(self) -> dict[str, int]:
        return {"candidate_pairs": self.candidates, "linked_pairs": self.linked}


def _arrow_map(fn, schema: pa.Schema):
    """A ``mapInArrow`` function applying ``fn`` (Table -> Table) to each batch."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = fn(pa.Table.from_batches([batch]))
            yield from out.cast(schema).to_batches()

    return run


def near_duplicates(docs, cfg: FuzzyDedupConfig, work: str) -> FuzzyResult:
    """Find the near-duplicates among ``docs`` (a DataFrame with ``id``, ``domain``, ``text``,
    unique ids: the documents still in play) and write their removal rows under ``work``."""
    docs = docs.select(S.ID, S.DOMAIN, S.TEXT)
    bands = docs.mapInArrow(
        _arrow_map(lambda t: FD.band_rows(t, cfg), FD.BAND_SCHEMA),
        S.to_spark_schema(FD.BAND_SCHEMA),
    )

    def texts_of(ids):
        return docs.join(ids, on=S.ID, how="left_semi").select(S.ID, S.TEXT)

    return near_duplicates_of(bands, texts_of, cfg, work)


def near_duplicates_of(bands, texts_of, cfg: FuzzyDedupConfig, work: str) -> FuzzyResult:
    """The stage from the documents' band rows (a DataFrame of
    :data:`~curation.stages.fuzzy_dedup.BAND_SCHEMA`) and ``texts_of(ids)``, which returns the
    (``id``, ``text``) DataFrame of the documents of an ``id`` DataFrame (distinct ids): how
    Dataset-1 reads texts from its chunks without shuffling them. Removal rows go under ``work``."""
    from pyspark.sql import functions as F

    spark = bands.sparkSession
    sc = spark.sparkContext
    sc.setJobDescription("fuzzy dedup: MinHash band keys, buckets, candidate pairs")
    # one shuffle of the band rows by bucket, sorted within each task by (bucket, id): a Python
    # pass streams each bucket's ids (FD.sorted_bucket_pairs): every two members of a small
    # bucket, a large one's members with its smallest id; then the distinct pairs
    key = [FD.GROUP, FD.BAND, FD.KEY]
    up_to = int(cfg.all_pairs_up_to)
    candidates = (
        bands.repartition(*key)
        .sortWithinPartitions(*key, S.ID)
        .mapInArrow(
            lambda batches: FD.sorted_bucket_pairs(batches, up_to),
            S.to_spark_schema(FD.PAIRS_SCHEMA),
        )
        .distinct()
    )
    candidates, n_candidates = _save_counted(candidates, join(work, "candidates"))

    if cfg.verify:
        sc.setJobDescription("fuzzy dedup: texts of the candidate documents")
        nodes = candidates.select(F.col(FD.A).alias(S.ID)).unionByName(
            candidates.select(F.col(FD.B).alias(S.ID))
        )
        texts = _save(texts_of(nodes.distinct()), join(work, "texts"))
        sc.setJobDescription("fuzzy dedup: true Jaccard of the candidate pairs")
        scored = _scored(candidates, texts, cfg)
        linked = scored.filter(F.col(FD.JACCARD) >= F.lit(cfg.threshold))
    else:
        texts = None
        linked = candidates.withColumn(FD.JACCARD, F.lit(None).cast("double"))
    linked, n_linked = _save_counted(linked.select(FD.A, FD.B, FD.JACCARD), join(work, "linked"))

    if n_linked <= cfg.driver_graph_max_pairs:
        # a bounded graph: its pairs (ids and Jaccard only) to the driver, union-find there
        sc.setJobDescription("fuzzy dedup: components of the linked pairs (in the driver)")
        members = spark.createDataFrame(
            FD.graph_members(linked.toArrow()), S.to_spark_schema(FD.MEMBER_SCHEMA)
        )
    else:
        members = _members_on_spark(linked, work)
    if texts is None:
        nodes = members.select(S.ID).unionByName(members.select(F.col(FD.SURVIVOR).alias(S.ID)))
        texts = _save(texts_of(nodes.distinct()), join(work, "texts"))
    known = members.filter(F.col(FD.JACCARD).isNotNull()).select(
        *FD.MEMBER_SCHEMA.names,
        F.lit(None).cast("string").alias(FD.TEXT_A),
        F.lit(None).cast("string").alias(FD.TEXT_B),
    )
    todo = (
        members.filter(F.col(FD.JACCARD).isNull())
        .join(texts.select(F.col(S.ID).alias(FD.SURVIVOR), F.col(S.TEXT).alias(FD.TEXT_A)),
              on=FD.SURVIVOR)
        .join(texts.select(F.col(S.ID), F.col(S.TEXT).alias(FD.TEXT_B)), on=S.ID)
        .select(*FD.MEMBER_TEXT_SCHEMA.names)
    )  # fmt: skip
    sc.setJobDescription("fuzzy dedup: removal rows")
    removals = known.unionByName(todo).mapInArrow(
        _arrow_map(lambda t: FD.member_removal_rows(t, cfg), FD.REMOVAL_SCHEMA),
        S.to_spark_schema(FD.REMOVAL_SCHEMA),
    )
    out = join(work, "removals")
    _, n_removed = _save_counted(removals, out)
    log.info(
        "fuzzy dedup: %d candidate pairs, %d linked, %d documents removed",
        n_candidates,
        n_linked,
        n_removed,
    )
    return FuzzyResult(out, n_candidates, n_linked, n_removed)


def _members_on_spark(linked, work: str):
    """:data:`~curation.stages.fuzzy_dedup.MEMBER_SCHEMA` rows of a linked graph of any size:
    :func:`~curation.stages.fuzzy_dedup.graph_members` as DataFrame operations (components by
    :func:`~curation.spark.components.connected_components`)."""
    from pyspark.sql import functions as F

    labels = connected_components(linked, FD.A, FD.B, join(work, "components"))
    members = labels.filter(F.col(NODE) != F.col(LABEL)).select(
        F.col(NODE).alias(S.ID), F.col(LABEL).alias(FD.SURVIVOR)
    )
    # most similar verified neighbour of each node (ties: the smallest id)
    ends = linked.select(F.col(FD.A).alias(S.ID), F.col(FD.B).alias("_other"), FD.JACCARD)
    ends = ends.unionByName(
        linked.select(F.col(FD.B).alias(S.ID), F.col(FD.A).alias("_other"), FD.JACCARD)
    ).filter(F.col(FD.JACCARD).isNotNull())
    order = F.struct((-F.col(FD.JACCARD)).alias("_neg"), F.col("_other").alias("_other"))
    best = ends.groupBy(S.ID).agg(F.min(order).alias("_b"))
    best = best.select(
        S.ID,
        F.col("_b._other").alias(FD.NEIGHBOUR),
        (-F.col("_b._neg")).alias(FD.NEIGHBOUR_JACCARD),
    )
    # the Jaccard with the survivor: known when the survivor linked it directly, else computed
    # from the two texts in the same Python pass that writes the removal rows
    direct = linked.select(
        F.col(FD.A).alias(FD.SURVIVOR), F.col(FD.B).alias(S.ID), F.col(FD.JACCARD).alias(FD.JACCARD)
    )
    return (
        members.join(direct, on=[S.ID, FD.SURVIVOR], how="left")
        .join(best, on=S.ID, how="left")
        .select(*FD.MEMBER_SCHEMA.names)
    )


def _scored(pairs, texts, cfg: FuzzyDedupConfig):
    """``pairs`` (a, b) with their true Jaccard, texts looked up in ``texts`` (id, text)."""
    from pyspark.sql import functions as F

    with_texts = pairs.join(
        texts.select(F.col(S.ID).alias(FD.A), F.col(S.TEXT).alias(FD.TEXT_A)), on=FD.A
    ).join(texts.select(F.col(S.ID).alias(FD.B), F.col(S.TEXT).alias(FD.TEXT_B)), on=FD.B)
    return with_texts.select(*FD.PAIR_SCHEMA.names).mapInArrow(
        _arrow_map(lambda t: FD.verify_pairs(t, cfg), FD.SCORED_SCHEMA),
        S.to_spark_schema(FD.SCORED_SCHEMA),
    )


def _save(df, uri: str):
    """Write ``df`` as Parquet and read it back with its known schema (no schema job)."""
    df.write.parquet(uri)
    return df.sparkSession.read.schema(df.schema).parquet(uri)


def _save_counted(df, uri: str):
    """:func:`_save`, and the number of rows written, counted while writing (an observed
    aggregate of the writing job's last stage: no count job)."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    rows = Observation()
    saved = _save(df.observe(rows, F.count(F.lit(1)).alias("rows")), uri)
    return saved, int(rows.get["rows"])
