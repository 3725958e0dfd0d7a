"""Dataset-1's decisions: pure functions over Arrow tables that Spark (or a local loop) applies.

:func:`annotate_batch` computes everything expensive once per ingested row - language, md5 and
dedup key, length - and is what ``_work/annotated`` stores. :func:`decide` is the whole keep /
remove table of Dataset-1 in one place. It reads a row's annotations and two *group facts* that
only a look at other rows can give:

* :data:`~curation.schema.FIRST_AT` - where the first valid row with the same id lies (``file:line``),
  when that is not this row (null otherwise; under ``ingest.on_duplicate_id=error`` a row that
  has one makes the job fail naming the repeated ids);
* :data:`~curation.schema.SURVIVOR` - the smallest id among the rows of this row's exact-dedup
  group that reach exact dedup (null when the row does not reach it, or when it is unknown yet);
* :data:`~curation.schema.NEAR_FACTS` - with ``fuzzy_dedup.enabled``, for a row that is a removed
  member of a near-duplicate component (:mod:`curation.stages.fuzzy_dedup`): the component's
  survivor, the row's true Jaccard with it, the component id and the pair that linked the row
  (null otherwise). Components are formed among the rows that pass rules 1-5.

The Spark job computes the facts over key rows only (:mod:`curation.pipeline.dataset1_exchange`,
and :mod:`curation.spark.fuzzy` for the near-duplicate ones); :func:`group_facts` computes the
same over one in-memory table (tests, small local runs).

The precedence - the first rule that applies decides the row:

1. **invalid** (stage ``invalid``, the ingest reason): the row could not be read as a document;
2. **duplicate id** (stage ``invalid``, reason ``duplicate_id``): an earlier valid row (by file,
   then line) has the same id - whatever the language of either;
3. **language** (stage ``langid``, ``lang_unreliable`` / ``lang_other``): in a filtered domain,
   an unreliable detection or a language outside ``langid.keep``;
4. **exact duplicate** (stage ``exact_dedup``): another row of the group survives (its id is
   smaller); ``duplicate_of`` names it;
5. **too short** (stage ``length``): fewer than ``length.min_chars`` characters - also a group's
   survivor, as in the reference, where dedup runs before the length filter;
6. **near duplicate** (stage ``fuzzy_dedup``, reason ``near_duplicate``; off in the reference):
   another row of its near-duplicate component survives (the smallest id); ``duplicate_of`` names
   it, ``score`` is their true Jaccard, ``cluster`` the component, ``detail`` the linking pair.
   It comes after the length filter so that only documents that would be kept are hashed and
   compared, and a component's survivor is always a kept document (README, "Rules worth knowing");

otherwise the row is kept, in its routed domain. Rows that pass rules 1-3 are the ones that reach
exact dedup (:data:`~curation.schema.REACHES_DEDUP`); their domain is the routed one (``cc`` -> ``ru-CC``), and
exact-dedup groups are formed in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import PipelineConfig
from curation.stages import exact_dedup, fuzzy_dedup, langid, length_filter
from curation.stages.ingest import DUPLICATE_ID

DECISION_COLUMNS = (
    S.ID, S.SRC_DOMAIN, S.SRC_FILE, S.SRC_LINE, S.INVALID_REASON, S.DETAIL,
    S.LANG, S.LANG_SCORE, S.LANG_RELIABLE, S.N_CHARS, S.DEDUP_KEY,
)  # fmt: skip
"""The annotated columns :func:`decide` reads (never the text)."""

FACTS_SCHEMA = pa.schema(
    [
        pa.field(S.FIRST_AT, pa.string()),
        pa.field(S.SURVIVOR, pa.string()),
        pa.field(S.NEAR_OF, pa.string()),
        pa.field(S.NEAR_SCORE, pa.float64()),
        pa.field(S.NEAR_CLUSTER, pa.int64()),
        pa.field(S.NEAR_DETAIL, pa.string()),
    ]
)
"""The group facts :func:`decide` reads besides the annotations."""


def annotate_batch(
    table: pa.Table,
    cfg: PipelineConfig,
    texts: list[str | None] | None = None,
    cache: langid.DetectionCache | None = None,
) -> pa.Table:
    """Ingested rows (:data:`~curation.schema.INGEST_SCHEMA`) -> :data:`~curation.schema.ANNOTATED_SCHEMA`.

    Invalid rows are carried along unannotated (their raw text is not a document). ``texts``,
    when given, are the rows' texts as Python strings with None for every invalid row (what
    :func:`curation.stages.ingest.read_batches` gives), so that they are not converted out of
    Arrow again; otherwise they are taken from the table. ``cache`` (one per task): a text
    already seen is not given to the language-ID engine again (the same answer).
    """
    if texts is None:
        valid = pc.is_null(table.column(S.INVALID_REASON))
        masked = pc.if_else(valid, table.column(S.TEXT), pa.nulls(table.num_rows, pa.string()))
        texts = masked.to_pylist()  # once, for every annotation
    md5s = exact_dedup.md5s_of(texts)
    lang, score, reliable = langid.detect_texts(texts, cfg.langid, md5s, cache)
    md5, key = exact_dedup.keys_for(texts, cfg.exact_dedup, md5s)
    # len() of a str = code points = utf8_length of its UTF-8
    n_chars = pa.array([None if t is None else len(t) for t in texts], pa.int64())
    for name, column in (
        (S.LANG, lang), (S.LANG_SCORE, score), (S.LANG_RELIABLE, reliable),
        (S.N_CHARS, n_chars), (S.MD5, md5), (S.DEDUP_KEY, key),
    ):  # fmt: skip
        table = table.append_column(S.ANNOTATED_SCHEMA.field(name), column)
    return table


def where(table: pa.Table) -> pa.Array:
    """``"<src_file>:<src_line>"`` of every row: how ledger details and messages name a row."""
    line = pc.cast(table.column(S.SRC_LINE), pa.string())
    return _array(pc.binary_join_element_wise(table.column(S.SRC_FILE), line, ":"))


def decide(rows: pa.Table, cfg: PipelineConfig) -> pa.Table:
    """The verdict (:data:`~curation.schema.DECISION_SCHEMA`) of every row of ``rows``: its annotations
    (:data:`DECISION_COLUMNS`) and group facts (:data:`FACTS_SCHEMA`; missing = null), by the
    precedence of the module docstring. One row in, one row out, in order."""
    n = rows.num_rows
    null_s, null_f = pa.nulls(n, pa.string()), pa.nulls(n, pa.float64())
    first_at = _column(rows, S.FIRST_AT, pa.string())
    survivor = _column(rows, S.SURVIVOR, pa.string())
    near_of = _column(rows, S.NEAR_OF, pa.string())
    ids = _array(rows.column(S.ID))

    # 1. invalid rows
    invalid = pc.is_valid(rows.column(S.INVALID_REASON))
    # 2. duplicate ids (only valid rows have a first row elsewhere)
    dup_id = pc.and_(pc.invert(invalid), pc.is_valid(first_at))
    # 3. language: the routed domain of every valid row the language rule keeps
    domain, lang_reason = langid.decide(rows, cfg.langid)
    by_lang = pc.and_(pc.invert(pc.or_(invalid, dup_id)), pc.is_valid(lang_reason))
    reaches = pc.invert(pc.or_(pc.or_(invalid, dup_id), by_lang))
    # 4. exact duplicates: the group's survivor is another row
    by_dedup = pc.and_(reaches, pc.fill_null(pc.not_equal(survivor, ids), False))
    # 5. too short: the rows that reach dedup and survive it
    by_length = pc.and_(
        pc.and_(reaches, pc.invert(by_dedup)), length_filter.too_short(rows, cfg.length)
    )
    # 6. near duplicates: the rows that pass 1-5 and whose component survivor is another row
    by_near = pc.and_(
        pc.and_(reaches, pc.invert(pc.or_(by_dedup, by_length))),
        pc.fill_null(pc.not_equal(near_of, ids), False),
    )

    def pick(*cases: tuple[pa.Array, pa.Array | pa.Scalar], default: pa.Array) -> pa.Array:
        out = default
        for mask, value in reversed(cases):
            out = pc.if_else(mask, value, out)
        return _array(out)

    lit = pa.scalar
    stage = pick(
        (invalid, lit(S.STAGE_INVALID)), (dup_id, lit(S.STAGE_INVALID)),
        (by_lang, lit(S.STAGE_LANGID)), (by_dedup, lit(S.STAGE_EXACT_DEDUP)),
        (by_length, lit(S.STAGE_LENGTH)), (by_near, lit(S.STAGE_FUZZY_DEDUP)), default=null_s,
    )  # fmt: skip
    reason = pick(
        (invalid, rows.column(S.INVALID_REASON)), (dup_id, lit(DUPLICATE_ID)),
        (by_lang, lang_reason), (by_dedup, lit(exact_dedup.REASON_DUPLICATE)),
        (by_length, lit(length_filter.REASON_SHORT)),
        (by_near, lit(fuzzy_dedup.REASON_NEAR_DUPLICATE)), default=null_s,
    )  # fmt: skip
    score = pick(
        (invalid, null_f), (dup_id, null_f),
        (by_lang, rows.column(S.LANG_SCORE).cast(pa.float64())),
        (by_dedup, null_f), (by_length, rows.column(S.N_CHARS).cast(pa.float64())),
        (by_near, _column(rows, S.NEAR_SCORE, pa.float64())), default=null_f,
    )  # fmt: skip
    again = pc.binary_join_element_wise(where(rows), lit(": id "), ids, lit(" already used at "),
                                        first_at, lit(""))  # fmt: skip
    detail = pick(
        (invalid, rows.column(S.DETAIL)), (dup_id, again), (by_lang, rows.column(S.LANG)),
        (by_dedup, rows.column(S.DEDUP_KEY)), (by_near, _column(rows, S.NEAR_DETAIL, pa.string())),
        default=null_s,
    )  # fmt: skip
    duplicate_of = pick((by_dedup, survivor), (by_near, near_of), default=null_s)
    cluster = pick((by_near, _column(rows, S.NEAR_CLUSTER, pa.int64())),
                   default=pa.nulls(n, pa.int64()))  # fmt: skip
    return pa.Table.from_arrays(
        [domain, stage, reason, score, detail, duplicate_of, cluster, _array(reaches)],
        schema=S.DECISION_SCHEMA,
    )


@dataclass(frozen=True)
class DuplicateIds:
    """Ids used by more than one valid row: ``(id, [file:line, ...])`` for the first few."""

    examples: list[tuple[str, list[str]]]


def group_facts(rows: pa.Table, cfg: PipelineConfig) -> pa.Table:
    """The group facts (:data:`FACTS_SCHEMA`) of ``rows`` computed in memory - the same that
    Spark computes as shuffles over the key columns.

    ``first_at`` is set under either ``ingest.on_duplicate_id`` (under ``error`` the caller fails
    on :func:`duplicate_ids` when a row has one). The near-duplicate facts (``fuzzy_dedup.enabled``)
    need the ``text`` column and come from
    :func:`curation.stages.fuzzy_reference.lsh_reference` - the rule the Spark stage equals."""
    n = rows.num_rows
    indexed = rows.select(list(DECISION_COLUMNS)).append_column(
        "_row", pa.array(range(n), pa.int64())
    )
    valid = indexed.filter(pc.is_null(indexed.column(S.INVALID_REASON)))
    order = valid.sort_by([(S.ID, "ascending"), (S.SRC_FILE, "ascending"),
                           (S.SRC_LINE, "ascending")])  # fmt: skip
    ids, places = order.column(S.ID).to_pylist(), where(order).to_pylist()
    values: list[str | None] = [None] * n
    first = None
    for j, row in enumerate(order.column("_row").to_pylist()):
        if j and ids[j] == ids[j - 1]:
            values[row] = first
        else:
            first = places[j]
    first_at = pa.array(values, pa.string())
    facts = pa.table({S.FIRST_AT: first_at, S.SURVIVOR: pa.nulls(n, pa.string())})
    verdict = decide(pa.Table.from_arrays(
        list(indexed.columns) + [first_at], names=indexed.column_names + [S.FIRST_AT]), cfg)  # fmt: skip
    keyed = pa.table(
        {
            S.DOMAIN: verdict.column(S.DOMAIN),
            S.DEDUP_KEY: rows.column(S.DEDUP_KEY),
            S.ID: rows.column(S.ID),
            "_row": indexed.column("_row"),
        }
    ).filter(verdict.column(S.REACHES_DEDUP))
    keys = exact_dedup.group_columns(cfg.exact_dedup)
    smallest = keyed.group_by(keys).aggregate([(S.ID, "min")]).rename_columns(keys + [S.SURVIVOR])
    joined = keyed.join(smallest, keys, join_type="inner").sort_by("_row")
    survivor: list[str | None] = [None] * n
    for row, value in zip(joined["_row"].to_pylist(), joined[S.SURVIVOR].to_pylist(), strict=True):
        survivor[row] = value
    facts = facts.set_column(1, S.SURVIVOR, pa.array(survivor, pa.string()))
    return _near_facts(rows, facts, cfg)


def _near_facts(rows: pa.Table, facts: pa.Table, cfg: PipelineConfig) -> pa.Table:
    """``facts`` with the near-duplicate facts of :data:`FACTS_SCHEMA` (null when disabled)."""
    from curation.stages.fuzzy_reference import lsh_reference

    n = rows.num_rows
    near = {f.name: pa.nulls(n, f.type) for f in FACTS_SCHEMA if f.name in S.NEAR_FACTS}
    if cfg.fuzzy_dedup.enabled:
        with_facts = rows.select(list(DECISION_COLUMNS))
        for name in facts.column_names:
            with_facts = with_facts.append_column(name, facts.column(name))
        verdict = decide(with_facts, cfg)
        reach = pc.is_null(verdict.column(S.STAGE))
        docs = pa.table(
            {
                S.ID: rows.column(S.ID),
                S.DOMAIN: verdict.column(S.DOMAIN),
                S.TEXT: rows.column(S.TEXT),
            }
        ).filter(reach)
        removals = lsh_reference(docs, cfg.fuzzy_dedup)
        found = {r[S.ID]: r for r in removals.to_pylist()}
        ids = rows.column(S.ID).to_pylist()
        hit = [found.get(i) if ok else None for i, ok in zip(ids, reach.to_pylist(), strict=True)]
        for name, column in ((S.NEAR_OF, S.DUPLICATE_OF), (S.NEAR_SCORE, S.SCORE),
                             (S.NEAR_CLUSTER, S.CLUSTER), (S.NEAR_DETAIL, S.DETAIL)):  # fmt: skip
            near[name] = pa.array([None if h is None else h[column] for h in hit],
                                  FACTS_SCHEMA.field(name).type)  # fmt: skip
    for name in S.NEAR_FACTS:
        facts = facts.append_column(FACTS_SCHEMA.field(name), near[name])
    return facts


def duplicate_ids(rows: pa.Table, limit: int = 10) -> DuplicateIds:
    """The first ``limit`` ids (in id order) that more than one valid row uses, with up to
    three of their places each (sorted)."""
    valid = rows.filter(pc.is_null(rows.column(S.INVALID_REASON)))
    places: dict[str, list[str]] = {}
    for i, w in zip(valid.column(S.ID).to_pylist(), where(valid).to_pylist(), strict=True):
        places.setdefault(i, []).append(w)
    dups = sorted((i, sorted(p)) for i, p in places.items() if len(p) > 1)
    return DuplicateIds([(i, p[:3]) for i, p in dups[:limit]])


def kept_rows(rows: pa.Table, verdict: pa.Table) -> pa.Table:
    """The kept rows of annotated ``rows`` as :data:`~curation.schema.RECORD_SCHEMA` documents."""
    kept = pc.is_null(verdict.column(S.STAGE))
    table = rows.set_column(rows.schema.get_field_index(S.DOMAIN), S.DOMAIN,
                            verdict.column(S.DOMAIN))  # fmt: skip
    return S.conform(table.filter(kept), S.RECORD_SCHEMA)


def ledger_rows(rows: pa.Table, verdict: pa.Table) -> pa.Table:
    """The removed rows of annotated ``rows`` as :data:`~curation.schema.LEDGER_SCHEMA` rows."""
    removed = pc.is_valid(verdict.column(S.STAGE))
    columns = {name: rows.column(name) for name in rows.column_names}
    columns.update({name: verdict.column(name) for name in verdict.column_names})
    table = pa.table(columns)
    return S.conform(table.filter(removed), S.LEDGER_SCHEMA)


def _column(table: pa.Table, name: str, type_: pa.DataType) -> pa.Array:
    if name in table.column_names:
        return _array(table.column(name)).cast(type_)
    return pa.nulls(table.num_rows, type_)


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
