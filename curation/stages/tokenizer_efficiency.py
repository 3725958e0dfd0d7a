"""Tokenizer efficiency, per domain and overall: the numbers the reference compared vocabularies by.

For each tokenizer (the chosen one and any ``tokens.compare``) and each domain, over every
document tokenized:

* ``chars_per_token`` - Unicode characters per token (higher = the text costs fewer tokens);
* ``tokens_per_word`` - tokens per whitespace-separated word;
* ``bytes_per_token`` - UTF-8 bytes per token;
* ``unknown_share`` - share of tokens that are the unknown token (text the tokenizer lost);
* ``fallback_share`` - share of byte-fallback tokens (``<0xNN>``, or byte-level pieces of a
  character the vocabulary has no token for).

Counts are summed in :class:`Counts` (mergeable, so workers count and the driver adds up);
:func:`report` turns them into the JSON document and :func:`markdown` into a table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WORD = r"\S+"


@dataclass
class Counts:
    """Sums over some documents (one domain, one tokenizer)."""

    documents: int = 0
    chars: int = 0
    bytes: int = 0
    words: int = 0
    tokens: int = 0
    unknown: int = 0
    fallback: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def text_counts(texts: pa.Array | pa.ChunkedArray) -> Counts:
    """Documents, characters, bytes and words of a batch of texts (no tokens yet)."""
    return Counts(
        documents=len(texts),
        chars=int(pc.sum(pc.utf8_length(texts)).as_py() or 0),
        bytes=int(pc.sum(pc.binary_length(texts)).as_py() or 0),
        words=int(pc.sum(pc.count_substring_regex(texts, WORD)).as_py() or 0),
    )


def token_counts(ids: np.ndarray, unknown: np.ndarray, fallback: np.ndarray) -> Counts:
    """Tokens, unknown and fallback tokens among ``ids`` (masks from ``token_classes``)."""
    return Counts(
        tokens=int(len(ids)),
        unknown=int(unknown[ids].sum()),
        fallback=int(fallback[ids].sum()),
    )


def ratios(c: Counts) -> dict[str, float | int]:
    """The counts and the efficiency ratios of one cell of the report."""
    t = c.tokens
    return {
        **asdict(c),
        "chars_per_token": c.chars / t if t else 0.0,
        "tokens_per_word": t / c.words if c.words else 0.0,
        "bytes_per_token": c.bytes / t if t else 0.0,
        "unknown_share": c.unknown / t if t else 0.0,
        "fallback_share": c.fallback / t if t else 0.0,
    }


def report(tokenizers: list[dict], counts: list[dict[str, Counts]]) -> dict:
    """The efficiency document: for each tokenizer (``{"name", "source", "vocab_size"}``) its
    per-domain counts (``counts[i]``: domain -> Counts) and the overall sum."""
    out = []
    for meta, per_domain in zip(tokenizers, counts, strict=True):
        total = Counts()
        for c in per_domain.values():
            total.add(c)
        out.append(
            {
                **meta,
                "per_domain": {d: ratios(c) for d, c in sorted(per_domain.items())},
                "overall": ratios(total),
            }
        )
    return {"tokenizers": out}


def markdown(doc: dict) -> str:
    """The efficiency document as a Markdown table (one row per tokenizer and domain)."""
    head = (
        "| tokenizer | vocab | domain | chars/token | tokens/word | bytes/token "
        "| unknown % | byte-fallback % | tokens |"
    )
    lines = [
        "# Tokenizer efficiency",
        "",
        "Over every tokenized document; words are whitespace-separated.",
        "",
        head,
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for tok in doc["tokenizers"]:
        rows = list(tok["per_domain"].items()) + [("**overall**", tok["overall"])]
        for domain, r in rows:
            lines.append(
                f"| {tok['name']} | {tok['vocab_size']:,} | {domain} "
                f"| {r['chars_per_token']:.3f} | {r['tokens_per_word']:.3f} "
                f"| {r['bytes_per_token']:.3f} | {100 * r['unknown_share']:.3f} "
                f"| {100 * r['fallback_share']:.3f} | {r['tokens']:,} |"
            )
    return "\n".join(lines) + "\n"
