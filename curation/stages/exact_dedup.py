"""Stage 2: exact deduplication by MD5 (map: a key per document; reduce: one survivor per key).

The map side (:func:`keys_for`) gives every text its md5 and dedup key. The reduce side groups the
documents that reach exact dedup by :func:`group_columns` and names the smallest id of each group
its survivor, so the survivor never depends on partitioning, cluster size or input order: the
Spark job does it as an exchange of key rows by key bucket
(:func:`curation.pipeline.dataset1_exchange.survivor_facts`),
:func:`curation.stages.dataset1.group_facts` over one in-memory table, and
:func:`curation.stages.dataset1.decide` removes every other member.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pyarrow as pa

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


def md5s_of(texts: list[str | None]) -> list[str | None]:
    """:func:`md5_hex` of every text; None for None."""
    return [None if t is None else md5_hex(t) for t in texts]


def keys_for(
    texts: list[str | None], cfg: ExactDedupConfig, md5s: list[str | None] | None = None
) -> tuple[pa.Array, pa.Array]:
    """(md5, dedup_key) arrays for ``texts`` (``md5s``: their :func:`md5s_of`, when already
    computed); None texts get nulls."""
    if md5s is None:
        md5s = md5s_of(texts)
    if cfg.normalize == "none":
        keys = md5s
    else:
        keys = [None if t is None else md5_hex(normalize_text(t, cfg.normalize)) for t in texts]
    return pa.array(md5s, pa.string()), pa.array(keys, pa.string())


def group_columns(cfg: ExactDedupConfig) -> list[str]:
    """Columns whose equal values make documents duplicates of each other."""
    return [S.DOMAIN, S.DEDUP_KEY] if cfg.scope == "domain" else [S.DEDUP_KEY]
