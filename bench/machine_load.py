"""What the benchmarks share: the machine's load (to tell quiet runs from disturbed ones) and
where the shared data lives.

``machine_busy_s() - own_cpu_s()`` over a timed section, divided by its wall time, is the number
of cores other processes kept busy meanwhile; the benchmarks report it next to every figure.
"""

from __future__ import annotations

import os
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
