"""Expected failures: one base class, and one way to recognise them wherever they were raised.

An *expected* failure is one the user can act on - a bad config key, an unreadable input file, a
stage built from another config, a model that is not on this machine. Every such error derives
from :class:`CurationError`; its message is one line that says what happened and what to do, and
entry points print it as ``error: <message>`` (exit status 2) instead of a traceback.

Errors raised inside a Spark task reach the driver wrapped in Py4J/PySpark exceptions whose text
holds the Python worker's traceback. :func:`expected_message` finds the innermost
``<module>.<Class>: <message>`` line there whose class is a :class:`CurationError`, so a worker's
error reads exactly like the driver's. A run folder that cannot be written (read-only, no
permission, a full disk: :mod:`curation.disk_errors`) is expected too. Anything else (a bug, a
lost executor) is not expected and keeps its traceback.
"""

from __future__ import annotations

import importlib
import re

_RAISED = re.compile(r"^\s*((?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*): (.+?)\s*$", re.MULTILINE)


class CurationError(Exception):
    """A failure the user can act on; the message is one line (whitespace runs collapsed, so it
    survives logs and the trip from a Spark worker)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(" ".join(str(message).split()))


def _class_of(qualified: str) -> type | None:
    """The class ``pkg.module.Name`` names, if it can be imported (only ``curation.*``)."""
    if not qualified.startswith("curation."):
        return None
    module, _, name = qualified.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def expected_message(exc: BaseException) -> str | None:
    """The one-line message of an expected failure, or None for anything else.

    Looks at ``exc`` and its causes; for exceptions that crossed from a Spark worker (whose text
    holds the worker's traceback), at the last ``curation.<...>Error: message`` line naming a
    :class:`CurationError` subclass. A run folder that cannot be written (read-only, permission,
    full disk, quota - from Python, pyarrow or the JVM) is expected too: one line naming the
    folder and the cause (:func:`curation.disk_errors.disk_problem`).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CurationError):
            return str(current)
        current = current.__cause__ or current.__context__
    found = None
    for match in _RAISED.finditer(str(exc)):
        cls = _class_of(match.group(1))
        if isinstance(cls, type) and issubclass(cls, CurationError):
            found = match.group(2)
    if found:
        return " ".join(found.split())
    from curation.disk_errors import disk_problem

    return disk_problem(exc)
