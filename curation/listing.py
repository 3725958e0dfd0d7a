"""Every file under an input folder, once - whatever its name, wherever its links lead.

A local folder is walked by OS paths (names are bytes to the OS: a name that is not UTF-8 is
listed too, and the locale plays no part), in name order, following symbolic links to files and
folders with these rules:

* each real file is listed once: a second path to a file already listed (a link to it, a linked
  folder that holds it) is not followed, and said so;
* a link to a folder that is being walked (``wiki/loop -> ..``) is a loop: not followed, said so;
* a link whose target does not exist, or that loops on itself, is an input that cannot be read:
  :class:`~curation.stages.ingest.InputFileError` names it (never a silent skip);
* anything else that is not a regular file (a FIFO, a socket) is not followed, and said so.

Names and folders starting with ``.`` or ``_`` are listed (the plan ignores them) but never claim a
file. A remote folder (HDFS, S3) is listed by its :class:`~curation.storage.Storage` (no links
there). Every path is a URI ``file://<path>`` whose path keeps the OS name exactly (undecodable
bytes as Python's surrogate escapes); :func:`display_name` is the form written into ids, ledgers
and messages.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from curation.stages.ingest import InputFileError, display_name
from curation.storage import FileEntry, Storage, file_uri, local_path

log = logging.getLogger(__name__)


@dataclass
class Listing:
    files: list[FileEntry] = field(default_factory=list)
    not_followed: list[str] = field(default_factory=list)  # "<relative path>: <why>"


def list_input(storage: Storage, root: str) -> Listing:
    """The files under the input folder ``root`` (a URI), by the rules of the module docstring."""
    path = local_path(root)
    if path is None:
        return Listing(files=storage.list_files(root))
    return _walk(path)


def _claims(rel: str) -> bool:
    return not any(part.startswith((".", "_")) for part in rel.split("/"))


def _walk(root: Path) -> Listing:
    listing = Listing()
    owner: dict[tuple[int, int], str] = {}  # (device, inode) of a listed file -> its first path
    walking: set[tuple[int, int]] = set()  # the folders on the current path (loop detection)

    def note(rel: str, why: str) -> None:
        listing.not_followed.append(f"{display_name(rel)}: {why}")
        log.warning("input %s not followed: %s", display_name(rel), why)

    def visit(folder: Path, prefix: str) -> None:
        st = os.stat(folder)
        here = (st.st_dev, st.st_ino)
        walking.add(here)
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
        for entry in entries:
            rel = prefix + entry.name
            try:
                st = os.stat(entry.path)  # follows links
            except OSError as exc:
                if entry.is_symlink():
                    target = display_name(os.readlink(entry.path))
                    what = (
                        "is a symbolic link that loops on itself"
                        if exc.errno == errno.ELOOP
                        else f"is a broken symbolic link (to {target})"
                    )
                    raise InputFileError(display_name(rel), f"it {what}") from None
                raise InputFileError(display_name(rel), exc.strerror or str(exc)) from None
            key = (st.st_dev, st.st_ino)
            if stat.S_ISDIR(st.st_mode):
                if key in walking:
                    to = display_name(os.readlink(entry.path)) if entry.is_symlink() else "?"
                    note(rel, f"a link back to a folder being read (to {to}): a loop")
                    continue
                visit(Path(entry.path), rel + "/")
            elif stat.S_ISREG(st.st_mode):
                if _claims(rel):
                    if key in owner:
                        note(rel, f"the same file as {display_name(owner[key])}")
                        continue
                    owner[key] = rel
                listing.files.append(FileEntry(file_uri(root / rel), st.st_size))
            else:
                note(rel, "not a regular file")
        walking.discard(here)

    visit(root, "")
    return listing
