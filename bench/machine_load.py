"""What the benchmarks share: the machine's load (to tell quiet runs from disturbed ones) and
where the shared data lives.

``machine_busy_s() - own_cpu_s()`` over a timed section, divided by its wall time, is the number
of cores other processes kept busy meanwhile; the benchmarks report it next to every figure.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def machine_busy_s() -> float:
    """CPU-seconds the whole machine has been busy since boot (all cores, from /proc/stat)."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return (sum(f[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU-seconds this process has used (user + system)."""
    t = os.times()
    return t.user + t.system


def wait_idle(
    max_wait_s: float, threshold: float = 0.25, window_s: float = 2.0, pause_s: float = 3.0
) -> float:
    """Wait (up to ``max_wait_s``) until other processes keep less than ``threshold`` of a core
    busy over ``window_s``, trying again every ``pause_s``; returns the load seen last (cores)."""
    deadline = time.monotonic() + max_wait_s
    while True:
        b0, o0 = machine_busy_s(), own_cpu_s()
        time.sleep(window_s)
        busy = (machine_busy_s() - b0 - (own_cpu_s() - o0)) / window_s
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        time.sleep(pause_s)


def shared_data_dir() -> Path:
    """``$CURATION_SHARED_DATA``, default ``../shared/data`` beside the repository."""
    return Path(os.environ.get("CURATION_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


PYTHON_WORKER_MARKS = (b"pyspark.daemon", b"pyspark/daemon", b"pyspark.worker",
                       b"curation.spark.pydaemon")  # fmt: skip
"""What the command line of a Spark Python worker (or its daemon) holds: pyspark's daemon, or
the one :func:`curation.spark.session.get_spark` names for local masters."""


def is_python_worker(cmd: bytes) -> bool:
    """Whether a process's command line is a Spark Python worker's or its daemon's."""
    return any(mark in cmd for mark in PYTHON_WORKER_MARKS)


class CpuSampler(threading.Thread):
    """CPU seconds and peak RSS, per kind of process, of a process tree (read from /proc every
    ``interval`` seconds)."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.cpu: dict[int, tuple[str, float]] = {}
        self.kinds: dict[int, str] = {}
        self.series: list[tuple[float, dict[str, float]]] = []
        self.rss_peak_mb: dict[str, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK")

    def _kind(self, pid: int, ppid: int) -> str:
        """The kind a process is counted under (subclasses tell JVMs from Python workers)."""
        return "root" if pid == self.root else "other"

    @staticmethod
    def cmdline(pid: int) -> bytes | None:
        """The process's command line, arguments separated by spaces; None once it is gone."""
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            return None

    @staticmethod
    def comm(pid: int) -> str:
        """The process's name (``java`` for a JVM even while its command line cannot be read);
        empty once it is gone."""
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return ""

    def scan(self) -> None:
        children: dict[int, list[int]] = {}
        stats: dict[int, tuple[int, float, float]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                raw = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            f = raw[raw.rindex(")") + 2 :].split()
            rss_mb = int(f[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            stats[int(name)] = (int(f[1]), (int(f[11]) + int(f[12])) / self.tick, rss_mb)
            children.setdefault(int(f[1]), []).append(int(name))
        todo, rss = [self.root], {}
        while todo:
            pid = todo.pop()
            if pid not in stats:
                continue
            ppid, cpu, mb = stats[pid]
            kind = self.kinds.setdefault(pid, self._kind(pid, ppid))
            self.cpu[pid] = (kind, cpu)
            rss[kind] = rss.get(kind, 0.0) + mb
            todo.extend(children.get(pid, []))
        for kind, mb in rss.items():
            self.rss_peak_mb[kind] = max(self.rss_peak_mb.get(kind, 0.0), mb)
        self.series.append((time.time(), self.totals()))

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind, cpu in self.cpu.values():
            out[kind] = out.get(kind, 0.0) + cpu
        return out

    def at(self, t: float | None) -> dict[str, float]:
        if t is None:
            return self.totals()
        best: dict[str, float] = {}
        for ts, tot in self.series:
            if ts > t:
                break
            best = tot
        return best

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan()
            self.stop.wait(self.interval)
