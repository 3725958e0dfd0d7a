"""Step 2's group facts computed by Python tasks over key rows exchanged as files.

Spark only schedules: each of the four jobs below is a list of tasks (an RDD job,
:func:`curation.spark.adapters.run_tasks`) that run these functions, read and write Parquet
themselves and return a few small rows. No row passes through the JVM and no Spark shuffle runs; what travels between the
jobs are key rows (id, file, line, domain, dedup key, chunk and position: never texts), bucketed
by a stable hash and written as one file per task with one row group per destination, so a task
reads only its own row groups.

A row is named by its *place*: its chunk (index into the chunk list) and its position in that
chunk (``_pos``, counted from 0 as the chunk is read back). The jobs:

1. :func:`key_rows` - one task per writer task: the key columns of its chunks,
   :func:`~curation.stages.dataset1.decide` without facts (the routed domain; whether the row
   reaches exact dedup unless its id is repeated), every valid row written by *id bucket*;
2. :func:`id_facts` - one task per id bucket: ``first_at`` of every repeated row (the first valid
   row of its id by file, line), the repeated ids' examples for ``on_duplicate_id=error``; the
   rows that reach exact dedup written by *key bucket*, the ``first_at`` facts by writer task;
3. :func:`survivor_facts` - one task per key bucket: ``survivor`` (the smallest id of the
   row's exact-dedup group) of every row that reaches dedup, written by writer task;
4. :func:`write_task` - one task per writer task: its facts from every file of jobs 2 and 3,
   spread over its chunks by position; the chunks read back, decided and written
   (:func:`curation.pipeline.dataset1_tasks.write_decided`). With fuzzy dedup,
   :func:`write_fact_rows` instead: every row's decision columns and facts, which fuzzy dedup
   and its Spark writers read.

The facts equal :func:`curation.stages.dataset1.group_facts` (tested). Memory of a task: the
key rows of one bucket or the facts of one writer task, each at most about
``spark.exchange_rows`` rows (the bucket and writer-task counts are derived from the row count
and the cores, :func:`task_count`), plus what the writers hold
(:mod:`~curation.pipeline.dataset1_tasks`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from curation import schema as S
from curation.config import PipelineConfig
from curation.pipeline import dataset1_tasks as tasks
from curation.stages import dataset1 as decisions
from curation.stages import exact_dedup
from curation.storage import arrow_filesystem, join

POS = "_pos"  # a row's position in its chunk
BUCKET = "_bucket"  # the destination of a row in an exchanged file: a bucket or a writer task
REACHES = "_reaches"  # reaches exact dedup unless its id is repeated

KEYS, FIRST, GROUPS, SURVIVORS = "keys", "first", "groups", "survivors"  # the exchange's folders

EXAMPLE_SCHEMA = pa.schema([pa.field(S.ID, pa.string()), pa.field("at", pa.list_(pa.string()))])
"""What :func:`id_facts` returns: up to 10 repeated ids of its bucket with up to 3 places."""


@dataclass(frozen=True)
class Exchange:
    """What every task of the exchange knows: the chunks, their writer tasks and row counts,
    the bucket count and the folders."""

    annotated: str  # _work/annotated/data
    chunks: list[str]  # file names in ``annotated``
    rows: list[int]  # rows of every chunk
    task_of_chunk: list[int]  # writer task of every chunk
    writers: int  # writer tasks (each writes its ledger part, if empty)
    buckets: int
    work: str  # the exchange's folder (deleted when the stage is done)

    def chunks_of(self, task: int) -> list[int]:
        return [c for c, t in enumerate(self.task_of_chunk) if t == task]

    def folder(self, name: str) -> str:
        return join(self.work, name)


def task_count(rows: int, cfg: PipelineConfig, parallelism: int) -> int:
    """The writer tasks, and the id and key buckets, of an exchange of ``rows`` rows on
    ``parallelism`` cores: ``spark.shuffle_partitions`` but at most two per core, more where
    that would put more than ``spark.exchange_rows`` key rows in one bucket or writer task.
    Each job's tasks cost a fixed start and a file per task and destination, so no more than
    two waves of tasks are made while the row bound allows (on 2 cores, 4 tasks instead of 8:
    step 2 ~1-2 core-s per GB and ~0.7 s of a 1 GB job less)."""
    wanted = min(cfg.spark.shuffle_partitions, 2 * max(1, parallelism))
    return max(wanted, math.ceil(rows / cfg.spark.exchange_rows))


def bucket_of(values: pa.Array, buckets: int) -> np.ndarray:
    """The bucket (< ``buckets``) of every string: a stable hash (xxh3), the same in every
    process and on every machine."""
    h = xxhash.xxh3_64_intdigest
    return np.fromiter((h(v.encode()) % buckets for v in values.to_pylist()), np.int32, len(values))


class _Exchanged:
    """One task's file of the exchange: rows written by destination, one row group per
    destination and flush, buffered up to ``limit`` rows."""

    def __init__(self, folder: str, task: int, schema: pa.Schema, limit: int) -> None:
        self.schema = pa.schema([pa.field(BUCKET, pa.int32()), *schema])
        self.writer = tasks.AtomicParquet(folder, _part(task), self.schema,
                                          tasks.WORK_COMPRESSION)  # fmt: skip
        self.parts: list[pa.Table] = []
        self.held, self.limit = 0, limit

    def add(self, table: pa.Table, to: np.ndarray) -> None:
        if table.num_rows:
            self.parts.append(table.add_column(0, BUCKET, pa.array(to, pa.int32())))
            self.held += table.num_rows
            if self.held >= self.limit:
                self._flush()

    def _flush(self) -> None:
        if not self.parts:
            return
        table = pa.concat_tables(self.parts).cast(self.schema)
        table = table.take(np.argsort(table.column(BUCKET).to_numpy(), kind="stable"))
        dest = table.column(BUCKET).to_numpy()
        cuts = np.flatnonzero(np.diff(dest)) + 1
        for start, end in zip(np.r_[0, cuts], np.r_[cuts, len(dest)], strict=True):
            self.writer.write(table.slice(start, end - start), row_group_size=end - start)
        self.parts, self.held = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()


def read_exchanged(folder: str, sources: int, dest: int) -> pa.Table:
    """The rows for destination ``dest`` from the files of tasks ``0 .. sources - 1`` in
    ``folder`` (only their row groups are read: each holds one destination, found from its
    statistics). Files by name, not by listing: a stray file is never read."""
    fs, base = arrow_filesystem(folder)
    parts: list[pa.Table] = []
    schema = None
    for task in range(sources):
        with fs.open_input_file(f"{base}/{_part(task)}") as fh:
            pf = pq.ParquetFile(fh)
            schema = pf.schema_arrow
            at = schema.get_field_index(BUCKET)
            meta = pf.metadata
            groups = [g for g in range(meta.num_row_groups)
                      if meta.row_group(g).column(at).statistics.min == dest]  # fmt: skip
            if groups:
                parts.append(pf.read_row_groups(groups))
    if parts:
        return pa.concat_tables(parts).drop_columns([BUCKET])
    if schema is None:
        raise RuntimeError(f"{folder}: no task wrote to it")
    return schema.empty_table().drop_columns([BUCKET])


def _part(task: int) -> str:
    return f"part-{task:05d}.parquet"


def _row_groups(ex: Exchange, c: int, columns: list[str] | None = None
                ) -> Iterator[tuple[int, pa.Table]]:  # fmt: skip
    """(position of its first row, a row group) for every row group of chunk ``c``, in order;
    only ``columns`` are read (all when None). A chunk whose rows are not the manifest's count
    fails, naming it."""
    fs, base = arrow_filesystem(ex.annotated)
    pos = 0
    with fs.open_input_file(f"{base}/{ex.chunks[c]}") as fh:
        pf = pq.ParquetFile(fh)
        for g in range(pf.num_row_groups):
            rows = pf.read_row_group(g, columns=columns)
            yield pos, rows
            pos += rows.num_rows
    if pos != ex.rows[c]:
        raise RuntimeError(f"chunk {ex.chunks[c]} holds {pos} rows, its manifest {ex.rows[c]}")


# --- 1. key rows, by id bucket -----------------------------------------------------------------

ID_ROW_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string()),
        pa.field(S.SRC_FILE, pa.string()),
        pa.field(S.SRC_LINE, pa.int64()),
        pa.field(tasks.CHUNK, pa.int32()),
        pa.field(POS, pa.int64()),
        pa.field(REACHES, pa.bool_()),
        pa.field(S.DOMAIN, pa.string()),
        pa.field(S.DEDUP_KEY, pa.string()),
    ]
)
"""A valid row as :func:`key_rows` sends it to its id bucket."""


def key_rows(task: int, ex: Exchange, cfg: PipelineConfig) -> Iterator[pa.RecordBatch]:
    """Job 1 for one writer task: its chunks' valid rows to their id buckets."""
    out = _Exchanged(ex.folder(KEYS), task, ID_ROW_SCHEMA, cfg.spark.exchange_rows)
    for c in ex.chunks_of(task):
        for pos, rows in _row_groups(ex, c, list(decisions.DECISION_COLUMNS)):
            n = rows.num_rows
            verdict = decisions.decide(rows, cfg)
            valid = pc.is_null(rows.column(S.INVALID_REASON))
            table = pa.table(
                {
                    S.ID: rows.column(S.ID),
                    S.SRC_FILE: rows.column(S.SRC_FILE),
                    S.SRC_LINE: rows.column(S.SRC_LINE),
                    tasks.CHUNK: pa.array(np.full(n, c, np.int32)),
                    POS: pa.array(np.arange(pos, pos + n, dtype=np.int64)),
                    REACHES: verdict.column(S.REACHES_DEDUP),
                    S.DOMAIN: verdict.column(S.DOMAIN),
                    S.DEDUP_KEY: rows.column(S.DEDUP_KEY),
                }
            ).filter(valid)
            out.add(table, bucket_of(table.column(S.ID).combine_chunks(), ex.buckets))
    out.close()
    return iter(())


# --- 2. first rows of every id -----------------------------------------------------------------

FIRST_SCHEMA = pa.schema(
    [
        pa.field(tasks.CHUNK, pa.int32()),
        pa.field(POS, pa.int64()),
        pa.field(S.FIRST_AT, pa.string()),
    ]
)
GROUP_ROW_SCHEMA = pa.schema(
    [
        pa.field(S.DOMAIN, pa.string()),
        pa.field(S.DEDUP_KEY, pa.string()),
        pa.field(S.ID, pa.string()),
        pa.field(tasks.CHUNK, pa.int32()),
        pa.field(POS, pa.int64()),
    ]
)
"""A row that reaches exact dedup, as :func:`id_facts` sends it to its key bucket."""


def id_facts(bucket: int, ex: Exchange, cfg: PipelineConfig) -> Iterator[pa.RecordBatch]:
    """Job 2 for one id bucket: ``first_at`` of its repeated rows (to their writer tasks), its
    rows that reach dedup (to their key buckets); yields :data:`EXAMPLE_SCHEMA` rows."""
    rows = read_exchanged(ex.folder(KEYS), ex.writers, bucket)
    rows = rows.sort_by([(S.ID, "ascending"), (S.SRC_FILE, "ascending"),
                         (S.SRC_LINE, "ascending")])  # fmt: skip
    ids = rows.column(S.ID).combine_chunks()
    n = rows.num_rows
    repeated = np.zeros(n, bool)
    if n > 1:
        repeated[1:] = pc.equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(~repeated)  # the first row of every id
    first_of = starts[np.cumsum(~repeated) - 1]
    places = decisions.where(rows)
    task_of_chunk = np.asarray(ex.task_of_chunk, np.int32)
    chunk = rows.column(tasks.CHUNK).to_numpy()

    first = _Exchanged(ex.folder(FIRST), bucket, FIRST_SCHEMA, cfg.spark.exchange_rows)
    again = np.flatnonzero(repeated)
    facts = pa.table(
        {
            tasks.CHUNK: rows.column(tasks.CHUNK).take(again),
            POS: rows.column(POS).take(again),
            S.FIRST_AT: places.take(pa.array(first_of[again])),
        }
    )
    first.add(facts, task_of_chunk[chunk[again]])
    first.close()

    reaching = np.logical_and(rows.column(REACHES).to_numpy(zero_copy_only=False), ~repeated)
    keyed = rows.filter(pa.array(reaching)).select(GROUP_ROW_SCHEMA.names)
    groups = _Exchanged(ex.folder(GROUPS), bucket, GROUP_ROW_SCHEMA, cfg.spark.exchange_rows)
    groups.add(keyed, bucket_of(keyed.column(S.DEDUP_KEY).combine_chunks(), ex.buckets))
    groups.close()
    yield from _examples(ids, places, repeated, starts)


def _examples(ids: pa.Array, places: pa.Array, repeated: np.ndarray, starts: np.ndarray,
              limit: int = 10) -> Iterator[pa.RecordBatch]:  # fmt: skip
    """The first ``limit`` repeated ids (rows sorted by id) with up to three places, sorted."""
    ends = np.r_[starts[1:], len(repeated)]
    found = np.flatnonzero(ends - starts > 1)[:limit]
    if len(found):
        got = [(ids[s].as_py(), sorted(places.slice(s, e - s).to_pylist())[:3])
               for s, e in zip(starts[found], ends[found], strict=True)]  # fmt: skip
        yield pa.RecordBatch.from_pylist([{S.ID: i, "at": a} for i, a in got],
                                         schema=EXAMPLE_SCHEMA)  # fmt: skip


def duplicate_ids(examples: list[dict], limit: int = 10) -> decisions.DuplicateIds:
    """The first ``limit`` repeated ids over every bucket's examples (in id order)."""
    best = sorted((r[S.ID], list(r["at"])) for r in examples)[:limit]
    return decisions.DuplicateIds(best)


# --- 3. survivors of every exact-dedup group ---------------------------------------------------

SURVIVOR_SCHEMA = pa.schema(
    [
        pa.field(tasks.CHUNK, pa.int32()),
        pa.field(POS, pa.int64()),
        pa.field(S.SURVIVOR, pa.string()),
    ]
)


def survivor_facts(bucket: int, ex: Exchange, cfg: PipelineConfig) -> Iterator[pa.RecordBatch]:
    """Job 3 for one key bucket: the survivor of every row that reaches dedup, to its writer
    task."""
    rows = read_exchanged(ex.folder(GROUPS), ex.buckets, bucket)
    keys = exact_dedup.group_columns(cfg.exact_dedup)
    smallest = rows.group_by(keys).aggregate([(S.ID, "min")]).rename_columns([*keys, S.SURVIVOR])
    joined = rows.join(smallest, keys, join_type="inner")
    if joined.num_rows != rows.num_rows:  # a null key would drop out of the join
        raise RuntimeError(f"key bucket {bucket}: {rows.num_rows - joined.num_rows} rows lost")
    facts = joined.select(SURVIVOR_SCHEMA.names)
    task_of_chunk = np.asarray(ex.task_of_chunk, np.int32)
    out = _Exchanged(ex.folder(SURVIVORS), bucket, SURVIVOR_SCHEMA, cfg.spark.exchange_rows)
    out.add(facts, task_of_chunk[facts.column(tasks.CHUNK).to_numpy()])
    out.close()
    return iter(())


# --- 4. the writers ------------------------------------------------------------------------------


def _spread(facts: pa.Table, chunks: np.ndarray, name: str, chunk: int, n: int) -> pa.Array:
    """Column ``name`` of the facts of ``chunk`` at their positions in a column of ``n`` rows
    (null elsewhere); ``chunks`` is the facts' chunk column (sorted) as numpy."""
    lo, hi = np.searchsorted(chunks, chunk, "left"), np.searchsorted(chunks, chunk, "right")
    values = facts.column(name).slice(lo, hi - lo).combine_chunks()
    index = np.full(n, -1, np.int64)
    index[facts.column(POS).slice(lo, hi - lo).to_numpy()] = np.arange(hi - lo)
    return values.take(pa.array(index, mask=index < 0))


def _facts_of(task: int, ex: Exchange) -> Iterator[tuple[int, pa.Table]]:
    """(chunk, its facts: :data:`~curation.pipeline.dataset1_tasks.FACT_COLUMNS` from
    ``first_at`` on, one row per row of the chunk) for every chunk of writer task ``task``."""
    order = [(tasks.CHUNK, "ascending"), (POS, "ascending")]
    first = read_exchanged(ex.folder(FIRST), ex.buckets, task).sort_by(order)
    survivor = read_exchanged(ex.folder(SURVIVORS), ex.buckets, task).sort_by(order)
    first_chunks = first.column(tasks.CHUNK).to_numpy()
    survivor_chunks = survivor.column(tasks.CHUNK).to_numpy()
    for c in ex.chunks_of(task):
        n = ex.rows[c]
        got = {S.FIRST_AT: _spread(first, first_chunks, S.FIRST_AT, c, n),
               S.SURVIVOR: _spread(survivor, survivor_chunks, S.SURVIVOR, c, n)}  # fmt: skip
        got.update({f.name: pa.nulls(n, f.type) for f in decisions.FACTS_SCHEMA
                    if f.name in S.NEAR_FACTS})  # fmt: skip
        yield c, pa.table(got)


def _with_facts(task: int, ex: Exchange, columns: list[str] | None = None
                ) -> Iterator[tuple[int, pa.Table, pa.Table]]:  # fmt: skip
    """(chunk, a row group of it, the row group's facts) for every chunk of writer task
    ``task``, in order; only ``columns`` of the rows are read (all when None)."""
    for c, facts in _facts_of(task, ex):
        for pos, rows in _row_groups(ex, c, columns):
            yield c, rows, facts.slice(pos, rows.num_rows)


def write_task(task: int, ex: Exchange, out: str, cfg: PipelineConfig) -> Iterator[pa.RecordBatch]:
    """Job 4 for one writer task: its chunks decided with their facts and written into ``out``;
    yields :data:`~curation.pipeline.dataset1_tasks.COUNT_SCHEMA` rows."""
    merged = ((rows, facts) for _, rows, facts in _with_facts(task, ex))
    yield from tasks.write_decided(task, merged, out, cfg)


def fact_rows_schema() -> pa.Schema:
    """What :func:`write_fact_rows` writes: a row's decision columns, its chunk, its writer
    task's key, its routed domain and its facts (without the near-duplicate ones)."""
    known = {f.name: f for f in S.ANNOTATED_SCHEMA}
    return pa.schema(
        [known[c].with_nullable(True) for c in decisions.DECISION_COLUMNS]
        + [
            pa.field(tasks.CHUNK, pa.int32()),
            pa.field(tasks.TASK_KEY, pa.int64()),
            pa.field(S.DOMAIN, pa.string()),
            pa.field(S.FIRST_AT, pa.string()),
            pa.field(S.SURVIVOR, pa.string()),
        ]  # fmt: skip
    )


def write_fact_rows(task: int, ex: Exchange, keys: list[int], out: str
                    ) -> Iterator[pa.RecordBatch]:  # fmt: skip
    """Job 4 with fuzzy dedup, for one writer task: every row of its chunks as
    :func:`fact_rows_schema` into ``out/part-<task>.parquet`` (what fuzzy dedup reads through
    Spark); ``keys[task]`` is the task's :data:`~curation.pipeline.dataset1_tasks.TASK_KEY`."""
    schema = fact_rows_schema()
    writer = tasks.AtomicParquet(out, _part(task), schema, tasks.WORK_COMPRESSION)
    for c, rows, facts in _with_facts(task, ex, list(decisions.DECISION_COLUMNS)):
        n = rows.num_rows
        table = rows.append_column(tasks.CHUNK, pa.array(np.full(n, c, np.int32)))
        table = table.append_column(tasks.TASK_KEY, pa.array(np.full(n, keys[task], np.int64)))
        table = table.append_column(S.DOMAIN, pa.nulls(n, pa.string()))  # set by fuzzy dedup
        for name in (S.FIRST_AT, S.SURVIVOR):
            table = table.append_column(name, facts.column(name))
        writer.write(table.cast(schema))
    writer.close()
    return iter(())
