"""The one logging setup, called by entry points (library modules only call ``getLogger``)."""

from __future__ import annotations

import logging
import os


def setup_logging(level: str | None = None) -> None:
    level = level or os.environ.get("CURATION_LOG_LEVEL", "INFO")
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("py4j", "urllib3", "numba", "fsspec", "faiss", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
