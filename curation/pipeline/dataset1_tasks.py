"""Dataset-1's ingest and writer tasks, which Python workers run and Spark only schedules.

* :func:`ingest_files` (step 1) - a list of input files, read as streams straight from their file
  system (no Spark file source: names are never globs or URIs to Spark): every row ingested
  (:func:`curation.stages.ingest.read_batches`), annotated
  (:func:`curation.stages.dataset1.annotate_batch`) and written, batch by batch, into *chunks* of
  ``_work/annotated/data`` - Parquet files of at most ``spark.chunk_chars`` characters of text,
  holding the rows of consecutive files of the task in (file, line) order. Returns a
  :data:`CHUNK_SCHEMA` row per (chunk, input file).
* :func:`write_decided` (step 2) - annotated rows with their group facts, batch by batch: every
  row decided (:func:`curation.stages.dataset1.decide`) and written: kept documents to
  ``data/domain=<name>/part-<task>.parquet``, removed ones to ``removed/part-<task>.parquet``.
  Returns a :data:`COUNT_SCHEMA` row per (source domain, domain, stage, reason). The facts come
  from :mod:`curation.pipeline.dataset1_exchange`, or with fuzzy dedup from Spark as
  :func:`write_outputs` takes them: sorted by (chunk, file, line) and merged with the chunks read
  back.
* :func:`read_texts` (fuzzy dedup) - the same merge of facts and chunks, yielding the texts of
  the rows the facts mark (:data:`WANT`): how fuzzy dedup gets texts without shuffling them.

Memory of a task: one batch of input (``ingest.batch_rows`` rows, ``ingest.batch_chars``
characters, the longest document at least) and its Arrow copies, the kept rows waiting for their
domain's next row group (``ingest.batch_chars`` in all), and the facts of the task (from the
exchange: at most about ``spark.exchange_rows`` rows; from Spark: one batch of
``spark.arrow_batch_rows`` rows); never a whole file or a whole partition.

Every file is written under ``<folder>/_temporary/`` and moved into place when it is complete, so
a killed or retried task leaves no partial file where a result is read.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation import schema as S
from curation.config import PipelineConfig
from curation.run_layout import DATA, REMOVED
from curation.stages import dataset1 as decisions
from curation.stages import ingest, langid
from curation.storage import arrow_filesystem, join, local_path

log = logging.getLogger(__name__)

TEMPORARY = "_temporary"
CHUNK = "_chunk"  # the chunk a row lies in (index into the chunk list)
TASK_KEY = "_task_key"  # a value Spark's hash partitioning sends to the chunk's writer task
WORK_COMPRESSION = ("zstd", 1)  # the exchange's files; _work/annotated when kept
OUTPUT_COMPRESSION = ("zstd", 1)  # the datasets: 2.7x faster to write than level 3, 15% larger
UNIQUE_COLUMNS = frozenset({S.ID, S.TEXT, S.MD5, S.DEDUP_KEY})
"""Columns whose values rarely repeat: written without Parquet's dictionary encoding, which would
hash every text only to give up after the first megabyte of a row group."""

CHUNK_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),  # file name in _work/annotated/data
        pa.field(S.SRC_FILE, pa.string(), nullable=False),
        pa.field(S.SRC_DOMAIN, pa.string(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("invalid", pa.int64(), nullable=False),
        pa.field("chars", pa.int64(), nullable=False),
    ]
)
"""What :func:`ingest_files` reports: rows, invalid rows and text characters of each input file
in each chunk."""

COUNT_SCHEMA = pa.schema(
    [
        pa.field(S.SRC_DOMAIN, pa.string()),
        pa.field(S.DOMAIN, pa.string()),
        pa.field(S.STAGE, pa.string()),
        pa.field(S.REASON, pa.string()),
        pa.field("n", pa.int64()),
    ]
)
"""What :func:`write_outputs` reports: rows per outcome (``stage`` null = kept)."""

FACT_COLUMNS = (CHUNK, S.SRC_FILE, S.SRC_LINE, S.FIRST_AT, S.SURVIVOR, *S.NEAR_FACTS)
"""The columns of the facts a writer task receives, sorted by chunk, file and line."""

WANT = "_want"  # a row whose text :func:`read_texts` returns

TEXT_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string(), nullable=False),
        pa.field(S.DOMAIN, pa.string(), nullable=False),
        pa.field(S.TEXT, pa.string()),
    ]
)
"""What :func:`read_texts` yields: a wanted row's id, (routed) domain and text."""


def open_input(f: ingest.InputFile, seekable: bool = False) -> BinaryIO:
    """An input file as a binary stream: a local file by its OS path (any bytes in its name),
    anything else through pyarrow's file systems (S3, HDFS; no compression guessed)."""
    path = local_path(f.uri)
    if path is not None:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    fs, where = arrow_filesystem(f.uri)
    if seekable:
        return fs.open_input_file(where)
    return fs.open_input_stream(where, compression=None)


# --- step 1: ingest + annotate ---------------------------------------------------------------------


@contextmanager
def _naming(path: str) -> Iterator[None]:
    """An ``OSError`` that does not say which file (pyarrow's ``[Errno 28] Error writing bytes to
    file``) is raised again naming ``path``, so that :mod:`curation.disk_errors` can name the run
    folder of a full or read-only disk from a worker's traceback."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno:
            raise OSError(exc.errno, os.strerror(exc.errno), path) from exc
        raise


class AtomicParquet:
    """A Parquet file written under ``<folder>/_temporary/`` and moved to ``<folder>/<name>``
    when closed."""

    def __init__(self, folder: str, name: str, schema: pa.Schema, compression: tuple) -> None:
        self.fs, base = arrow_filesystem(folder)
        self.final = f"{base}/{name}"
        self.tmp = f"{base}/{TEMPORARY}/{uuid.uuid4().hex}-{name.replace('/', '-')}"
        with _naming(self.tmp):
            self.fs.create_dir(f"{base}/{TEMPORARY}", recursive=True)
            self.writer = pq.ParquetWriter(
                self.tmp, schema, filesystem=self.fs,
                compression=compression[0], compression_level=compression[1],
                use_dictionary=[n for n in schema.names if n not in UNIQUE_COLUMNS],
            )  # fmt: skip

    def write(self, table: pa.Table, row_group_size: int | None = None) -> None:
        with _naming(self.tmp):
            self.writer.write_table(table, row_group_size=row_group_size)

    def close(self) -> None:
        with _naming(self.tmp):
            self.writer.close()
        parent = self.final.rsplit("/", 1)[0]
        with _naming(self.final):
            self.fs.create_dir(parent, recursive=True)
            self.fs.move(self.tmp, self.final)


def annotated_compression(cfg: PipelineConfig) -> tuple[str, int | None]:
    """The (codec, level) of ``_work/annotated``'s chunks: ``run.annotated_compression``, where
    ``auto`` is none when the chunks are deleted after Dataset-1 and zstd 1 when they are kept."""
    choice = cfg.run.annotated_compression
    if choice == "auto":
        choice = "zstd" if cfg.run.keep_annotated else "none"
    return WORK_COMPRESSION if choice == "zstd" else ("none", None)


def chunk_name(task: int, k: int) -> str:
    """The file name of the ``k``-th chunk an ingest task writes."""
    return f"part-{task:05d}-{k:04d}.parquet"


def ingest_files(
    task: int, files: list[ingest.InputFile], out: str, cfg: PipelineConfig
) -> Iterator[pa.RecordBatch]:
    """Step 1 for one task: ``files`` (in this order) -> chunks in ``out``; yields
    :data:`CHUNK_SCHEMA` batches (one per chunk)."""
    limit = cfg.spark.chunk_chars
    compression = annotated_compression(cfg)
    k = 0
    writer: AtomicParquet | None = None
    chars = 0
    domain = None
    stats: dict[tuple[str, str], list[int]] = {}
    cache = langid.DetectionCache()  # a text seen again in this task is not detected again

    def close() -> Iterator[pa.RecordBatch]:
        nonlocal writer, chars, k, stats
        if writer is None:
            return
        writer.close()
        name = chunk_name(task, k)
        rows = [(name, src, dom, *v) for (src, dom), v in stats.items()]
        yield pa.RecordBatch.from_arrays(
            [pa.array(c, f.type) for c, f in zip(zip(*rows, strict=True), CHUNK_SCHEMA, strict=True)],
            schema=CHUNK_SCHEMA,
        )  # fmt: skip
        writer, chars, stats = None, 0, {}
        k += 1

    for f in files:
        kind, _ = ingest.file_format(f.rel_path) or ("", None)
        with open_input(f, seekable=kind == "parquet") as stream:
            for batch in ingest.read_batches(stream, f, cfg.ingest):
                annotated = decisions.annotate_batch(batch.table, cfg, batch.texts, cache)
                n_chars = pc.sum(annotated.column(S.N_CHARS)).as_py() or 0
                if writer is not None and (chars + n_chars > limit or f.src_domain != domain):
                    yield from close()  # a chunk holds one source domain
                if writer is None:
                    writer = AtomicParquet(
                        out, chunk_name(task, k), S.ANNOTATED_SCHEMA, compression
                    )
                writer.write(annotated)
                chars += n_chars
                domain = f.src_domain
                s = stats.setdefault((f.rel_path, f.src_domain), [0, 0, 0])
                s[0] += annotated.num_rows
                s[1] += annotated.num_rows - annotated.column(S.INVALID_REASON).null_count
                s[2] += n_chars
        if stats.get((f.rel_path, f.src_domain)) is None:
            log.info("%s holds no rows", f.rel_path)
    yield from close()


# --- step 2: decide + write ------------------------------------------------------------------------


class _Facts:
    """The facts of a writer task, taken in runs of rows as its chunks are read back."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self._batches = iter(batches)
        self._head: pa.RecordBatch | None = None

    def _fill(self) -> bool:
        while self._head is None or self._head.num_rows == 0:
            nxt = next(self._batches, None)
            if nxt is None:
                return False
            self._head = nxt
        return True

    def next_chunk(self) -> int | None:
        """The chunk of the next fact, None when all are taken."""
        return self._head.column(CHUNK)[0].as_py() if self._fill() else None

    def take(self, n: int) -> pa.Table:
        parts = []
        while n > 0 and self._fill():
            part = self._head.slice(0, n)
            self._head = self._head.slice(part.num_rows)
            parts.append(part)
            n -= part.num_rows
        if n > 0:
            raise RuntimeError(f"the facts ended {n} rows early")
        return pa.Table.from_batches(parts)


def _text_chars(rows: pa.Table) -> int:
    """Characters of the ``text`` column of kept rows (their ``n_chars``, a document's length)
    or ledger rows (which have no ``n_chars``: counted from the texts)."""
    if S.N_CHARS in rows.column_names:
        return pc.sum(rows.column(S.N_CHARS)).as_py() or 0  # kept rows: all valid documents
    return pc.sum(pc.utf8_length(rows.column(S.TEXT))).as_py() or 0


class _Outputs:
    """Kept rows (one part file per domain) and ledger rows (one part file), buffered until
    ``ingest.batch_chars`` characters wait in all, then written as one row group per file."""

    LEDGER = ""  # the buffer key of the ledger

    def __init__(self, out: str, task: int, cfg: PipelineConfig) -> None:
        self.out, self.name, self.cfg = out, f"part-{task:05d}.parquet", cfg
        self.files: dict[str, AtomicParquet] = {}
        self.buffers: dict[str, list[pa.Table]] = {}
        self.buffered = 0
        self._open(self.LEDGER)  # every task writes its ledger part, if empty

    def _open(self, key: str) -> AtomicParquet:
        writer = self.files.get(key)
        if writer is None:
            if key == self.LEDGER:
                writer = AtomicParquet(join(self.out, REMOVED), self.name, S.LEDGER_SCHEMA,
                                       OUTPUT_COMPRESSION)  # fmt: skip
            else:
                writer = AtomicParquet(join(self.out, DATA), f"domain={key}/{self.name}",
                                       S.RECORD_SCHEMA, OUTPUT_COMPRESSION)  # fmt: skip
            self.files[key] = writer
        return writer

    def _buffer(self, key: str, table: pa.Table) -> None:
        self.buffers.setdefault(key, []).append(table)
        self.buffered += _text_chars(table)

    def add(self, kept: pa.Table, ledger: pa.Table) -> None:
        if ledger.num_rows:
            self._buffer(self.LEDGER, ledger)
        if kept.num_rows:
            domains = pc.unique(kept.column(S.DOMAIN)).to_pylist()
            if len(domains) == 1:  # most row groups: their texts are not copied per domain
                self._buffer(domains[0], kept)
            else:
                for domain in domains:
                    self._buffer(domain, kept.filter(pc.equal(kept.column(S.DOMAIN), domain)))
        if self.buffered >= self.cfg.ingest.batch_chars:
            self._flush()

    def _flush(self) -> None:
        for key, parts in sorted(self.buffers.items()):
            self._open(key).write(pa.concat_tables(parts))
        self.buffers, self.buffered = {}, 0

    def close(self) -> None:
        self._flush()
        for writer in self.files.values():
            writer.close()


def write_outputs(
    task: int,
    facts: Iterator[pa.RecordBatch],
    chunks: list[str],
    annotated: str,
    out: str,
    cfg: PipelineConfig,
) -> Iterator[pa.RecordBatch]:
    """Step 2 for one writer task: its facts (:data:`FACT_COLUMNS`, sorted) merged with the
    chunks they name (``chunks[i]`` = file name of chunk ``i`` in ``annotated``); every row
    decided and written into ``out``; yields :data:`COUNT_SCHEMA` batches."""
    yield from write_decided(task, _merged(_Facts(facts), chunks, annotated), out, cfg)


def write_decided(
    task: int, merged: Iterator[tuple[pa.Table, pa.Table]], out: str, cfg: PipelineConfig
) -> Iterator[pa.RecordBatch]:
    """Rows with their facts (``(rows, facts)``: annotated rows, and :data:`FACT_COLUMNS` from
    ``first_at`` on, aligned) decided and written into ``out`` as writer task ``task``; yields
    :data:`COUNT_SCHEMA` batches."""
    outputs = _Outputs(out, task, cfg)
    counts: Counter[tuple] = Counter()
    for rows, got in merged:
        for name in FACT_COLUMNS[3:]:
            rows = rows.append_column(name, got.column(name))
        verdict = decisions.decide(rows, cfg)
        outputs.add(decisions.kept_rows(rows, verdict), decisions.ledger_rows(rows, verdict))
        keys = zip(
            rows.column(S.SRC_DOMAIN).to_pylist(),
            verdict.column(S.DOMAIN).to_pylist(),
            verdict.column(S.STAGE).to_pylist(),
            verdict.column(S.REASON).to_pylist(),
            strict=True,
        )
        counts.update(keys)
    outputs.close()
    if counts:
        rows = [(*k, n) for k, n in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0])))]
        yield pa.RecordBatch.from_arrays(
            [pa.array(c, f.type) for c, f in zip(zip(*rows, strict=True), COUNT_SCHEMA, strict=True)],
            schema=COUNT_SCHEMA,
        )  # fmt: skip


def _merged(
    stream: _Facts, chunks: list[str], annotated: str, columns: list[str] | None = None
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """(row group of a chunk, its facts) for every chunk the facts name, in their order; only
    ``columns`` of the rows are read (all when None)."""
    fs, base = arrow_filesystem(annotated)
    while (chunk := stream.next_chunk()) is not None:
        with fs.open_input_file(f"{base}/{chunks[chunk]}") as fh:
            pf = pq.ParquetFile(fh)
            for i in range(pf.num_row_groups):
                rows = pf.read_row_group(i, columns=columns)
                got = stream.take(rows.num_rows)
                _check_aligned(rows, got, chunk, chunks[chunk])
                yield rows, got
        if stream.next_chunk() == chunk:
            raise RuntimeError(f"chunk {chunks[chunk]} has fewer rows than its facts")


def read_texts(
    facts: Iterator[pa.RecordBatch], chunks: list[str], annotated: str
) -> Iterator[pa.Table]:
    """The texts of some rows (fuzzy dedup's inputs) read from their chunks, texts never
    shuffled: ``facts`` are (:data:`CHUNK`, file, line, id, domain, :data:`WANT`) of *every*
    row of some chunks, sorted by chunk, file and line; yields :data:`TEXT_SCHEMA` tables of
    the rows whose ``_want`` is true (their domain is the one in the facts: the routed one)."""
    stream = _Facts(facts)
    for rows, got in _merged(stream, chunks, annotated, [S.SRC_FILE, S.SRC_LINE, S.TEXT]):
        want = pc.fill_null(got.column(WANT), False)
        if not pc.any(want).as_py():
            continue
        table = pa.table(
            {S.ID: got.column(S.ID), S.DOMAIN: got.column(S.DOMAIN), S.TEXT: rows.column(S.TEXT)}
        ).filter(want)
        yield table.cast(TEXT_SCHEMA)


def _check_aligned(rows: pa.Table, facts: pa.Table, chunk: int, name: str) -> None:
    """The facts are those of these rows (same chunk, file and line, in order)."""
    same = (
        pc.all(pc.equal(facts.column(CHUNK), chunk)).as_py()
        and rows.column(S.SRC_FILE).equals(facts.column(S.SRC_FILE).cast(pa.string()))
        and rows.column(S.SRC_LINE).equals(facts.column(S.SRC_LINE).cast(pa.int64()))
    )
    if not same:
        raise RuntimeError(f"the facts of chunk {name} are not aligned with its rows")


def cleanup_temporary(folder: str) -> None:
    """Remove ``<folder>/_temporary`` (what failed task attempts left)."""
    fs, base = arrow_filesystem(folder)
    from pyarrow.fs import FileType

    if fs.get_file_info(f"{base}/{TEMPORARY}").type != FileType.NotFound:
        fs.delete_dir(f"{base}/{TEMPORARY}")
