"""Where numba keeps its compiled code: one writable folder, set before numba is imported."""

from __future__ import annotations

import functools
import os
import tempfile
import types
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


REASSOCIATE = frozenset({"reassoc"})
"""Fast-math flags that let a compiled loop reorder its sums (vectorise them) and nothing else:
NaN and infinities keep their meaning. The order is then fixed by the compiled code (the same
bits on every call on one machine, whatever the arrays' alignment)."""


def kernel_part(fn):  # noqa: ANN001, ANN201 - the function itself, marked
    """Mark ``fn`` as a part that compiled loops call by name (numba can call only compiled
    functions): :func:`compiled` compiles it first and gives the loop the compiled one. Called
    from plain Python it stays a plain function. Keeps numba's import lazy."""
    fn.kernel_part = True
    return fn


@functools.cache
def compiled(loop, fastmath: frozenset[str] = frozenset()):  # noqa: ANN001, ANN201 - a plain Python function in, numba's dispatcher out
    """``loop`` compiled by numba (once per process; numba's on-disk cache, see
    :func:`numba_cache_dir`, spares later processes the compile), without the GIL;
    ``fastmath``: the LLVM fast-math flags it may use (none by default), which the
    :func:`kernel_part` functions it calls share."""
    numba_cache_dir()
    import numba

    parts = {
        name: compiled(fn, fastmath)
        for name in loop.__code__.co_names
        if getattr(fn := loop.__globals__.get(name), "kernel_part", False)
    }
    if parts:  # the same code, its parts' names bound to their compiled functions
        loop = types.FunctionType(
            loop.__code__, {**loop.__globals__, **parts}, loop.__name__, loop.__defaults__,
            loop.__closure__,
        )  # fmt: skip
    return numba.njit(cache=True, nogil=True, fastmath=set(fastmath) or False)(loop)


def cache_library_kernels(*prefixes: str) -> int:
    """Turn numba's on-disk cache on for the jitted functions of the already imported modules
    whose names start with ``prefixes`` (umap-learn, pynndescent) that were declared without
    ``cache=True``; return how many. Such a function is compiled again in every new process,
    which is most of a small UMAP's time (tens of seconds per process on 2 cores); cached, a
    later process loads it from :func:`numba_cache_dir`. Call it after importing the library and
    before its first call. Functions numba cannot cache (no source file to key them) stay as
    they are; results are the same either way (the same machine code, loaded instead of built)."""
    import sys

    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    numba_cache_dir()
    count = 0
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(prefixes):
            continue
        for value in list(vars(module).values()):
            if not isinstance(value, Dispatcher) or id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value._cache, NullCache) and not value.overloads:
                try:
                    value.enable_caching()
                except RuntimeError:  # no locator for its source: it stays uncached
                    continue
                count += 1
    return count
