"""Tokenizing one unit of a dataset (a Parquet row group): the token stage's first task, the same
in a local worker process and in a Spark task.

:func:`encode_unit` reads one row group of a dataset file (any URI :func:`curation.storage.
arrow_filesystem` opens), tokenizes every document with the chosen tokenizer (and with any
``tokens.compare`` tokenizer, for counting only) and writes ``unit-NNNNNN.parquet`` into a work
folder: per document, in file order, :data:`~curation.schema.ENCODED_SCHEMA` - its id and domain,
its shuffle key and its token count, and its token ids either inline (``token_ids``: the
little-endian bytes of the shard dtype, what a Spark shuffle moves) or, for the local engine,
appended to ``unit-NNNNNN.tok`` beside it (memory-mapped later by the shard writers). It returns
the unit's counts for the efficiency report.

The shuffle key is ``xxh3_64(id, tokens.seed)`` stored as a signed 64-bit integer with the sign
bit flipped (:func:`order_keys`), so that sorting the signed column (as Spark and Arrow do) sorts
the unsigned hashes; documents are ordered by (key, id). The tokenizers travel as their JSON text
(:class:`TokenizerSet`) and are loaded once per process.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from xxhash import xxh3_64_intdigest

from curation import schema as S
from curation import tokenizer as TOK
from curation.stages.tokenizer_efficiency import Counts, text_counts, token_counts
from curation.storage import arrow_filesystem, join, temporary_name

log = logging.getLogger(__name__)

BATCH_ROWS = 256
"""Documents per ``encode_batch`` call (and per written batch)."""
SIGN = np.uint64(1 << 63)


@dataclass(frozen=True)
class TokenizerSet:
    """What every task needs: the tokenizers as ``tokenizer.json`` texts, the shard dtype and the
    shuffle seed (sent once per worker process or Spark executor)."""

    chosen: str
    compare: tuple[str, ...]
    dtype: str
    seed: int

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for text in (self.chosen, *self.compare, self.dtype, str(self.seed)):
            h.update(text.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()


@dataclass
class _Loaded:
    tok: object  # tokenizers.Tokenizer
    unknown: np.ndarray
    fallback: np.ndarray


_LOADED: dict[str, list[_Loaded]] = {}


def loaded(setup: TokenizerSet) -> list[_Loaded]:
    """The tokenizers of ``setup`` (chosen first), loaded once per process."""
    key = setup.digest
    if key not in _LOADED:
        toks = []
        for text in (setup.chosen, *setup.compare):
            tok = TOK.tokenizer_from_json(text)
            unknown, fallback = TOK.token_classes(tok)
            toks.append(_Loaded(tok, unknown, fallback))
        _LOADED.clear()  # one set per process: a new job's set replaces the last one
        _LOADED[key] = toks
    return _LOADED[key]


def single_threaded() -> None:
    """Keep the tokenizers library's own thread pool off in this process (the pool or Spark's
    tasks are the parallelism; set before the first encode)."""
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def order_keys(ids: list[str], seed: int) -> np.ndarray:
    """``xxh3_64(id, seed)`` as int64 with the sign bit flipped: signed order = unsigned order."""
    keys = np.fromiter(
        (xxh3_64_intdigest(i.encode("utf-8"), seed) for i in ids), dtype=np.uint64, count=len(ids)
    )
    return (keys ^ SIGN).view(np.int64)


@dataclass(frozen=True)
class Unit:
    """One row group of one dataset file: what one task tokenizes."""

    index: int
    domain: str
    path: str  # the file's URI
    row_group: int
    rows: int


@dataclass
class UnitResult:
    """What a unit task reports: per domain, the counts of each tokenizer (chosen first)."""

    counts: dict[str, list[Counts]] = field(default_factory=dict)

    def merge(self, other: UnitResult) -> UnitResult:
        for domain, cs in other.counts.items():
            mine = self.counts.setdefault(domain, [Counts() for _ in cs])
            for a, b in zip(mine, cs, strict=True):
                a.add(b)
        return self


def unit_file(work_uri: str, index: int) -> str:
    return join(work_uri, f"unit-{index:06d}.parquet")


def tokens_file(work_uri: str, index: int) -> str:
    return join(work_uri, f"unit-{index:06d}.tok")


def encoded_schema(inline: bool) -> pa.Schema:
    return (
        S.ENCODED_SCHEMA
        if inline
        else S.ENCODED_SCHEMA.remove(S.ENCODED_SCHEMA.get_field_index(S.TOKEN_IDS))
    )


def _ids_of(tok: object, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]  # type: ignore[attr-defined]


def binary_tokens(flat: np.ndarray, lengths: np.ndarray, dtype: np.dtype) -> pa.BinaryArray:
    """One binary value per document: its ids' little-endian bytes in ``dtype``."""
    data = np.ascontiguousarray(flat, dtype=dtype.newbyteorder("<"))
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths * dtype.itemsize, out=offsets[1:])
    if offsets[-1] >= 2**31:  # 256 documents of millions of tokens each
        raise ValueError(f"{len(lengths)} documents hold more than 2 GiB of token ids")
    return pa.BinaryArray.from_buffers(
        pa.binary(),
        len(lengths),
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )


def token_reader(
    column: pa.Array | pa.ChunkedArray, dtype: np.dtype
) -> Callable[[int], np.ndarray]:
    """``fetch(i)``: the ids of the i-th value of a ``token_ids`` column (no copies)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    column = column.cast(pa.binary())
    _, offsets, data = column.buffers()
    bounds = np.frombuffer(offsets, np.int32, len(column) + 1, column.offset * 4)
    raw = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    little = np.dtype(dtype).newbyteorder("<")

    def fetch(i: int) -> np.ndarray:
        return raw[bounds[i] : bounds[i + 1]].view(little)

    return fetch


def encode_unit(unit: Unit, setup: TokenizerSet, work_uri: str, inline: bool) -> UnitResult:
    """Tokenize one row group; write ``unit-NNNNNN.parquet`` (and ``.tok`` unless ``inline``)."""
    toks = loaded(setup)
    dtype = np.dtype(setup.dtype)
    counts = [Counts() for _ in toks]
    schema = encoded_schema(inline)
    fs, path = arrow_filesystem(unit.path)
    out_fs, out_path = arrow_filesystem(unit_file(work_uri, unit.index))
    _, tok_path = arrow_filesystem(tokens_file(work_uri, unit.index))
    out_fs.create_dir(out_path.rsplit("/", 1)[0], recursive=True)
    out_tmp, tok_tmp = temporary_name(out_path), temporary_name(tok_path)
    with ExitStack() as stack:
        src = stack.enter_context(fs.open_input_file(path))
        sink = stack.enter_context(out_fs.open_output_stream(out_tmp))
        flat_out = None if inline else stack.enter_context(out_fs.open_output_stream(tok_tmp))
        writer = pq.ParquetWriter(sink, schema)
        batches = pq.ParquetFile(src).iter_batches(
            BATCH_ROWS, row_groups=[unit.row_group], columns=[S.ID, S.TEXT]
        )
        for batch in batches:
            texts = batch.column(S.TEXT)
            plain = texts.to_pylist()
            ids = batch.column(S.ID).to_pylist()
            base = text_counts(texts)
            columns: dict[str, pa.Array] = {}
            for k, t in enumerate(toks):
                encoded = _ids_of(t.tok, plain)
                n = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
                flat = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(n.sum()))
                c = token_counts(flat, t.unknown, t.fallback)
                c.add(base)
                counts[k].add(c)
                if k == 0:
                    columns[S.N_TOKENS] = pa.array(n, pa.int64())
                    if flat_out is None:
                        columns[S.TOKEN_IDS] = binary_tokens(flat, n, dtype)
                    else:
                        flat_out.write(np.ascontiguousarray(flat, dtype.newbyteorder("<")).data)
            columns[S.ID] = pa.array(ids, pa.string())
            columns[S.DOMAIN] = pa.array([unit.domain] * len(ids), pa.string())
            columns[S.ORDER_KEY] = pa.array(order_keys(ids, setup.seed), pa.int64())
            writer.write_table(pa.table([columns[f.name] for f in schema], schema=schema))
        writer.close()
    if not inline:
        out_fs.move(tok_tmp, tok_path)
    out_fs.move(out_tmp, out_path)
    return UnitResult({unit.domain: counts})
