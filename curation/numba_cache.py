"""Where numba keeps its compiled code: one writable folder, set before numba is imported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def numba_cache_dir() -> str:
    """Set ``NUMBA_CACHE_DIR`` (unless set) to a writable folder and return it.

    ``$XDG_CACHE_HOME/curation/numba`` (default ``~/.cache/...``), else a temporary folder. Must
    run before numba is imported (umap-learn imports it; so does :mod:`curation.stages.minhash`'s
    signature kernel), so that later processes (Spark's Python workers included) reuse the
    compiled code instead of compiling it again.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for candidate in (base / "curation" / "numba", Path(tempfile.gettempdir()) / "curation-numba"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            probe = candidate / f".write-test-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError:
            continue
        os.environ["NUMBA_CACHE_DIR"] = str(candidate)
        return str(candidate)
    raise OSError("no writable folder for the numba cache: set NUMBA_CACHE_DIR")
