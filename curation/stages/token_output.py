"""Placing tokenized documents in their domain's stream and writing the shards: the token stage's
later tasks, the same for the local engine and for Spark (pure functions, no Spark import).

Per domain, documents are ordered by (shuffle key, id) (:mod:`curation.stages.token_encode`).
Every document occupies a run of the domain's stream of positions (its span:
:func:`curation.stages.tokenize_pack.spans`), so its global start is the sum of the spans before
it. The order is cut into runs of consecutive documents (the whole domain locally; on Spark one
run per bucket of the key), each placed by :func:`place` after the sum of the spans of the runs
before it - a total the driver computes from one number per run, never from documents.

The stream is cut into sequences of N positions and the sequences into shards of
``tokens.shard_sequences``: shard ``s`` holds sequences ``s*S .. (s+1)*S - 1`` whatever task
writes it. :func:`shards_of` says which shards a document must be sent to (those it overlaps, and
the one before when its first token is the label of that shard's last position);
:func:`write_shard` writes one shard from exactly those documents - the Megatron ``.bin``/``.idx``
pair and the shard's rows of ``sequences.parquet``/``documents.parquet`` as parts -
and :func:`concat_indexes` joins the parts of a domain into its two index files. Equal inputs give
byte-identical files for any number of tasks, partitions or workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation import schema as S
from curation.formats import token_shards as TS
from curation.stages import tokenize_pack as P
from curation.storage import arrow_filesystem, join, temporary_name

INDEX_ROW_GROUP = 1 << 20
"""Rows per row group of ``sequences.parquet`` and ``documents.parquet``."""
PARTS = "index-parts"


@dataclass(frozen=True)
class Layout:
    """How every domain's stream is cut (the same for all domains)."""

    context_length: int
    mode: P.Mode
    shard_sequences: int
    pad: int
    eos: int
    dtype: str

    @property
    def shard_positions(self) -> int:
        return self.context_length * self.shard_sequences


@dataclass(frozen=True)
class DomainTotals:
    """What the driver knows of one domain: sums, never documents."""

    documents: int
    tokens: int
    stream: int  # the sum of the documents' spans: positions up to the end of the last one

    def sequences(self, layout: Layout) -> int:
        return P.n_sequences(self.stream, layout.context_length)

    def shards(self, layout: Layout) -> int:
        return -(-self.sequences(layout) // layout.shard_sequences)


def place(
    n_tokens: np.ndarray, base_start: int, base_rank: int, layout: Layout
) -> tuple[np.ndarray, np.ndarray]:
    """(start, position) of a run of consecutive documents of one domain's order that follows
    ``base_start`` positions and ``base_rank`` documents."""
    start = P.starts(n_tokens, layout.context_length, layout.mode, base_start)
    return start, np.int64(base_rank) + np.arange(len(start), dtype=np.int64)


def shards_of(
    start: np.ndarray, n_tokens: np.ndarray, layout: Layout, n_shards: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last shard (inclusive) each document must be sent to.

    A shard of positions ``[a, b)`` needs every document with a token or ``<eos>`` in it, and the
    one at position ``b`` (the label of its last position: ``next_token``)."""
    sp = layout.shard_positions
    end = np.asarray(start, np.int64) + np.asarray(n_tokens, np.int64) + 1  # one past the <eos>
    lo = np.maximum(0, -(-np.asarray(start, np.int64) // sp) - 1)
    hi = np.minimum(n_shards - 1, (end - 1) // sp)
    return lo, hi


def explode(
    table: pa.Table,
    start: np.ndarray,
    position: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    schema: pa.Schema,
) -> pa.Table:
    """One row of ``schema`` per (document, shard it goes to) (columns taken from ``table``)."""
    reps = (hi - lo + 1).astype(np.int64)
    idx = np.repeat(np.arange(len(reps)), reps)
    first = np.cumsum(reps) - reps
    shard = lo[idx] + (np.arange(len(idx)) - first[idx])
    made = {
        S.SHARD: pa.array(shard, pa.int64()),
        S.START: pa.array(start[idx], pa.int64()),
        S.POSITION: pa.array(position[idx], pa.int64()),
    }
    taken = table.take(pa.array(idx, pa.int64()))
    return pa.table(
        [made[f.name] if f.name in made else taken.column(f.name) for f in schema], schema=schema
    )


@dataclass(frozen=True)
class Written:
    """One shard written: its sequences, and the documents that start in it."""

    domain: str
    shard: int
    sequences: int
    documents: int


def check_written(
    totals: dict[str, DomainTotals], got: dict[str, tuple[int, int, int]], layout: Layout
) -> None:
    """Every shard of every domain written once, with every sequence and document (``got``: per
    domain, the shards, sequences and documents the shard writers report)."""
    for d, tot in totals.items():
        want = (tot.shards(layout), tot.sequences(layout), tot.documents)
        if got.get(d, (0, 0, 0)) != want:
            have = got.get(d, (0, 0, 0))
            raise RuntimeError(
                f"domain {d}: wrote {have[0]} shards, {have[1]} sequences, {have[2]} documents; "
                f"expected {want[0]}, {want[1]}, {want[2]}"
            )


def _parts_dir(parts_uri: str, domain: str) -> str:
    return join(parts_uri, f"domain={domain}")


def part_file(parts_uri: str, domain: str, shard: int, kind: str) -> str:
    return join(_parts_dir(parts_uri, domain), f"shard-{shard:05d}.{kind}.parquet")


def write_parquet(table: pa.Table, uri: str) -> None:
    """``table`` as one Parquet file at ``uri`` (any file system), via a temporary name."""
    fs, path = arrow_filesystem(uri)
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    tmp = temporary_name(path)
    with fs.open_output_stream(tmp) as f:
        pq.write_table(table, f)
    fs.move(tmp, path)


def write_shard(
    layout: Layout,
    totals: DomainTotals,
    domain: str,
    shard: int,
    ids: pa.Array | list[str],
    position: np.ndarray,
    start: np.ndarray,
    n_tokens: np.ndarray,
    fetch: Callable[[int], np.ndarray],
    tokens_uri: str,
    parts_uri: str,
) -> Written:
    """Write shard ``shard`` of ``domain``: ``.bin``/``.idx`` under ``tokens_uri`` and its index
    parts under ``parts_uri``.

    The documents given (ordered by ``start``) are those :func:`shards_of` sends to this shard;
    ``fetch(i)`` returns the i-th one's token ids."""
    n, per = layout.context_length, layout.shard_sequences
    first = shard * per
    stop = min(first + per, totals.sequences(layout))
    start = np.asarray(start, np.int64)
    n_tokens = np.asarray(n_tokens, np.int64)
    plan = P.plan_window(n_tokens, start, first, stop, n, layout.mode, totals.stream)
    dtype = np.dtype(layout.dtype)
    filled = P.fill(plan, 0, stop - first, fetch, layout.pad, layout.eos, dtype)
    if layout.mode == "pad":
        doc_starts = np.flatnonzero(plan.seq_piece == 0)
    else:
        doc_starts = np.arange(plan.n_sequences)
    folder = join(tokens_uri, f"domain={domain}")
    TS.write_shard(join(folder, TS.shard_name(shard)), filled.tokens, doc_starts, dtype)
    seq = np.arange(first, stop, dtype=np.int64)
    id_array = pa.array(ids, pa.string())
    sequences = pa.table(
        {
            "sequence": seq,
            "shard": np.full(len(seq), shard, np.int32),
            "row": seq - first,
            "id": id_array.take(pa.array(plan.seq_doc, pa.int64())),
            "piece": plan.seq_piece,
            "tokens": plan.seq_real.astype(np.int32),
            "next_token": filled.next_token.astype(np.int64),
        },
        schema=TS.SEQUENCES_SCHEMA,
    )
    own = np.flatnonzero((start // n >= first) & (start // n < stop))
    documents = pa.table(
        {
            "id": id_array.take(pa.array(own, pa.int64())),
            "position": np.asarray(position, np.int64)[own],
            "sequence": start[own] // n,
            "offset": (start[own] % n).astype(np.int32),
            "tokens": n_tokens[own],
            "pieces": plan.doc_pieces[own],
        },
        schema=TS.DOCUMENTS_SCHEMA,
    )
    write_parquet(sequences, part_file(parts_uri, domain, shard, "sequences"))
    write_parquet(documents, part_file(parts_uri, domain, shard, "documents"))
    return Written(domain, shard, len(seq), len(own))


def concat_indexes(
    layout: Layout, totals: DomainTotals, domain: str, tokens_uri: str, parts_uri: str
) -> None:
    """``sequences.parquet`` and ``documents.parquet`` of a domain from its shards' parts, in
    shard order, in row groups of :data:`INDEX_ROW_GROUP` rows (one part in memory at a time)."""
    folder = join(tokens_uri, f"domain={domain}")
    for kind, name, schema in (
        ("sequences", TS.SEQUENCES, TS.SEQUENCES_SCHEMA),
        ("documents", TS.DOCUMENTS, TS.DOCUMENTS_SCHEMA),
    ):
        fs, path = arrow_filesystem(join(folder, name))
        tmp = temporary_name(path)
        with fs.open_output_stream(tmp) as sink:
            writer = pq.ParquetWriter(sink, schema)
            pending: list[pa.Table] = []
            rows = 0
            for shard in range(totals.shards(layout)):
                pfs, ppath = arrow_filesystem(part_file(parts_uri, domain, shard, kind))
                with pfs.open_input_file(ppath) as f:
                    part = pq.read_table(f, schema=schema)
                pending.append(part)
                rows += part.num_rows
                while rows >= INDEX_ROW_GROUP:
                    table = pa.concat_tables(pending)
                    writer.write_table(table.slice(0, INDEX_ROW_GROUP), INDEX_ROW_GROUP)
                    rest = table.slice(INDEX_ROW_GROUP)
                    pending, rows = [rest], rest.num_rows
            if rows:
                writer.write_table(pa.concat_tables(pending), INDEX_ROW_GROUP)
            writer.close()
        fs.move(tmp, path)
