"""The token stage on Spark: what the driver holds is bounded by the configuration.

* **training sample** (a trained tokenizer): the documents with the smallest ``xxh64(id,
  tokens.seed)`` whose sizes (capped per document) fit ``tokens.train_sample_bytes``
  (:func:`curation.tokenizer.training_sample`). The executors hash the ids (an Arrow UDF: texts
  stay in the JVM); the cut is found by histogram refinement over the 64-bit hash - each pass
  counts :data:`BINS` bins of the range that holds the budget's end, until that bin has at most
  ``exact`` documents, whose (hash, size) pairs the driver then reads to place the cut exactly as
  the in-process function does - and only the chosen texts (cut to the cap) reach the driver,
  streamed in (hash, id) order into the BPE trainer;
* **tokenize**: one task per unit (Parquet row group) of the dataset,
  :func:`curation.stages.token_encode.encode_unit` writing the ids inline in its work file; the
  efficiency counts summed by a tree reduction;
* **place**: the order (key, id) is cut into ``tokens.order_buckets`` runs by the key's top bits.
  One aggregation gives each (domain, bucket) its documents and spans; the driver turns these
  ``domains x buckets`` numbers into each run's offset and broadcasts them. The documents are
  shuffled by (domain, bucket), sorted by (key, id) inside each partition and placed by
  :func:`curation.stages.token_output.place`; each is emitted once per shard it overlaps;
* **write**: shuffled by (domain, shard) and sorted by start, every shard written by
  :func:`curation.stages.token_output.write_shard` in the task that holds it; then one task per
  domain joins its index parts. The driver gets one row per domain back (shards, sequences and
  documents written, checked against the totals).

Nothing depends on partitioning: the runs are defined by the keys and the shards by sequence
counts, so any number of tasks, partitions or buckets writes the same bytes as the local engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from curation import schema as S
from curation import tokenizer as TOK
from curation.stages import token_encode as ENC
from curation.stages import token_output as O
from curation.stages import tokenize_pack as P

log = logging.getLogger(__name__)

BINS_BITS = 12
BINS = 1 << BINS_BITS
EXACT = 20_000
"""A bin of at most this many documents has its (hash, size) pairs read by the driver."""
MIN_LONG = -(1 << 63)
_SIZE, _LONG, _N, _SPAN = "size", "long", "documents", "span"


def _unsigned_shift(column, shift: int):  # noqa: ANN001, ANN202
    """The unsigned 64-bit value behind a sign-flipped key column, shifted right by ``shift``."""
    from pyspark.sql import functions as F

    return F.shiftrightunsigned(column.bitwiseXOR(F.lit(MIN_LONG)), shift)


def _key_udf(seed: int):  # noqa: ANN202
    """Arrow UDF: ``xxh64(id, seed)`` of each id, sign bit flipped (signed order = unsigned)."""
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("long")
    def key(ids: pd.Series) -> pd.Series:
        h = TOK.sample_hashes(ids.tolist(), seed)
        return pd.Series((h ^ ENC.SIGN).view(np.int64))

    return key


def _unsigned(key: int) -> int:
    return key - MIN_LONG  # the flipped sign bit: key + 2**63


def _signed(value: int) -> int:
    return value + MIN_LONG


def training_texts(
    spark,
    docs,
    budget: int,
    seed: int,
    exact: int = EXACT,  # noqa: ANN001
) -> tuple[Iterator[str], dict]:
    """The tokenizer's training texts (each cut to the sample's cap), in (hash, id) order, and
    the sample's documents, bytes, documents cut and cap - the sample of
    :func:`curation.pipeline.tokens.training_texts` on the same documents."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cap = TOK.sample_cap(budget)
    key = _key_udf(seed)
    keyed = docs.select(
        key(F.col(S.ID)).alias(S.ORDER_KEY),
        F.least(F.octet_length(S.TEXT), F.lit(cap)).cast("long").alias(_SIZE),
        (F.octet_length(S.TEXT) > F.lit(cap)).alias(_LONG),
    ).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        spark.sparkContext.setJobDescription("tokens: the tokenizer's training sample (hash cut)")
        cut = _sample_cut(keyed, budget, exact)
        chosen = keyed.filter(F.col(S.ORDER_KEY) <= F.lit(cut))
        row = chosen.agg(
            F.count(F.lit(1)).alias(_N),
            F.sum(_SIZE).alias(_SIZE),
            F.sum(F.col(_LONG).cast("long")).alias(_LONG),
        ).first()
    finally:
        keyed.unpersist()
    info = {
        "documents": int(row[_N]),
        "bytes": int(row[_SIZE] or 0),
        "cut_documents": int(row[_LONG] or 0),
        "cap_bytes": cap,
    }
    heads = (
        docs.select(
            key(F.col(S.ID)).alias(S.ORDER_KEY), S.ID, F.substring(S.TEXT, 1, cap).alias(S.TEXT)
        )
        .filter(F.col(S.ORDER_KEY) <= F.lit(cut))
        .orderBy(S.ORDER_KEY, S.ID)
    )

    def texts() -> Iterator[str]:
        spark.sparkContext.setJobDescription("tokens: the training sample's texts to the driver")
        for r in heads.toLocalIterator():
            yield TOK.cap_text(r[S.TEXT], cap)  # the first ``cap`` characters hold ``cap`` bytes

    return texts(), info


def _sample_cut(keyed, budget: int, exact: int) -> int:  # noqa: ANN001
    """The largest key of the sample (see :func:`curation.tokenizer.training_sample`)."""
    from pyspark.sql import functions as F

    prefix_bits, prefix = 0, 0
    before_n, before_bytes, before_max = 0, 0, None  # documents of smaller hashes than the range
    while True:
        bits = min(BINS_BITS, 64 - prefix_bits)
        shift = 64 - prefix_bits - bits
        k = F.col(S.ORDER_KEY)
        inside = (
            (_unsigned_shift(k, 64 - prefix_bits) == F.lit(prefix)) if prefix_bits else F.lit(True)
        )
        b = (_unsigned_shift(k, shift).bitwiseAND(F.lit((1 << bits) - 1))).alias("bin")
        hist = (
            keyed.filter(inside)
            .groupBy(b)
            .agg(F.count(F.lit(1)).alias(_N), F.sum(_SIZE).alias(_SIZE), F.max(k).alias("max"))
            .collect()
        )
        crossing = None
        for r in sorted(hist, key=lambda r: r["bin"]):
            if before_bytes + r[_SIZE] > budget:
                crossing = r
                break
            before_n, before_bytes = before_n + r[_N], before_bytes + r[_SIZE]
            before_max = _unsigned(r["max"])
        if crossing is None:  # everything fits (only possible in the first pass)
            assert before_max is not None, "no documents to sample"
            return _signed(before_max)
        prefix_bits, prefix = prefix_bits + bits, (prefix << bits) | int(crossing["bin"])
        if crossing[_N] <= exact or prefix_bits == 64:
            same = (
                _unsigned_shift(k, 64 - prefix_bits) == F.lit(prefix)
                if prefix_bits < 64
                else k == F.lit(_signed(prefix))
            )
            rows = keyed.filter(same)
            got = rows.select(S.ORDER_KEY, _SIZE).toArrow()
            hashes = np.asarray(got.column(S.ORDER_KEY), np.int64).view(np.uint64) ^ ENC.SIGN
            cut = TOK.training_sample_window(
                hashes, np.asarray(got.column(_SIZE)), budget, before_n, before_bytes, before_max
            )
            return _signed(cut)


# --- tokenize, place, write ------------------------------------------------------------------------


def tokenize_and_write(
    spark,  # noqa: ANN001
    units: list[ENC.Unit],
    tokenizers: ENC.TokenizerSet,
    layout: O.Layout,
    work: str,
    tokens_uri: str,
    parts: str,
    buckets: int,
) -> tuple[dict[str, O.DomainTotals], ENC.UnitResult]:
    """Every step on the executors; per-domain totals and the efficiency counts."""
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    shared = sc.broadcast(tokenizers)
    one_core = int(sc.getConf().get("spark.task.cpus", "1")) == 1

    def encode(unit: ENC.Unit) -> ENC.UnitResult:
        if one_core:  # one task per core: no Rust threads competing with the other tasks
            ENC.single_threaded()
        return ENC.encode_unit(unit, shared.value, work, inline=True)

    t0 = time.time()
    sc.setJobDescription(f"tokens: tokenize {len(units)} row groups")
    counts = sc.parallelize(units, len(units)).map(encode).treeReduce(ENC.UnitResult.merge)
    log.info("tokenized %d row groups in %.1fs", len(units), time.time() - t0)
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
    encoded = spark.read.parquet(work)
    bits = buckets.bit_length() - 1
    bucket = _unsigned_shift(F.col(S.ORDER_KEY), 64 - bits) if bits else F.lit(0).cast("long")
    encoded = encoded.withColumn(S.BUCKET, bucket)

    sc.setJobDescription("tokens: documents and spans per (domain, bucket)")
    rows = (
        _spans(encoded, layout)
        .groupBy(S.DOMAIN, S.BUCKET)
        .agg(
            F.count(F.lit(1)).alias(_N),
            F.sum(S.N_TOKENS).alias(S.N_TOKENS),
            F.sum(_SPAN).alias(_SPAN),
        )
        .collect()
    )
    offsets, totals = _offsets(rows)
    log.info(
        "%d documents placed by %d (domain, bucket) sums",
        sum(t.documents for t in totals.values()),
        len(rows),
    )
    shards = {d: t.shards(layout) for d, t in totals.items()}
    placed = (
        encoded.repartition(partitions, S.DOMAIN, S.BUCKET)
        .sortWithinPartitions(S.DOMAIN, S.ORDER_KEY, S.ID)
        .mapInArrow(
            _placer(sc.broadcast(offsets), shards, layout), S.to_spark_schema(S.PLACED_SCHEMA)
        )
    )
    written = (
        placed.repartition(max(1, min(sum(shards.values()), partitions)), S.DOMAIN, S.SHARD)
        .sortWithinPartitions(S.DOMAIN, S.SHARD, S.START)
        .mapInArrow(_writer(layout, totals, tokens_uri, parts), S.to_spark_schema(_WRITTEN))
    )
    sc.setJobDescription(f"tokens: write {sum(shards.values())} shards")
    got = {
        r[S.DOMAIN]: (int(r["shards"]), int(r["sequences"]), int(r["documents"]))
        for r in written.groupBy(S.DOMAIN)
        .agg(
            F.count(F.lit(1)).alias("shards"),
            F.sum("sequences").alias("sequences"),
            F.sum("documents").alias("documents"),
        )
        .collect()
    }
    O.check_written(totals, got, layout)
    log.info("wrote %d shards in %.1fs", sum(shards.values()), time.time() - t0)
    sc.setJobDescription("tokens: sequences.parquet and documents.parquet per domain")
    domains = sorted(totals)
    sc.parallelize(domains, len(domains)).foreach(
        lambda d: O.concat_indexes(layout, totals[d], d, tokens_uri, parts)
    )
    shared.unpersist()
    return totals, counts


_WRITTEN = pa.schema(
    [
        pa.field(S.DOMAIN, pa.string()),
        pa.field(S.SHARD, pa.int64()),
        pa.field("sequences", pa.int64()),
        pa.field("documents", pa.int64()),
    ]
)


def _spans(encoded, layout: O.Layout):  # noqa: ANN001, ANN202
    """(domain, bucket, n_tokens, span) of every document (the span by the one rule)."""
    out = pa.schema(
        [
            pa.field(S.DOMAIN, pa.string()),
            pa.field(S.BUCKET, pa.int64()),
            pa.field(S.N_TOKENS, pa.int64()),
            pa.field(_SPAN, pa.int64()),
        ]
    )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            n = np.asarray(b.column(S.N_TOKENS), np.int64)
            span = P.spans(n, layout.context_length, layout.mode)
            yield pa.RecordBatch.from_arrays(
                [b.column(S.DOMAIN), b.column(S.BUCKET), pa.array(n), pa.array(span)], schema=out
            )

    return encoded.select(S.DOMAIN, S.BUCKET, S.N_TOKENS).mapInArrow(run, S.to_spark_schema(out))


def _offsets(
    rows: list,
) -> tuple[dict[tuple[str, int], tuple[int, int]], dict[str, O.DomainTotals]]:
    """Each (domain, bucket)'s start and rank offsets, and each domain's totals, from one row
    per (domain, bucket)."""
    offsets: dict[tuple[str, int], tuple[int, int]] = {}
    totals: dict[str, O.DomainTotals] = {}
    for r in sorted(rows, key=lambda r: (r[S.DOMAIN], r[S.BUCKET])):
        d = r[S.DOMAIN]
        t = totals.get(d, O.DomainTotals(0, 0, 0))
        offsets[(d, int(r[S.BUCKET]))] = (t.stream, t.documents)
        totals[d] = O.DomainTotals(
            t.documents + int(r[_N]), t.tokens + int(r[S.N_TOKENS]), t.stream + int(r[_SPAN])
        )
    return offsets, totals


def _placer(offsets, shards: dict[str, int], layout: O.Layout):  # noqa: ANN001, ANN202
    """mapInArrow: documents sorted by (domain, key, id) -> one row per (document, shard)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = offsets.value
        state: tuple[tuple[str, int], int, int] | None = None  # run, its next start and rank
        for batch in batches:
            t = pa.Table.from_batches([batch])
            dom = np.asarray(t.column(S.DOMAIN).to_pylist(), dtype=object)
            bk = np.asarray(t.column(S.BUCKET), np.int64)
            n_all = np.asarray(t.column(S.N_TOKENS), np.int64)
            cuts = np.flatnonzero((dom[1:] != dom[:-1]) | (bk[1:] != bk[:-1])) + 1
            bounds = [0, *cuts.tolist(), len(n_all)]
            for a, z in zip(bounds[:-1], bounds[1:], strict=True):
                if a == z:
                    continue
                run_key = (str(dom[a]), int(bk[a]))
                base = table[run_key] if state is None or state[0] != run_key else state[1:]
                n = n_all[a:z]
                start, position = O.place(n, base[0], base[1], layout)
                last = int(start[-1] + P.spans(n[-1:], layout.context_length, layout.mode)[0])
                state = (run_key, last, int(position[-1]) + 1)
                lo, hi = O.shards_of(start, n, layout, shards[run_key[0]])
                yield from O.explode(
                    t.slice(a, z - a), start, position, lo, hi, S.PLACED_SCHEMA
                ).to_batches()

    return run


def _writer(layout: O.Layout, totals: dict[str, O.DomainTotals], tokens_uri: str, parts: str):  # noqa: ANN202
    """mapInArrow: rows sorted by (domain, shard, start) -> one shard written per group."""
    dtype = np.dtype(layout.dtype)

    def flush(group: list[pa.Table]) -> pa.RecordBatch:
        t = pa.concat_tables(group)
        domain, shard = t.column(S.DOMAIN)[0].as_py(), t.column(S.SHARD)[0].as_py()
        w = O.write_shard(
            layout,
            totals[domain],
            domain,
            shard,
            t.column(S.ID),
            np.asarray(t.column(S.POSITION)),
            np.asarray(t.column(S.START)),
            np.asarray(t.column(S.N_TOKENS)),
            ENC.token_reader(t.column(S.TOKEN_IDS), dtype),
            tokens_uri,
            parts,
        )
        return pa.RecordBatch.from_pylist(
            [
                {
                    S.DOMAIN: w.domain,
                    S.SHARD: w.shard,
                    "sequences": w.sequences,
                    "documents": w.documents,
                }
            ],
            schema=_WRITTEN,
        )

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        group: list[pa.Table] = []
        current = None
        for batch in batches:
            t = pa.Table.from_batches([batch])
            dom = np.asarray(t.column(S.DOMAIN).to_pylist(), dtype=object)
            sh = np.asarray(t.column(S.SHARD), np.int64)
            cuts = np.flatnonzero((dom[1:] != dom[:-1]) | (sh[1:] != sh[:-1])) + 1
            bounds = [0, *cuts.tolist(), len(sh)]
            for a, z in zip(bounds[:-1], bounds[1:], strict=True):
                if a == z:
                    continue
                key = (str(dom[a]), int(sh[a]))
                if current is not None and key != current:
                    yield flush(group)
                    group = []
                current = key
                group.append(t.slice(a, z - a))
        if group:
            yield flush(group)

    return run
