"""Stage 2: exact deduplication by MD5 (map: a key per document; reduce: one survivor per key).

The map side (:func:`add_keys`) is a pure function over Arrow batches. The reduce side groups by
:func:`group_columns` and keeps the document with the smallest id, so the survivor never depends on
partitioning, cluster size or input order; Spark does it as a shuffle, and :func:`mark_duplicates`
is the same rule over one in-memory table (for tests and small local runs).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

from curation import schema as S
from curation.config import ExactDedupConfig

REASON_DUPLICATE = "exact_duplicate"

_WS = re.compile(r"\s+")


def normalize_text(text: str, mode: str) -> str:
    """The text whose MD5 is the dedup key under ``mode`` (``none`` = the text itself)."""
    if mode == "none":
        return text
    if mode == "whitespace":
        return _WS.sub(" ", text).strip()
    if mode == "nfkc_casefold":
        return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    raise ValueError(f"unknown exact_dedup.normalize mode {mode!r}")


def md5_hex(text: str) -> str:
    """Hex MD5 of the UTF-8 bytes of ``text`` (equals Spark's ``F.md5``)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def add_keys(table: pa.Table, cfg: ExactDedupConfig) -> pa.Table:
    """Set ``md5`` (of the exact text) and ``dedup_key`` (of the normalised text); null text -> null."""
    md5s, keys = keys_for(table.column(S.TEXT).to_pylist(), cfg)
    return _set(_set(table, S.MD5, md5s), S.DEDUP_KEY, keys)


def keys_for(texts: list[str | None], cfg: ExactDedupConfig) -> tuple[pa.Array, pa.Array]:
    """(md5, dedup_key) arrays for ``texts``; None texts get nulls."""
    md5s = [None if t is None else md5_hex(t) for t in texts]
    if cfg.normalize == "none":
        keys = md5s
    else:
        keys = [None if t is None else md5_hex(normalize_text(t, cfg.normalize)) for t in texts]
    return pa.array(md5s, pa.string()), pa.array(keys, pa.string())


def group_columns(cfg: ExactDedupConfig) -> list[str]:
    """Columns whose equal values make documents duplicates of each other."""
    return [S.DOMAIN, S.DEDUP_KEY] if cfg.scope == "domain" else [S.DEDUP_KEY]


def mark_duplicates(table: pa.Table, cfg: ExactDedupConfig) -> pa.Array:
    """For each row, the id of the survivor it duplicates, or null if it is the survivor.

    The survivor of a group is its smallest id. Rows with a null key are never duplicates.
    """
    keys = group_columns(cfg)
    valid = table.filter(pc.is_valid(table.column(S.DEDUP_KEY)))
    survivors = valid.group_by(keys).aggregate([(S.ID, "min")]).rename_columns(keys + ["_survivor"])
    indexed = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    joined = indexed.join(survivors, keys, join_type="left outer").sort_by("_row")
    survivor = joined.column("_survivor")
    is_dup = pc.and_kleene(pc.is_valid(survivor), pc.not_equal(survivor, joined.column(S.ID)))
    return pc.if_else(is_dup, survivor, pa.nulls(table.num_rows, pa.string())).combine_chunks()


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    idx = table.schema.get_field_index(name)
    if idx >= 0:
        return table.set_column(idx, name, values)
    return table.append_column(name, values)
