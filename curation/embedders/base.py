"""The one interface every text embedder implements, and what all of them share.

An :class:`Embedder` turns a list of texts into a float32 ``(N, dim)`` array of L2-normalised
vectors, in input order. :meth:`Embedder.encode` is the same for every implementation:

1. every text is cut to :attr:`Embedder.max_chars` characters *before* any tokenization, so one
   huge document costs no more than a normal one (tokenizers process the whole text before they
   truncate to a token limit; a 50 MB document took 7.9 GB and 146 s that way);
2. the implementation's :meth:`Embedder._encode` embeds the cut texts;
3. every vector is checked finite (a reduced precision can overflow: ``model.half()`` on a
   checkpoint trained in bf16 gives inf/NaN) - a non-finite vector is never written, it raises
   :class:`NonFiniteVectorsError` - and normalised to unit length.

:meth:`Embedder.fingerprint` gives everything that shapes the vectors, with the *resolved*
precision (never ``auto``) and the implementation's package version: a stage fingerprint built
from it changes exactly when the vectors can.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np

from curation.errors import CurationError

log = logging.getLogger(__name__)

CHARS_PER_TOKEN_BUDGET = 16
"""``embed.max_chars = 0`` means ``CHARS_PER_TOKEN_BUDGET * embed.max_seq_length`` characters.
Measured on the shared corpus, a MiniLM or XLM-R token covers 2.5-6 characters of Russian,
English, LaTeX or code, so 16 per token keeps every character the model would have seen in all
but pathological texts (long runs of whitespace), while bounding tokenization work and memory
per document."""


class ModelLoadError(CurationError, RuntimeError):
    """An embedding model that cannot be loaded offline. The message names it and what to do."""


class NonFiniteVectorsError(CurationError, RuntimeError):
    """An embedder produced inf/NaN vectors (a precision too narrow for the model). ``rows`` are
    the positions of the affected texts in the encoded list."""

    def __init__(self, message: object = "", rows: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.rows = rows


def effective_max_chars(max_chars: int, max_seq_length: int) -> int:
    """The character budget: ``max_chars``, or when 0 ``CHARS_PER_TOKEN_BUDGET`` per token."""
    return max_chars if max_chars > 0 else CHARS_PER_TOKEN_BUDGET * max_seq_length


def cut_texts(texts: list[str], max_chars: int) -> list[str]:
    """Every text cut to its first ``max_chars`` characters (Unicode code points)."""
    return [t if len(t) <= max_chars else t[:max_chars] for t in texts]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm, in float32 (a zero row stays zero and is caught as such)."""
    out = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


class Embedder(ABC):
    """Texts -> L2-normalised float32 vectors with one model, on one device, in one precision.

    Attributes set by every implementation: ``name`` (the ``embed.model`` value), ``device``
    (``cpu``/``cuda[:N]``), ``precision`` (resolved: ``fp32``/``bf16``/``fp16``/``int8``, never
    ``auto``), ``prefix`` (prepended to every text), ``max_chars`` (character budget per text).
    Construction is cheap (no weights are read); the model loads on first use or :meth:`load`.
    """

    name: str
    device: str
    precision: str
    prefix: str
    max_chars: int

    # --- what each implementation provides ------------------------------------------------------

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension (loads the model when it must)."""

    @abstractmethod
    def load(self) -> None:
        """Load the model now (a clear :class:`ModelLoadError` when it cannot be)."""

    @abstractmethod
    def _encode(self, texts: list[str], progress: Callable[[int], Any] | None) -> np.ndarray:
        """Vectors of the (already cut and prefixed) texts, in order, any scale."""

    @abstractmethod
    def _fingerprint_extra(self) -> dict[str, Any]:
        """Implementation-specific parameters that shape the vectors (package version ...)."""

    # --- shared ----------------------------------------------------------------------------------

    def fingerprint(self) -> dict[str, Any]:
        """Everything that shapes the vectors, as plain JSON values (the resolved precision)."""
        return {
            "model": self.name,
            "prefix": self.prefix,
            "max_chars": self.max_chars,
            "precision": self.precision,
        } | self._fingerprint_extra()

    def prepare(self, texts: list[str]) -> list[str]:
        """The texts as the model sees them: cut to ``max_chars``, then the prefix prepended."""
        cut = cut_texts(texts, self.max_chars)
        return [self.prefix + t for t in cut] if self.prefix else cut

    def encode(self, texts: list[str], progress: Callable[[int], Any] | None = None) -> np.ndarray:
        """float32 ``(len(texts), dim)`` unit vectors of ``texts``, in order; ``progress(n)`` is
        called as texts are done. Raises :class:`NonFiniteVectorsError` rather than return a
        vector with inf/NaN (or an all-zero one)."""
        if not texts:
            self.load()
            return np.empty((0, self.dim), np.float32)
        raw = np.asarray(self._encode(self.prepare(list(texts)), progress), dtype=np.float32)
        if raw.shape != (len(texts), self.dim):
            raise RuntimeError(f"{self.name} returned shape {raw.shape} for {len(texts)} texts")
        bad = ~np.isfinite(raw).all(axis=1) | (np.abs(raw).max(axis=1) == 0.0)
        if bad.any():
            rows = tuple(int(i) for i in np.flatnonzero(bad))
            raise NonFiniteVectorsError(
                f"embedding model {self.name} in {self.precision} on {self.device} produced "
                f"{len(rows)} non-finite or zero vector(s) (first: text {rows[0]}); nothing "
                "was written. Use embed.precision=fp32 (or bf16 on a GPU that has it)",
                rows,
            )
        return unit_rows(raw)

    def describe(self) -> str:
        return f"{self.name} on {self.device} in {self.precision}"
