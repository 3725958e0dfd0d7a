"""Dataset-1 per batch: the pure steps Spark (or a local loop) applies to every ingested batch.

:func:`annotate_batch` computes everything expensive once (language, md5, length) - its output is
stored in ``_work/annotated`` - and :func:`decide_batch` applies the thresholds of the current
config to it, so that changing a threshold never recomputes language ID. Exact dedup, the one
step that needs all rows of a key together, follows in Spark (or in
:func:`curation.stages.exact_dedup.mark_duplicates`).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import PipelineConfig
from curation.stages import exact_dedup, langid, length_filter


def annotate_batch(table: pa.Table, cfg: PipelineConfig) -> pa.Table:
    """Ingested rows (:data:`~curation.schema.INGEST_SCHEMA`) -> :data:`~curation.schema.ANNOTATED_SCHEMA`.

    Invalid rows are carried along unannotated (their raw text is not a document).
    """
    valid = pc.is_null(table.column(S.INVALID_REASON))
    texts = pc.if_else(valid, table.column(S.TEXT), pa.nulls(table.num_rows, pa.string()))
    values = texts.to_pylist()  # once, for every annotation
    lang, score, reliable = langid.detect_texts(values, cfg.langid)
    md5, key = exact_dedup.keys_for(values, cfg.exact_dedup)
    n_chars = pc.utf8_length(texts).cast(pa.int64())
    for name, column in (
        (S.LANG, lang), (S.LANG_SCORE, score), (S.LANG_RELIABLE, reliable),
        (S.N_CHARS, n_chars), (S.MD5, md5), (S.DEDUP_KEY, key),
    ):  # fmt: skip
        table = table.append_column(S.ANNOTATED_SCHEMA.field(name), column)
    return table


def decide_batch(table: pa.Table, cfg: PipelineConfig) -> pa.Table:
    """Annotated rows -> :data:`~curation.schema.DECIDED_SCHEMA`: route domains, mark removals.

    ``stage``/``reason``/``score`` are set for invalid rows and language removals; ``too_short``
    flags what the length rule removes unless exact dedup removes it first.
    """
    n = table.num_rows
    invalid = pc.is_valid(table.column(S.INVALID_REASON))
    domain, lang_reason = langid.decide(table, cfg.langid)
    lang_removed = pc.and_(pc.invert(invalid), pc.is_valid(lang_reason))
    null_s = pa.nulls(n, pa.string())
    stage = pc.if_else(
        invalid,
        pa.array([S.STAGE_INVALID] * n, pa.string()),
        pc.if_else(lang_removed, pa.array([S.STAGE_LANGID] * n, pa.string()), null_s),
    )
    reason = pc.if_else(invalid, table.column(S.INVALID_REASON), lang_reason)
    score = pc.if_else(lang_removed, table.column(S.LANG_SCORE), pa.nulls(n, pa.float64()))
    detail = pc.if_else(lang_removed, table.column(S.LANG), table.column(S.DETAIL))
    # only documents still in play can be too short; the flag is applied after exact dedup
    short = pc.and_(pc.is_null(stage), length_filter.too_short(table, cfg.length))
    table = table.set_column(table.schema.get_field_index(S.DOMAIN), S.DOMAIN, domain)
    table = table.set_column(table.schema.get_field_index(S.DETAIL), S.DETAIL, detail)
    for name, values in (
        (S.STAGE, stage),
        (S.REASON, reason),
        (S.SCORE, score),
        (S.TOO_SHORT, short),
    ):
        table = table.append_column(S.DECIDED_SCHEMA.field(name), values)
    return table
