"""One job at a time per run folder: an exclusive lock file with owner and heartbeat.

``<run>/_lock`` is created exclusively (``O_EXCL`` locally, a non-overwriting create on Hadoop file
systems) and holds the owner's host, PID, job and a heartbeat time that a background thread renews
every :data:`HEARTBEAT_S` seconds. A second job on the same run folder fails at once with
:class:`RunFolderInUseError` naming the owner. A lock whose owner is gone - a dead PID on this host,
or a heartbeat older than :data:`STALE_S` (a killed job elsewhere) - is taken over, with a log line.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

from curation.errors import CurationError
from curation.storage import Storage, join

log = logging.getLogger(__name__)

LOCK = "_lock"
HEARTBEAT_S = 10.0
STALE_S = 120.0


class RunFolderInUseError(CurationError, RuntimeError):
    """Another job holds the run folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """Context manager holding ``<run>/_lock`` for one job (re-entrant within a process)."""

    _held: dict[str, int] = {}  # run URI -> nesting depth in this process
    _guard = threading.Lock()

    def __init__(self, storage: Storage, run: str, job: str = "") -> None:
        self.storage, self.run, self.job = storage, run, job
        self.path = join(run, LOCK)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._owner = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "job": job,
            "started": time.time(),
        }

    def _payload(self) -> str:
        return json.dumps(self._owner | {"heartbeat": time.time()})

    def _take(self) -> None:
        self.storage.mkdirs(self.run)
        for _ in range(3):
            if self.storage.create_exclusive(self.path, self._payload()):
                return
            holder = self._holder()
            if holder is None:  # vanished between the two calls: try again
                continue
            if not self._gone(holder):
                raise RunFolderInUseError(
                    f"run folder {self.run} is in use by PID {holder.get('pid')} on "
                    f"{holder.get('host')} (job {holder.get('job') or '?'}, heartbeat "
                    f"{time.time() - float(holder.get('heartbeat', 0)):.0f} s ago): wait for it to "
                    f"finish or use another run folder"
                )
            log.warning(
                "taking over the lock of %s from PID %s on %s (the job is gone)",
                self.run,
                holder.get("pid"),
                holder.get("host"),
            )
            self.storage.delete(self.path)
        raise RunFolderInUseError(
            f"could not take the lock {self.path}: another job keeps taking it"
        )

    def _holder(self) -> dict | None:
        try:
            return json.loads(self.storage.read_text(self.path))
        except (OSError, ValueError):
            return None if not self.storage.exists(self.path) else {}

    def _gone(self, holder: dict) -> bool:
        if not holder:  # unreadable (being written): give it the benefit of the doubt
            return False
        if holder.get("host") == socket.gethostname() and not _alive(int(holder.get("pid", -1))):
            return True
        return time.time() - float(holder.get("heartbeat", 0)) > STALE_S

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.storage.write_text(self.path, self._payload())
            except Exception:  # best effort: a missed beat only ages the lock
                log.debug("heartbeat of %s failed", self.path, exc_info=True)

    def __enter__(self) -> RunLock:
        with self._guard:
            depth = self._held.get(self.run, 0)
            if depth == 0:
                self._take()
                self._thread = threading.Thread(target=self._beat, daemon=True, name="run-lock")
                self._thread.start()
            self._held[self.run] = depth + 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._guard:
            depth = self._held[self.run] - 1
            self._held[self.run] = depth
            if depth:
                return
            del self._held[self.run]
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.storage.delete(self.path)
        except Exception:
            log.warning("could not remove the lock %s", self.path, exc_info=True)
