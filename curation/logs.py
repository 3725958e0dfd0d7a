"""The one logging setup, called by entry points (library modules only call ``getLogger``)."""

from __future__ import annotations

import logging
import os

from curation.printable import for_terminal


class _SafeFormatter(logging.Formatter):
    """Log lines often name input files and ids: their control characters are shown as escapes
    (:func:`curation.printable.for_terminal`) instead of acting on the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record))


def setup_logging(level: str | None = None) -> None:
    level = level or os.environ.get("CURATION_LOG_LEVEL", "INFO")
    handler = logging.StreamHandler()
    handler.setFormatter(
        _SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
    for noisy in ("py4j", "urllib3", "numba", "fsspec", "faiss", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
