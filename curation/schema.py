"""The record and ledger schemas: defined here once, everything else derives from them.

A *document* flowing through the pipeline is one row of :data:`RECORD_SCHEMA`; a removed document is
one row of :data:`LEDGER_SCHEMA`. Column names are constants so that no module spells them itself.
The Spark schemas are derived from the Arrow ones (:func:`to_spark_schema`), never written by hand.
"""

from __future__ import annotations

import pyarrow as pa

# --- record columns -------------------------------------------------------------------------------
ID = "id"  # stable from ingest onward, unique within a run
DOMAIN = "domain"  # current domain (after language routing, e.g. ``ru-CC``)
TEXT = "text"  # the document, exactly as ingested
SRC_DOMAIN = "src_domain"  # the input folder the document came from (e.g. ``cc``)
SRC_FILE = "src_file"  # input file, relative to the input root
SRC_LINE = "src_line"  # 1-based line (JSONL, TXT lines) or row (Parquet) in that file
META = "meta"  # the input record's other fields, as a JSON object string (or null)
LANG = "lang"  # detected language code (ISO 639-1 where the engine gives one; "un" = unknown)
LANG_SCORE = "lang_score"  # engine confidence in [0, 1]
LANG_RELIABLE = "lang_reliable"  # engine's own reliability flag
N_CHARS = "n_chars"  # length in Unicode code points
MD5 = "md5"  # hex md5 of the UTF-8 text (the exact-dedup key)
DEDUP_KEY = "dedup_key"  # key actually grouped on (md5 of the exact or normalised text)

RECORD_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(TEXT, pa.string(), nullable=False),
        pa.field(SRC_DOMAIN, pa.string()),
        pa.field(SRC_FILE, pa.string()),
        pa.field(SRC_LINE, pa.int64()),
        pa.field(META, pa.string()),
        pa.field(LANG, pa.string()),
        pa.field(LANG_SCORE, pa.float64()),
        pa.field(LANG_RELIABLE, pa.bool_()),
        pa.field(N_CHARS, pa.int64()),
        pa.field(MD5, pa.string()),
        pa.field(DEDUP_KEY, pa.string()),
    ]
)
"""Every column a Dataset-1 document carries; later datasets may append annotations."""

REQUIRED_COLUMNS = (ID, DOMAIN, TEXT)

# --- ledger columns -------------------------------------------------------------------------------
STAGE = "stage"
REASON = "reason"
SCORE = "score"
DUPLICATE_OF = "duplicate_of"
CLUSTER = "cluster"
DETAIL = "detail"

LEDGER_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(STAGE, pa.string(), nullable=False),
        pa.field(REASON, pa.string(), nullable=False),
        pa.field(SCORE, pa.float64()),
        pa.field(DUPLICATE_OF, pa.string()),
        pa.field(CLUSTER, pa.int64()),
        pa.field(DETAIL, pa.string()),
        pa.field(SRC_DOMAIN, pa.string()),
        pa.field(SRC_FILE, pa.string()),
        pa.field(SRC_LINE, pa.int64()),
        pa.field(TEXT, pa.string()),
    ]
)
"""One row per removed document. ``text`` keeps the removed document (nothing is lost); for an
``invalid`` row it holds the undecodable input as far as it could be read (with replacement
characters), cut to the ingest config's ``max_invalid_chars``."""

# Stages, as written in the ledger's ``stage`` column.
STAGE_INVALID = "invalid"
STAGE_LANGID = "langid"
STAGE_EXACT_DEDUP = "exact_dedup"
STAGE_LENGTH = "length"
STAGE_FUZZY_DEDUP = "fuzzy_dedup"
STAGE_SEMDEDUP_KMEANS = "semdedup_kmeans"
STAGE_SEMDEDUP_HDBSCAN = "semdedup_hdbscan"

REASON_SEMANTIC = "semantic_duplicate"
"""The ledger reason of a SemDedup removal whose twin shares its cluster (k-means or HDBSCAN)."""
REASON_SEMANTIC_CROSS = "semantic_duplicate_cross_cluster"
"""The ledger reason of a SemDedup removal whose twin is in another cluster: found by the
cross-boundary pass (``semdedup.cross_clusters``)."""

# --- clusters, similarity and verdicts (SemDedup) -------------------------------------------------
DISTANCE = "distance"  # cosine distance to the document's cluster centroid
RANK = "rank"  # position in its cluster's SemDedup order (0 = farthest from the centroid)
M = "M"  # largest similarity to a document earlier in that order (-1: none; never removed)
MAX_ID = "max_id"  # the id of that document (the twin a removal names as duplicate_of)
CROSS = "cross"  # whether max_id is in another cluster (found by the cross-boundary pass)
NEAR = "near_clusters"  # a document's nearest other clusters, nearest first (at most NEAR_COUNT)
NEAR_GAPS = "near_gaps"  # cos(doc, own centroid) - cos(doc, that cluster's centroid), per NEAR
NEAR_COUNT = 8
"""How many nearest other clusters a clustering stores per document (the cross-boundary pass
visits at most this many)."""
REMOVED = "removed"  # the verdict: M > 1 - eps
HDBSCAN_CLUSTER = "hdbscan_cluster"  # Dataset-3's cluster annotation of kept documents
NOISE = -1  # the cluster of a document a clustering leaves out (HDBSCAN noise): never compared

ASSIGNMENT_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(DOMAIN, pa.string()),
        pa.field(CLUSTER, pa.int64()),
        pa.field(DISTANCE, pa.float32()),
        pa.field(NEAR, pa.list_(pa.int64())),
        pa.field(NEAR_GAPS, pa.list_(pa.float32())),
    ]
)
"""What every clustering under SemDedup gives each document (``clusters/<method>/``): its
cluster, its distance to that centroid and its :data:`NEAR_COUNT` nearest other clusters with
their gaps (empty for noise)."""

RESULT_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(CLUSTER, pa.int64()),
        pa.field(DISTANCE, pa.float32()),
        pa.field(RANK, pa.int64()),
        pa.field(M, pa.float64()),
        pa.field(MAX_ID, pa.string()),
        pa.field(CROSS, pa.bool_()),
    ]
)
"""The SemDedup core's result: one row per document, in cluster order then ``rank``. ``M`` is -1.0
and ``max_id`` null for a document with no earlier one it was compared with (the first of a
cluster, noise); ``cross`` is true when ``max_id`` lies in another cluster."""

SIMILARITY_SCHEMA = pa.schema(
    [RESULT_SCHEMA.field(ID), pa.field(DOMAIN, pa.string())]
    + [RESULT_SCHEMA.field(name) for name in (CLUSTER, DISTANCE, RANK, M, MAX_ID, CROSS)]
)
"""The stored similarity table of a run (``clusters/<method>/similarity/data``): the result rows
with each document's domain."""

TARGET = "target"  # the cluster a document visits (cross-boundary pass)
PARTNER_DISTANCE = "partner_distance"  # the distance of max_id to its own centroid
HOME = "home"  # a document's row from its own cluster (else: a candidate from a visited one)

VISIT_SCHEMA = pa.schema(
    [ASSIGNMENT_SCHEMA.field(n) for n in (ID, DOMAIN, CLUSTER, DISTANCE)]
    + [pa.field(TARGET, pa.int64())]
)
"""One visit of the cross-boundary pass: a document and a cluster it is compared with."""

CANDIDATE_SCHEMA = pa.schema(
    list(SIMILARITY_SCHEMA) + [pa.field(PARTNER_DISTANCE, pa.float32()), pa.field(HOME, pa.bool_())]
)
"""A document's best match within one target cluster's block (the Spark engine's intermediate
rows): its own cluster's row (``home``), or what a visit to another cluster found."""

VERDICT_SCHEMA = pa.schema(list(SIMILARITY_SCHEMA) + [pa.field(REMOVED, pa.bool_())])
"""Similarity rows with the threshold's verdict: what a SemDedup dataset is written from."""

# --- token output (intermediate tables of the token stage) ---------------------------------------
ORDER_KEY = "order_key"  # xxh3_64(id, tokens.seed), sign bit flipped: the per-domain shuffle order
N_TOKENS = "n_tokens"  # the tokenizer's output length (no <eos>)
TOKEN_IDS = "token_ids"  # the ids' little-endian bytes in the shard dtype
BUCKET = "bucket"  # the top bits of the unsigned shuffle key: a contiguous run of the order
START = "start"  # global token position of the document's first token in its domain's stream
POSITION = "position"  # the document's rank in its domain's shuffled order
SHARD = "shard"  # index of a shard file within its domain

ENCODED_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(ORDER_KEY, pa.int64(), nullable=False),
        pa.field(N_TOKENS, pa.int64(), nullable=False),
        pa.field(TOKEN_IDS, pa.binary()),
    ]
)
"""One tokenized document (the token stage's work files); ``token_ids`` inline or elsewhere."""

PLACED_SCHEMA = pa.schema(
    [
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(SHARD, pa.int64(), nullable=False),
        pa.field(START, pa.int64(), nullable=False),
        pa.field(POSITION, pa.int64(), nullable=False),
        pa.field(ID, pa.string(), nullable=False),
        pa.field(N_TOKENS, pa.int64(), nullable=False),
        pa.field(TOKEN_IDS, pa.binary()),
    ]
)
"""A tokenized document placed in its domain's stream, once per shard it overlaps."""

# --- the row that leaves ingest: a record or an invalid row ----------------------------------------
INVALID_REASON = "invalid_reason"  # null for a good record

INGEST_SCHEMA = pa.schema(
    [
        pa.field(ID, pa.string(), nullable=False),
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(TEXT, pa.string()),  # null only on an invalid row that has no readable text
        pa.field(SRC_DOMAIN, pa.string()),
        pa.field(SRC_FILE, pa.string()),
        pa.field(SRC_LINE, pa.int64()),
        pa.field(META, pa.string()),
        pa.field(INVALID_REASON, pa.string()),
        pa.field(DETAIL, pa.string()),
    ]
)
"""What the ingest step yields: good records (``invalid_reason`` null) and invalid rows together."""


ANNOTATED_SCHEMA = pa.schema(
    list(INGEST_SCHEMA)
    + [RECORD_SCHEMA.field(n) for n in (LANG, LANG_SCORE, LANG_RELIABLE, N_CHARS, MD5, DEDUP_KEY)]
)
"""Every ingested row with the annotations the Dataset-1 decisions read (``_work/annotated``)."""

# --- Dataset-1's group facts: what deciding a row needs to know about other rows --------------------
FIRST_AT = "first_at"  # "file:line" of the first valid row with this row's id, when not this row
SURVIVOR = "survivor"  # smallest id of the rows of this row's exact-dedup group that reach dedup
REACHES_DEDUP = "reaches_dedup"  # the row passed the rules before exact dedup and takes part in it
# fuzzy dedup's facts (null unless the row is a removed member of a near-duplicate component)
NEAR_OF = "near_of"  # the component's survivor (its smallest id)
NEAR_SCORE = "near_score"  # true Jaccard of the row with that survivor
NEAR_CLUSTER = "near_cluster"  # the component's id
NEAR_DETAIL = "near_detail"  # the verified pair that linked the row ("linked by <id> (jaccard j)")
NEAR_FACTS = (NEAR_OF, NEAR_SCORE, NEAR_CLUSTER, NEAR_DETAIL)

DECISION_SCHEMA = pa.schema(
    [
        pa.field(DOMAIN, pa.string(), nullable=False),
        pa.field(STAGE, pa.string()),
        pa.field(REASON, pa.string()),
        pa.field(SCORE, pa.float64()),
        pa.field(DETAIL, pa.string()),
        pa.field(DUPLICATE_OF, pa.string()),
        pa.field(CLUSTER, pa.int64()),
        pa.field(REACHES_DEDUP, pa.bool_(), nullable=False),
    ]
)
"""What Dataset-1 decides for each row (:func:`curation.stages.dataset1.decide`): its output
domain and, for a removed row, the ledger's ``stage``/``reason``/``score``/``detail``/
``duplicate_of``/``cluster`` (``stage`` null = kept)."""


def empty_table(schema: pa.Schema) -> pa.Table:
    """A zero-row table of ``schema``."""
    return schema.empty_table()


def to_spark_type(arrow_type: pa.DataType):  # -> pyspark.sql.types.DataType
    """The Spark SQL type of an Arrow type (only the types our schemas use)."""
    from pyspark.sql import types as T

    mapping = {
        pa.string(): T.StringType(),
        pa.large_string(): T.StringType(),
        pa.int64(): T.LongType(),
        pa.int32(): T.IntegerType(),
        pa.float64(): T.DoubleType(),
        pa.float32(): T.FloatType(),
        pa.float16(): T.FloatType(),
        pa.bool_(): T.BooleanType(),
        pa.binary(): T.BinaryType(),
    }
    if arrow_type in mapping:
        return mapping[arrow_type]
    if pa.types.is_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return T.ArrayType(to_spark_type(arrow_type.value_type))
    raise TypeError(f"no Spark type for Arrow type {arrow_type}")


def to_spark_schema(schema: pa.Schema):  # -> pyspark.sql.types.StructType
    """Derive the Spark ``StructType`` of an Arrow schema, keeping names, order and nullability."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(f.name, to_spark_type(f.type), nullable=f.nullable) for f in schema]
    )


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast ``table``'s columns to ``schema`` (missing nullable columns become nulls)."""
    cols = []
    for field in schema:
        if field.name in table.column_names:
            cols.append(table.column(field.name).cast(field.type))
        elif field.nullable:
            cols.append(pa.nulls(table.num_rows, field.type))
        else:
            raise KeyError(f"required column {field.name!r} is missing")
    return pa.Table.from_arrays(cols, schema=schema)
