"""Cutting tokenized documents into training sequences of the context length N: pure functions.

Every document's tokens are followed by ``<eos>``. Two modes (``tokens.mode``):

* ``pad`` (the reference's default): each document on its own is cut into consecutive N-token
  pieces; its last piece is filled up with ``<pad>``. Every sequence holds tokens of exactly one
  document, padding appears only at the end of a document's last piece, and the loss mask is 0
  exactly on the padding. A document of n tokens takes ``ceil((n + 1) / N)`` sequences.
* ``pack``: the documents (each with its ``<eos>``) are joined into one stream cut into full
  N-token sequences; only the very last sequence can be padded. No token is wasted, but a sequence
  may hold the end of one document and the start of the next.

In both modes a document occupies one contiguous run of the stream of sequences, from global
token position ``start`` (sequence ``start // N``, offset ``start % N``; in pad mode the offset is
always 0) for ``n + 1`` tokens. :func:`starts` computes these positions from the token counts alone
(also for a run of documents that follows ``base`` positions, so that separately placed runs give
one placement); :func:`plan_window` lays out any range of sequences from the documents overlapping
it, and :func:`fill` writes it given a way to fetch a document's tokens, so different processes
(or Spark tasks) write different shards of one domain; :func:`plan` and :func:`cut` do a whole
stream in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Mode = Literal["pad", "pack"]
NO_TOKEN = -1
"""``next_token`` of a sequence whose text does not go on in the next sequence."""


@dataclass(frozen=True)
class Plan:
    """Where every document and sequence of one domain lies (documents in their final order)."""

    context_length: int
    mode: Mode
    doc_tokens: np.ndarray  # int64 [D]: tokens of each document, <eos> not counted
    doc_start: np.ndarray  # int64 [D]: global position of the document's first token
    seq_doc: np.ndarray  # int64 [S]: the document holding each sequence's first token
    seq_piece: np.ndarray  # int64 [S]: which piece of that document (0 = its first sequence)
    seq_real: np.ndarray  # int64 [S]: tokens that are not padding
    seq_continues: np.ndarray  # bool [S]: the next sequence goes on with the same text stream

    @property
    def n_sequences(self) -> int:
        return len(self.seq_doc)

    @property
    def doc_first_seq(self) -> np.ndarray:
        return self.doc_start // self.context_length

    @property
    def doc_pieces(self) -> np.ndarray:
        """Sequences each document touches."""
        n = self.context_length
        end = self.doc_start + self.doc_tokens + 1  # one past the <eos>
        return (end + n - 1) // n - self.doc_start // n

    def documents_in(self, first: int, stop: int) -> tuple[int, int]:
        """Documents ``[d0, d1)`` that :func:`fill` needs for sequences ``first .. stop - 1``."""
        n = self.context_length
        doc_end = self.doc_start + self.doc_tokens + 1
        d0 = int(np.searchsorted(doc_end, first * n, side="right"))
        d1 = int(np.searchsorted(self.doc_start, stop * n + 1, side="left"))
        return d0, max(d0, d1)


def _check(context_length: int, mode: str) -> int:
    n = int(context_length)
    if n < 2:
        raise ValueError(f"context length must be >= 2, got {n}")
    if mode not in ("pad", "pack"):
        raise ValueError(f"mode must be 'pad' or 'pack', got {mode!r}")
    return n


def spans(doc_tokens: np.ndarray | Sequence[int], context_length: int, mode: Mode) -> np.ndarray:
    """Positions of the stream each document occupies: ``n + 1`` (with its ``<eos>``) in pack
    mode, its pieces times N in pad mode (padding included)."""
    n = _check(context_length, mode)
    length = np.asarray(doc_tokens, dtype=np.int64) + 1
    return length if mode == "pack" else (length + n - 1) // n * n


def starts(
    doc_tokens: np.ndarray | Sequence[int], context_length: int, mode: Mode, base: int = 0
) -> np.ndarray:
    """Global start position of each document (in this order), the first at ``base``: a run of
    documents placed after ``base`` positions of the stream, so that runs placed separately
    (each with the sum of the spans before it) give the positions of one placement."""
    s = spans(doc_tokens, context_length, mode)
    return np.cumsum(s) - s + np.int64(base)


def n_sequences(positions: int, context_length: int) -> int:
    """Sequences of a stream of ``positions`` positions (the sum of the documents' spans)."""
    return -(-int(positions) // int(context_length))


def plan(doc_tokens: np.ndarray | Sequence[int], context_length: int, mode: Mode) -> Plan:
    """The layout of documents of ``doc_tokens`` tokens each (in this order) in sequences."""
    tokens = np.asarray(doc_tokens, dtype=np.int64)
    start = starts(tokens, context_length, mode)
    positions = int(spans(tokens, context_length, mode).sum())
    count = n_sequences(positions, context_length)
    return plan_window(tokens, start, 0, count, context_length, mode, positions)


def plan_window(
    doc_tokens: np.ndarray,
    doc_start: np.ndarray,
    first: int,
    stop: int,
    context_length: int,
    mode: Mode,
    positions: int,
) -> Plan:
    """The plan of sequences ``first .. stop - 1`` of a stream alone, positions shifted to start
    at 0 (what one shard is).

    ``doc_tokens``/``doc_start``: the documents that overlap those sequences, in order, with
    their global start positions (:func:`starts`); ``positions``: the whole stream's length (the
    sum of every document's span), which says where the last sequence's real tokens end. The
    result depends only on these, not on how the stream was computed or split.
    """
    n = _check(context_length, mode)
    tokens = np.asarray(doc_tokens, dtype=np.int64)
    start = np.asarray(doc_start, dtype=np.int64)
    total = n_sequences(positions, n)
    if not 0 <= first <= stop <= total:
        raise ValueError(f"sequence range [{first}, {stop}) outside [0, {total})")
    seq = np.arange(first, stop, dtype=np.int64)
    seq_pos = seq * n
    seq_doc = np.searchsorted(start, seq_pos, side="right") - 1
    if len(seq) and (seq_doc < 0).any():
        raise ValueError(f"no document covers the start of sequence {first}")
    seq_piece = seq - start[seq_doc] // n
    if mode == "pad":
        length = tokens + 1
        pieces = (length + n - 1) // n
        seq_real = np.minimum(n, length[seq_doc] - seq_piece * n)
        seq_continues = seq_piece < pieces[seq_doc] - 1
    else:
        seq_real = np.minimum(n, int(positions) - seq_pos)
        seq_continues = seq < total - 1
    shift = np.int64(first) * n
    return Plan(n, mode, tokens, start - shift, seq_doc, seq_piece, seq_real, seq_continues)


@dataclass(frozen=True)
class Filled:
    """Sequences ``[first, first + len(tokens))`` of a plan, written out."""

    tokens: np.ndarray  # [S, N]
    loss_mask: np.ndarray  # bool [S, N]: False exactly on padding
    next_token: np.ndarray  # int64 [S]: the token after the sequence's last one, or NO_TOKEN


def fill(
    p: Plan,
    first: int,
    stop: int,
    doc_tokens: Callable[[int], np.ndarray],
    pad: int,
    eos: int,
    dtype: np.dtype | type = np.int64,
) -> Filled:
    """Write sequences ``first .. stop - 1`` of plan ``p``; ``doc_tokens(i)`` gives document i's
    tokens (without <eos>). Only the documents overlapping the range are fetched."""
    n = p.context_length
    if not 0 <= first <= stop <= p.n_sequences:
        raise ValueError(f"sequence range [{first}, {stop}) outside [0, {p.n_sequences})")
    lo, hi = first * n, stop * n + 1  # one position more: the token after the last sequence
    flat = np.full(hi - lo, pad, dtype=dtype)
    d0, d1 = p.documents_in(first, stop)
    for d in range(d0, d1):
        start = int(p.doc_start[d])
        toks = np.asarray(doc_tokens(d))
        if len(toks) != p.doc_tokens[d]:
            raise ValueError(
                f"document {d} has {len(toks)} tokens, the plan says {p.doc_tokens[d]}"
            )
        a, b = max(start, lo), min(start + len(toks) + 1, hi)
        body = toks[a - start : min(b - start, len(toks))]
        flat[a - lo : a - lo + len(body)] = body
        if start + len(toks) < hi and start + len(toks) >= lo:  # the <eos> is in range
            flat[start + len(toks) - lo] = eos
    count = stop - first
    tokens = flat[: count * n].reshape(count, n)
    real = p.seq_real[first:stop]
    loss_mask = np.arange(n)[None, :] < real[:, None]
    continues = p.seq_continues[first:stop]
    nxt = flat[n : count * n + 1 : n].astype(np.int64)
    next_token = np.where(continues, nxt, NO_TOKEN)
    return Filled(tokens, loss_mask, next_token)


def cut(
    docs: Sequence[np.ndarray | Sequence[int]],
    context_length: int,
    mode: Mode,
    pad: int,
    eos: int,
) -> tuple[Plan, Filled]:
    """Every sequence of ``docs`` (token lists, in order), in memory."""
    arrays = [np.asarray(d, dtype=np.int64) for d in docs]
    p = plan([len(a) for a in arrays], context_length, mode)
    return p, fill(p, 0, p.n_sequences, arrays.__getitem__, pad, eos)
