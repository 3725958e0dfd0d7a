"""Thin adapters: Spark schedules the Python work of Dataset-1 and computes its group facts.

Nothing here decides anything about a document: every keep/remove rule is
:func:`curation.stages.dataset1.decide`, which Spark applies through ``mapInArrow`` - once over
the key columns (to learn each row's output domain and whether it reaches exact dedup) and once in
the writer tasks (the final verdicts). What Spark computes is only what a row cannot know alone -
the *group facts* - as shuffles of key columns (ids, keys, file and line; never texts):

* ``first_at``: the first valid row (by file, line) of every id (under ``on_duplicate_id=error``
  a row that has one makes the job fail);
* ``survivor``: the smallest id of every exact-dedup group among the rows that reach it.

Texts never pass through the JVM: the Python tasks of :mod:`curation.pipeline.dataset1_tasks`
read the input files and write ``_work/annotated`` (step 1), and read it back to write the
outputs (step 2).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import PipelineConfig
from curation.pipeline import dataset1_tasks as tasks
from curation.schema import to_spark_schema
from curation.stages import dataset1 as decisions
from curation.stages import exact_dedup, ingest

REACHES_UNLESS_REPEATED = "_reaches_unless_repeated"
"""Whether a key row reaches exact dedup unless its id is repeated (rule 2)."""

KEY_COLUMNS = decisions.DECISION_COLUMNS
"""The annotated columns step 2 reads and shuffles: what :func:`~curation.stages.dataset1.decide`
reads (no text; ``detail`` is set on invalid rows only)."""


def _partition_id() -> int:
    from pyspark import TaskContext

    return TaskContext.get().partitionId()


def run_ingest(spark, work: list[list[ingest.InputFile]], out: str, cfg: PipelineConfig) -> list:
    """Step 1: one Spark task per entry of ``work`` (a list of input files) runs
    :func:`~curation.pipeline.dataset1_tasks.ingest_files` into ``out``; returns the collected
    :data:`~curation.pipeline.dataset1_tasks.CHUNK_SCHEMA` rows."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for task in batch.column(0).to_pylist():
                yield from tasks.ingest_files(task, work[task], out, cfg)

    frame = spark.range(len(work), numPartitions=max(1, len(work)))
    return frame.mapInArrow(run, to_spark_schema(tasks.CHUNK_SCHEMA)).collect()


def keys(spark, annotated: str, chunks: list[str], placement: list[int], cfg: PipelineConfig):
    """The key columns of every annotated row, with its chunk index and the partitioning key of
    the writer task its chunk belongs to (``placement[chunk]``, see :func:`task_keys`), its
    routed ``domain`` and whether it reaches exact dedup unless its id is repeated
    (:data:`REACHES_UNLESS_REPEATED`, from :func:`~curation.stages.dataset1.decide`).

    All are found in the scan's own Python pass: chunk and task from the row's file name (no
    join with a chunk table, so no broadcast job), the rest from the row alone; rows of files
    that are not among ``chunks`` are left out, as the chunk list is what step 1 reported."""
    from pyspark.sql import functions as F

    writer_keys = task_keys(cfg.spark.shuffle_partitions)
    names = pa.array(chunks, pa.string())
    task_of_chunk = pa.array([writer_keys[placement[i]] for i in range(len(chunks))], pa.int64())
    # the schema is given, so that Spark runs no job to infer it from the chunks' footers
    key_schema = pa.schema([S.ANNOTATED_SCHEMA.field(c).with_nullable(True) for c in KEY_COLUMNS])
    placed = pa.schema([*key_schema, _field(tasks.CHUNK), _field(tasks.TASK_KEY)])
    domain, reaches = _field(S.DOMAIN), _field(REACHES_UNLESS_REPEATED)
    out_schema = pa.schema([*placed, domain, reaches])
    rows = (
        spark.read.schema(to_spark_schema(key_schema))
        .parquet(annotated)
        .select(*KEY_COLUMNS, F.col("_metadata.file_name").alias("_file"))
    )

    def place(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            chunk = pc.index_in(batch.column("_file"), value_set=names)
            known = pc.is_valid(chunk)
            columns = [batch.column(c) for c in KEY_COLUMNS]
            columns += [chunk.cast(pa.int32()), pc.take(task_of_chunk, chunk)]
            table = pa.Table.from_arrays(columns, schema=placed)
            if not pc.all(known).as_py():
                table = table.filter(known)
            # the verdict as if no id were repeated: the routed domain, and whether the row
            # reaches exact dedup unless rule 2 (a repeated id, known after a shuffle) applies
            verdict = decisions.decide(table, cfg)
            table = table.append_column(domain, verdict.column(S.DOMAIN))
            table = table.append_column(reaches, verdict.column(S.REACHES_DEDUP))
            yield from table.to_batches()

    return rows.mapInArrow(place, to_spark_schema(out_schema))


def spark_hash_long(value: int, seed: int = 42) -> int:
    """Spark's ``hash(<bigint>)``: Murmur3 x86 32-bit of a long (``Murmur3_x86_32.hashLong``),
    as a signed 32-bit int - what ``repartition(n, col)`` places a row by."""
    m = 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & m

    def mix(h1: int, k1: int) -> int:
        k1 = rotl((k1 * 0xCC9E2D51) & m, 15) * 0x1B873593 & m
        return (rotl(h1 ^ k1, 13) * 5 + 0xE6546B64) & m

    h = mix(mix(seed & m, value & m), (value >> 32) & m) ^ 8
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & m
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & m
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


def task_keys(n: int) -> list[int]:
    """For each writer task ``t`` < ``n``, the smallest number that Spark's hash partitioning
    into ``n`` partitions (``pmod(hash(key), n)``, as ``repartition(n, col)`` places rows) sends
    to partition ``t``: so a chunk lands exactly on the task it was given."""
    found: dict[int, int] = {}
    key = 0
    while len(found) < n:
        found.setdefault(spark_hash_long(key) % n, key)
        key += 1
    return [found[t] for t in range(n)]


def duplicate_ids(rows, limit: int = 10) -> decisions.DuplicateIds:
    """The first ``limit`` ids used by more than one valid row, with up to three places each
    (the Spark side of :func:`curation.stages.dataset1.duplicate_ids`)."""
    from pyspark.sql import functions as F

    valid = rows.filter(F.col(S.INVALID_REASON).isNull())
    dup = valid.groupBy(S.ID).count().filter(F.col("count") > 1).orderBy(S.ID).limit(limit)
    ids = [r[S.ID] for r in dup.collect()]
    if not ids:
        return decisions.DuplicateIds([])
    place = F.concat_ws(":", F.col(S.SRC_FILE), F.col(S.SRC_LINE).cast("string"))
    found = (
        valid.filter(F.col(S.ID).isin(ids))
        .groupBy(S.ID)
        .agg(F.sort_array(F.collect_list(place)).alias("at"))
        .collect()
    )
    at = {r[S.ID]: list(r["at"])[:3] for r in found}
    return decisions.DuplicateIds([(i, at[i]) for i in ids])


def group_facts(rows, cfg: PipelineConfig):
    """``rows`` (:func:`keys`) with the group facts ``first_at`` and ``survivor``: two window
    shuffles over key columns (a row's dedup group is in its routed domain, and only rows that
    reach dedup compete: :func:`keys` applied :func:`~curation.stages.dataset1.decide`'s rules
    1-3 but the repeated id, which the first window finds)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    valid = F.col(S.INVALID_REASON).isNull()
    place = F.concat_ws(":", F.col(S.SRC_FILE), F.col(S.SRC_LINE).cast("string"))
    first = Window.partitionBy(S.ID, valid).orderBy(S.SRC_FILE, S.SRC_LINE)
    again = valid & (F.row_number().over(first) > 1)
    rows = rows.withColumn(S.FIRST_AT, F.when(again, F.first(place).over(first)))
    # decide()'s rules 1-3 without the repeated id were applied when the keys were read; a row
    # with a first row elsewhere (rule 2) does not reach dedup
    reaching = F.col(REACHES_UNLESS_REPEATED) & F.col(S.FIRST_AT).isNull()
    columns = [c for c in rows.columns if c not in (S.DOMAIN, REACHES_UNLESS_REPEATED, S.FIRST_AT)]
    rows = rows.select(*columns, S.FIRST_AT, S.DOMAIN, reaching.alias(S.REACHES_DEDUP))
    # rows that do not reach dedup each form a group of their own: no skew on null keys
    reaches = F.col(S.REACHES_DEDUP)
    alone = F.concat_ws(":", F.lit(""), F.col(tasks.CHUNK).cast("string"), F.col(S.SRC_FILE),
                        F.col(S.SRC_LINE).cast("string"))  # fmt: skip
    keys = [
        F.when(reaches, F.col(c)).otherwise(alone if c == S.DEDUP_KEY else F.lit(None))
        for c in exact_dedup.group_columns(cfg.exact_dedup)
    ]
    group = Window.partitionBy(*keys)
    return rows.withColumn(S.SURVIVOR, F.when(reaches, F.min(S.ID).over(group)))


def _field(name: str) -> pa.Field:
    """The (nullable) Arrow field of a column of step 2's key rows."""
    known = {f.name: f.type for f in S.ANNOTATED_SCHEMA}
    known.update({S.FIRST_AT: pa.string(), S.REACHES_DEDUP: pa.bool_(),
                  REACHES_UNLESS_REPEATED: pa.bool_(),
                  tasks.CHUNK: pa.int32(), tasks.TASK_KEY: pa.int64()})  # fmt: skip
    return pa.field(name, known[name])


def run_writers(facts, chunks: list[str], annotated: str, out: str, cfg: PipelineConfig) -> list:
    """Step 2's writers: the facts go to the writer task of their chunk, sorted by chunk, file
    and line; each task runs :func:`~curation.pipeline.dataset1_tasks.write_outputs`. Returns the
    collected :data:`~curation.pipeline.dataset1_tasks.COUNT_SCHEMA` rows."""
    from pyspark.sql import functions as F

    n = cfg.spark.shuffle_partitions
    sorted_facts = (
        facts.select(tasks.TASK_KEY, *tasks.FACT_COLUMNS)
        .repartition(n, F.col(tasks.TASK_KEY))
        .sortWithinPartitions(tasks.CHUNK, S.SRC_FILE, S.SRC_LINE)
        .drop(tasks.TASK_KEY)
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from tasks.write_outputs(_partition_id(), batches, chunks, annotated, out, cfg)

    return sorted_facts.mapInArrow(run, to_spark_schema(tasks.COUNT_SCHEMA)).collect()


def without_near_facts(facts):
    """``facts`` with null near-duplicate facts (``fuzzy_dedup`` off)."""
    from pyspark.sql import functions as F

    for f in decisions.FACTS_SCHEMA:
        if f.name in S.NEAR_FACTS:
            spark_type = to_spark_schema(pa.schema([f]))[0].dataType
            facts = facts.withColumn(f.name, F.lit(None).cast(spark_type))
    return facts


def _by_chunk(rows, n: int):
    """``rows`` on the writer task of their chunk, sorted by chunk, file and line (the order the
    Python tasks read chunks in)."""
    from pyspark.sql import functions as F

    return (
        rows.repartition(n, F.col(tasks.TASK_KEY))
        .sortWithinPartitions(tasks.CHUNK, S.SRC_FILE, S.SRC_LINE)
        .drop(tasks.TASK_KEY)
    )


def near_facts(facts, chunks: list[str], annotated: str, work: str, cfg: PipelineConfig):
    """``facts`` (:func:`group_facts`, saved) with the near-duplicate facts of fuzzy dedup, and
    its :class:`~curation.spark.fuzzy.FuzzyResult`.

    The documents it compares are the rows that pass rules 1-5 of
    :func:`~curation.stages.dataset1.decide` (decided here on the key columns); Python tasks read
    their texts from the chunks and turn them into band keys in the same task, so only keys are
    shuffled; the texts of candidate documents are read the same way for verification
    (:func:`curation.spark.fuzzy.near_duplicates_of`)."""
    from pyspark.sql import functions as F

    from curation.spark.fuzzy import near_duplicates_of
    from curation.stages import fuzzy_dedup as FD
    from curation.storage import join

    spark = facts.sparkSession
    n = cfg.spark.shuffle_partitions
    fcfg = cfg.fuzzy_dedup
    key_cols = [tasks.TASK_KEY, tasks.CHUNK, S.SRC_FILE, S.SRC_LINE, S.ID, S.DOMAIN, tasks.WANT]
    arrow_keys = pa.schema([_field(c) if c != S.DOMAIN else pa.field(c, pa.string())
                            for c in key_cols[:-1]] + [pa.field(tasks.WANT, pa.bool_())])  # fmt: skip

    def reach(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            verdict = decisions.decide(table, cfg)
            out = table.select(key_cols[:-1])
            out = out.set_column(out.schema.get_field_index(S.DOMAIN), S.DOMAIN,
                                 verdict.column(S.DOMAIN))  # fmt: skip
            out = out.append_column(tasks.WANT, pc.is_null(verdict.column(S.STAGE)))
            yield from out.cast(arrow_keys).to_batches()

    spark.sparkContext.setJobDescription("fuzzy dedup: the documents that reach it")
    keys = facts.mapInArrow(reach, to_spark_schema(arrow_keys))
    keys.write.parquet(join(work, "reach"))
    keys = spark.read.parquet(join(work, "reach"))

    def bands_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for table in tasks.read_texts(batches, chunks, annotated):
            yield from FD.band_rows(table, fcfg).to_batches()

    bands = _by_chunk(keys, n).mapInArrow(bands_of, to_spark_schema(FD.BAND_SCHEMA))

    def texts(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for table in tasks.read_texts(batches, chunks, annotated):
            yield from table.to_batches()

    def texts_of(ids):
        hit = ids.select(S.ID, F.lit(True).alias("_hit"))
        marked = keys.join(hit, on=S.ID, how="left").withColumn(
            tasks.WANT, F.col(tasks.WANT) & F.col("_hit").isNotNull()
        )
        wanted = _by_chunk(marked.select(*key_cols), n)
        return wanted.mapInArrow(texts, to_spark_schema(tasks.TEXT_SCHEMA)).select(S.ID, S.TEXT)

    result = near_duplicates_of(bands, texts_of, fcfg, join(work, "fuzzy"))
    removals = spark.read.parquet(result.removals).select(
        S.ID,
        F.col(S.DUPLICATE_OF).alias(S.NEAR_OF),
        F.col(S.SCORE).alias(S.NEAR_SCORE),
        F.col(S.CLUSTER).alias(S.NEAR_CLUSTER),
        F.col(S.DETAIL).alias(S.NEAR_DETAIL),
    )
    return facts.join(removals, on=S.ID, how="left"), result
