"""Fuzzy dedup (MinHash LSH) per Arrow batch: what Spark calls, and what the references reuse.

The rule, whatever engine computes it (:mod:`curation.spark.fuzzy` on Spark,
:func:`curation.stages.fuzzy_reference.lsh_reference` in one process):

1. every document gets ``bands`` band keys (:func:`band_rows`, from :mod:`curation.stages.minhash`);
   documents of one *group* (their domain, or everything when ``scope`` is ``global``) that share
   a key fall into one bucket;
2. each bucket of at most ``all_pairs_up_to`` documents makes every two of them a candidate
   pair; a larger bucket links its documents to its smallest id only (a star: ``k - 1`` pairs
   for ``k`` members, never ``k^2``) (:func:`candidate_edges`);
3. with ``verify`` (the default) a candidate pair is kept only when the true Jaccard of its
   shingle sets is at least ``threshold`` (:func:`verify_pairs`), so an LSH false positive never
   removes a document;
4. documents linked by kept pairs form connected components; each component keeps its smallest
   id (the *survivor*) and removes the others, each with ``duplicate_of`` = the survivor,
   ``score`` = its true Jaccard with the survivor, ``cluster`` = :func:`component_id` of the
   survivor, ``detail`` = the document that linked it (its most similar verified neighbour) and
   their Jaccard (:func:`removal_rows`).

A removed document's Jaccard with its survivor can be below the threshold: components are
transitive (A~B and B~C link A and C). ``detail`` names the pair that did meet it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.stages import minhash

REASON_NEAR_DUPLICATE = "near_duplicate"

GROUP = "group"  # what buckets are scoped by: the domain, or "" when fuzzy_dedup.scope is global
BAND = "band"
KEY = "key"
A = "a"  # the smaller id of a pair (a bucket's smallest id, or a survivor)
B = "b"
TEXT_A = "text_a"
TEXT_B = "text_b"
JACCARD = "jaccard"
SURVIVOR = "survivor"
NEIGHBOUR = "neighbour"  # the most similar verified neighbour of a removed document
NEIGHBOUR_JACCARD = "neighbour_jaccard"

BAND_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string(), nullable=False),
        pa.field(GROUP, pa.string(), nullable=False),
        pa.field(BAND, pa.int32(), nullable=False),
        pa.field(KEY, pa.int64(), nullable=False),
    ]
)
"""One row per document and band (documents without shingles have none)."""

PAIR_SCHEMA = pa.schema(
    [
        pa.field(A, pa.string(), nullable=False),
        pa.field(B, pa.string(), nullable=False),
        pa.field(TEXT_A, pa.string()),
        pa.field(TEXT_B, pa.string()),
    ]
)
"""A pair of documents to compare, with both texts."""

SCORED_SCHEMA = pa.schema(
    [
        pa.field(A, pa.string(), nullable=False),
        pa.field(B, pa.string(), nullable=False),
        pa.field(JACCARD, pa.float64(), nullable=False),
    ]
)
"""A pair with its true Jaccard similarity."""

MEMBER_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string(), nullable=False),
        pa.field(SURVIVOR, pa.string(), nullable=False),
        pa.field(JACCARD, pa.float64()),
        pa.field(NEIGHBOUR, pa.string()),
        pa.field(NEIGHBOUR_JACCARD, pa.float64()),
    ]
)
"""A removed document: its survivor, their Jaccard, and its most similar verified neighbour."""

MEMBER_TEXT_SCHEMA = pa.schema(
    [
        *MEMBER_SCHEMA,
        pa.field(TEXT_A, pa.string()),  # the survivor's text, where the Jaccard is still unknown
        pa.field(TEXT_B, pa.string()),  # the member's text, likewise
    ]
)
"""A removed document whose Jaccard with its survivor may be unknown (null), with the texts to
compute it (:func:`member_removal_rows`)."""

REMOVAL_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string(), nullable=False),
        pa.field(S.DUPLICATE_OF, pa.string(), nullable=False),
        pa.field(S.SCORE, pa.float64()),
        pa.field(S.CLUSTER, pa.int64(), nullable=False),
        pa.field(S.DETAIL, pa.string()),
    ]
)
"""What fuzzy dedup says about each document it removes (the ledger columns it fills)."""


def group_of(domains: pa.Array | pa.ChunkedArray, cfg: FuzzyDedupConfig) -> pa.Array:
    """The bucket group of each document: its domain, or ``""`` for ``scope: global``."""
    if cfg.scope == "global":
        return pa.array([""] * len(domains), pa.string())
    return pc.cast(domains, pa.string())


def band_rows(table: pa.Table, cfg: FuzzyDedupConfig) -> pa.Table:
    """Documents (``id``, ``domain``, ``text``) -> :data:`BAND_SCHEMA` rows, band-major order."""
    texts = table.column(S.TEXT).to_pylist()
    shingles = minhash.shingle_hashes(texts, cfg)
    sig = minhash.signatures(shingles, cfg.bands * cfg.rows, cfg.seed)
    keys = minhash.band_keys(sig, cfg.bands, cfg.rows)  # (docs, bands)
    has = np.flatnonzero(shingles.sizes() > 0)
    ids = table.column(S.ID).take(pa.array(has, pa.int64()))
    groups = group_of(table.column(S.DOMAIN), cfg).take(pa.array(has, pa.int64()))
    n = len(has)
    return pa.table(
        {
            S.ID: pa.concat_arrays([pa.array(ids)] * cfg.bands) if n else pa.array([], pa.string()),
            GROUP: pa.concat_arrays([pa.array(groups)] * cfg.bands)
            if n
            else pa.array([], pa.string()),
            BAND: np.repeat(np.arange(cfg.bands, dtype=np.int32), n),
            KEY: keys[has].T.reshape(-1),
        },
        schema=BAND_SCHEMA,
    )


def candidate_edges(bands: pa.Table, all_pairs_up_to: int) -> pa.Table:
    """Candidate pairs ``(a, b)``, ``a < b``, from :data:`BAND_SCHEMA` rows: every two members of
    a bucket (group, band, key) of at most ``all_pairs_up_to`` documents, each member of a larger
    bucket with the bucket's smallest id; distinct pairs, sorted."""
    buckets = bands.group_by([GROUP, BAND, KEY]).aggregate([(S.ID, "list")])
    a_out: list[str] = []
    b_out: list[str] = []
    for members in buckets.column(f"{S.ID}_list").to_pylist():
        if len(members) > 1:
            _add_bucket_pairs(sorted(members), all_pairs_up_to, a_out, b_out)
    pairs = pa.table({A: pa.array(a_out, pa.string()), B: pa.array(b_out, pa.string())})
    pairs = pairs.group_by([A, B]).aggregate([])
    return pairs.sort_by([(A, "ascending"), (B, "ascending")])


def _add_bucket_pairs(
    ids: list[str], all_pairs_up_to: int, a_out: list[str], b_out: list[str]
) -> None:
    """Append one bucket's candidate pairs (``ids`` sorted, two or more) to ``a_out``/``b_out``:
    every two members up to ``all_pairs_up_to`` members, else each member with the smallest."""
    if len(ids) <= all_pairs_up_to:
        for i, a in enumerate(ids[:-1]):
            a_out.extend([a] * (len(ids) - 1 - i))
            b_out.extend(ids[i + 1 :])
    else:
        a_out.extend([ids[0]] * (len(ids) - 1))
        b_out.extend(ids[1:])


PAIRS_SCHEMA = pa.schema(
    [pa.field(A, pa.string(), nullable=False), pa.field(B, pa.string(), nullable=False)]
)
"""A candidate pair, ``a < b``."""


def sorted_bucket_pairs(
    batches: Iterable[pa.RecordBatch], all_pairs_up_to: int
) -> Iterator[pa.RecordBatch]:
    """The pairs of :func:`candidate_edges` (before de-duplication) from :data:`BAND_SCHEMA` rows
    that arrive sorted by (group, band, key, id), each bucket's rows together: a stream, one
    bucket carried over from a batch to the next, so a Spark task holds one batch at a time."""
    carry: pa.Table | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch]).combine_chunks()
        if carry is not None:
            table = pa.concat_tables([carry, table]).combine_chunks()
        if not len(table):
            continue
        starts = _bucket_starts(table)
        last = int(starts[-1])
        carry = table.slice(last)
        if last:
            yield from _pairs_of_runs(table.slice(0, last), starts[:-1], all_pairs_up_to)
    if carry is not None and len(carry):
        yield from _pairs_of_runs(carry, np.zeros(1, dtype=np.int64), all_pairs_up_to)


def _bucket_starts(table: pa.Table) -> np.ndarray:
    """Row numbers where a new (group, band, key) starts in rows sorted by them (row 0 included)."""
    n = len(table)
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for name in (GROUP, BAND, KEY):
        col = table.column(name).combine_chunks()
        if n > 1:
            differs = pc.not_equal(col.slice(1), col.slice(0, n - 1))
            new[1:] |= differs.to_numpy(zero_copy_only=False)
    return np.flatnonzero(new)


def _pairs_of_runs(
    table: pa.Table, starts: np.ndarray, all_pairs_up_to: int
) -> Iterator[pa.RecordBatch]:
    """Pairs of the buckets of ``table`` (ids sorted within each), buckets starting at ``starts``."""
    ends = np.append(starts[1:], len(table))
    shared = np.flatnonzero(ends - starts > 1)
    if not len(shared):
        return
    ids = table.column(S.ID).to_pylist()
    a_out: list[str] = []
    b_out: list[str] = []
    for r in shared.tolist():
        _add_bucket_pairs(ids[starts[r] : ends[r]], all_pairs_up_to, a_out, b_out)
    yield from pa.table({A: a_out, B: b_out}, schema=PAIRS_SCHEMA).to_batches()


def verify_pairs(table: pa.Table, cfg: FuzzyDedupConfig) -> pa.Table:
    """:data:`PAIR_SCHEMA` rows -> :data:`SCORED_SCHEMA`: each pair's true Jaccard (all pairs,
    whatever the threshold: callers filter)."""
    jac = minhash.jaccard_pairs(
        table.column(TEXT_A).to_pylist(), table.column(TEXT_B).to_pylist(), cfg
    )
    return pa.table(
        {A: table.column(A), B: table.column(B), JACCARD: pa.array(jac, pa.float64())},
        schema=SCORED_SCHEMA,
    )


def component_id(survivor: str) -> int:
    """The ``cluster`` of a component: the non-negative 63 bits of ``xxh64(survivor, seed=42)``
    (equal to Spark's ``xxhash64(survivor) & 0x7fffffffffffffff``)."""
    return xxhash.xxh64_intdigest(survivor.encode("utf-8"), seed=42) & 0x7FFFFFFFFFFFFFFF


def removal_rows(table: pa.Table) -> pa.Table:
    """:data:`MEMBER_SCHEMA` rows -> :data:`REMOVAL_SCHEMA` (the ledger's view of a removal)."""
    survivors = table.column(SURVIVOR).to_pylist()
    neighbours = table.column(NEIGHBOUR).to_pylist()
    nj = table.column(NEIGHBOUR_JACCARD).to_pylist()
    details = [
        None if n is None else f"linked by {n} (jaccard {j:.4f})"
        for n, j in zip(neighbours, nj, strict=True)
    ]
    return pa.table(
        {
            S.ID: table.column(S.ID),
            S.DUPLICATE_OF: table.column(SURVIVOR),
            S.SCORE: table.column(JACCARD),
            S.CLUSTER: pa.array([component_id(s) for s in survivors], pa.int64()),
            S.DETAIL: pa.array(details, pa.string()),
        },
        schema=REMOVAL_SCHEMA,
    )


def member_removal_rows(table: pa.Table, cfg: FuzzyDedupConfig) -> pa.Table:
    """:data:`MEMBER_TEXT_SCHEMA` rows -> :data:`REMOVAL_SCHEMA`: a null Jaccard with the survivor
    is computed from the two texts first (as :func:`verify_pairs` would, survivor first), then
    :func:`removal_rows` (one pass, so one Python worker per task on Spark)."""
    jac = table.column(JACCARD)
    todo = np.flatnonzero(pc.is_null(jac).to_numpy(zero_copy_only=False))
    if len(todo):
        take = pa.array(todo, pa.int64())
        computed = minhash.jaccard_pairs(
            table.column(TEXT_A).take(take).to_pylist(),
            table.column(TEXT_B).take(take).to_pylist(),
            cfg,
        )
        values = jac.to_pylist()
        for i, j in zip(todo.tolist(), computed, strict=True):
            values[i] = float(j)
        table = table.set_column(
            table.schema.get_field_index(JACCARD), JACCARD, pa.array(values, pa.float64())
        )
    return removal_rows(table.select(MEMBER_SCHEMA.names))


def graph_members(linked: pa.Table) -> pa.Table:
    """Linked pairs (``a < b``, ``jaccard``; null without ``verify``) -> :data:`MEMBER_SCHEMA`
    rows of every document a component removes, sorted by id (step 4 of the rule, in one
    process): ``survivor`` = the smallest id of its component (:func:`components`); ``jaccard``
    = the pair's Jaccard when the survivor linked it directly, else null (computed from the two
    texts by :func:`member_removal_rows`); ``neighbour`` = its verified pair of highest Jaccard
    (ties: the smallest id), null when no pair of it has a Jaccard."""
    a = linked.column(A).to_pylist()
    b = linked.column(B).to_pylist()
    jac = linked.column(JACCARD).to_pylist()
    survivor = components(a + b, zip(a, b, strict=True))
    direct: dict[tuple[str, str], float | None] = {}
    best: dict[str, tuple[float, str]] = {}
    for x, y, j in zip(a, b, jac, strict=True):
        direct[(x, y)] = j
        if j is None:
            continue
        for node, other in ((x, y), (y, x)):
            cur = best.get(node)
            if cur is None or (-j, other) < (-cur[0], cur[1]):
                best[node] = (j, other)
    rows = []
    for node in sorted(survivor):
        s = survivor[node]
        if s == node:
            continue
        nb = best.get(node)
        rows.append(
            {
                S.ID: node,
                SURVIVOR: s,
                JACCARD: direct.get((s, node)),
                NEIGHBOUR: None if nb is None else nb[1],
                NEIGHBOUR_JACCARD: None if nb is None else nb[0],
            }
        )
    return pa.Table.from_pylist(rows, schema=MEMBER_SCHEMA)


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find: every node -> the smallest id of its connected component (one process)."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
    return {n: find(n) for n in parent}
