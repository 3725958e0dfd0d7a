"""Failures to write a run (read-only folder, permissions, full disk, quota) as one line.

They surface in many shapes: a Python ``OSError`` (``[Errno 30] Read-only file system``), a
pyarrow ``OSError`` whose text holds the path, a Java trace from Spark (``Mkdirs failed to create
file:/...``, a ``No space left on device`` buried under ``Task failed while writing rows to
file:/...``), an HDFS ``AccessControlException``, or any of these inside a Spark worker's
traceback. :func:`disk_problem` recognises them and says, in one line, which folder could not be
written, why, and what to do. Whatever failed, finished stages are untouched (a stage is written
into ``_staging`` and moved into place only when complete), so a rerun after the fix resumes.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

_CAUSES = {
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
}
_TEXT_CAUSES = (
    ("No space left on device", errno.ENOSPC),
    ("Disk quota exceeded", errno.EDQUOT),
    ("Read-only file system", errno.EROFS),
    ("AccessControlException", errno.EACCES),
    ("Permission denied", errno.EACCES),
)
_PATH = re.compile(
    r"(?:Mkdirs failed to create|writing rows to|Could not create|inode=\"?|local file '|"
    r"\[Errno \d+\] [^:\n]*: ')\s*"
    r"((?:[a-z][a-z0-9+.-]*:)?/+[^\s'\"(),]+)"
)
_JAVA_FILE = re.compile(
    r"(/[^\s'\"(),]+) \((?:Permission denied|Read-only file system|No space left on device|"
    r"Disk quota exceeded)\)"
)
_MKDIRS = "Mkdirs failed to create"
_TEMPORARY = re.compile(r"/(?:_staging|_temporary|_work)(?:/|$)")
_SCRATCH = re.compile(r"/(?:blockmgr|spark)-[0-9a-f-]{8,}")


def _oserrors(exc: BaseException):
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _local(path: str) -> Path | None:
    if path.startswith("file:"):
        return Path("/" + path[len("file:") :].lstrip("/"))
    return Path(path) if path.startswith("/") else None


def _folder(path: str, remote: bool = False) -> str:
    """The folder to name: the run folder for a stage's staging or Spark's temporary files, else
    the nearest folder that exists (for a path on this machine)."""
    scratch = _SCRATCH.search(path)
    if scratch:
        return path[: scratch.start()] or "/"
    cut = _TEMPORARY.search(path)
    if cut:
        path = path[: cut.start()] or "/"
    local = None if remote else _local(path)
    if local is None:
        return path
    folder = local
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    if folder == folder.parent and local != folder:  # nothing of it here: another machine's
        return str(local)
    return str(folder)


def _diagnose(folder: str) -> int | None:
    """Why a local folder cannot be written (for Java's ``Mkdirs failed``, which does not say)."""
    local = _local(folder)
    if local is None:
        return None
    try:
        st = os.statvfs(local)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return errno.EROFS
    if not os.access(local, os.W_OK):
        return errno.EACCES
    if st.f_bavail == 0:
        return errno.ENOSPC
    return None


def disk_problem(exc: BaseException) -> str | None:
    """One line for a failure to write (read-only, permission, full disk, quota), else None."""
    code, path = None, None
    for e in _oserrors(exc):
        if isinstance(e, OSError) and e.errno in _CAUSES:
            code = e.errno
            path = e.filename if isinstance(e.filename, str) else None
            break
    text = str(exc)
    if code is None:
        code = next((c for marker, c in _TEXT_CAUSES if marker in text), None)
    remote = False
    if path is None:
        found = _PATH.search(text) or _JAVA_FILE.search(text)
        path = found.group(1).rstrip(".:;") if found else None
        remote = found is not None and found.group(0).startswith("inode=")  # an HDFS path
    if code is None and (path is None or _MKDIRS not in text):
        return None
    folder = _folder(path, remote) if path else None
    if code is None and folder is not None:
        code = _diagnose(folder)
    cause = (
        _CAUSES.get(code, "cannot create folders there") if code else "cannot create folders there"
    )
    if code in (errno.EACCES, errno.EPERM):  # a read or a write: say only where
        where = f"permission denied on {folder}" if folder else "permission denied"
        todo = "give this user access to it or use another run folder"
        return f"{where}; {todo}, then rerun (finished stages are kept)"
    where = f"cannot write to {folder}" if folder else "cannot write the run"
    if code in (errno.ENOSPC, errno.EDQUOT):
        if _SCRATCH.search(path or ""):
            todo = "free space there or point spark.local.dir (Spark's scratch folder) elsewhere"
        else:
            todo = "free some space or use a run folder on a larger disk"
    else:
        todo = "make it writable or use another run folder"
    return f"{where}: {cause}; {todo}, then rerun (finished stages are kept)"
