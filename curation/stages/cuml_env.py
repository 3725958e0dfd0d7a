"""Whether cuML can run UMAP and HDBSCAN here, and running them.

cuML's wheels cannot share the main venv (they pin numba < 0.65 and, through cudf, pandas 3.0,
and cuml-cu12 a CUDA 12 toolkit next to torch's CUDA 13), so cuML lives in its own environment
(``make install-cuml`` -> ``.venv-cuml``) and runs in a worker process started with that
environment's Python (:mod:`curation.stages.cuml_worker`). When the main interpreter can import
cuML itself (an environment whose pins were aligned by hand), it is used in-process instead.

:func:`status` decides once per process and device, by a real import and a tiny UMAP + HDBSCAN
fit (never by "is the package there"), and logs the outcome: the backend used, or why not and
that UMAP and HDBSCAN run on CPU. Where the cuML Python is looked for, in order:
``$CURATION_CUML_PYTHON``; ``.venv-cuml/bin/python`` in the current folder; the same next to the
``curation`` package's folder.

``cuda:N`` is honoured: the worker is started with ``CUDA_VISIBLE_DEVICES`` naming only that GPU
(mapped through the parent's own ``CUDA_VISIBLE_DEVICES``); in-process fits run under
``cupy.cuda.Device(N)``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curation.stages import cuml_worker as W

log = logging.getLogger(__name__)

PYTHON_ENV = "CURATION_CUML_PYTHON"
VENV_NAME = ".venv-cuml"
PROBE_TIMEOUT_S = 600
"""First import of cuML and the JIT of its kernels take minutes on a cold machine."""


class CumlError(RuntimeError):
    """cuML failed on a real request after the probe had succeeded (out of memory, ...)."""


@dataclass(frozen=True)
class Status:
    """The outcome of the detection for one device."""

    available: bool
    where: str
    """``in-process``, the cuML Python's path, or empty."""
    reason: str
    """Why cuML is not used (empty when it is)."""
    versions: dict


_status: dict[str, Status] = {}
_workers: dict[str, _Worker] = {}
_lock = threading.Lock()


def cuml_python() -> Path | None:
    """The Python of cuML's own environment, if one is found (see the module docstring)."""
    if os.environ.get(PYTHON_ENV):
        return Path(os.environ[PYTHON_ENV])
    package_root = Path(__file__).resolve().parents[2]
    for base in (Path.cwd(), package_root):
        candidate = base / VENV_NAME / "bin" / "python"
        if candidate.exists():
            return candidate
    return None


def _gpu_of(device: str) -> int:
    from curation.device import cuda_index

    return cuda_index(device)


def visible_devices_for(device: str, parent_visible: str | None) -> str:
    """``CUDA_VISIBLE_DEVICES`` for a worker that must use ``device`` (``cuda:N``) of a parent
    whose own setting is ``parent_visible``: the entry at position N there, else ``N``."""
    index = _gpu_of(device)
    entries = [v.strip() for v in (parent_visible or "").split(",") if v.strip()]
    if entries:
        if index >= len(entries):
            raise ValueError(f"{device}: CUDA_VISIBLE_DEVICES={parent_visible} has no GPU {index}")
        return entries[index]
    return str(index)


class _Worker:
    """One worker process (cuML's Python) serving requests over pipes."""

    def __init__(self, python: Path, device: str) -> None:
        env = dict(os.environ)
        env["CUDA_VISIBLE_DEVICES"] = visible_devices_for(device, env.get("CUDA_VISIBLE_DEVICES"))
        root = str(Path(__file__).resolve().parents[2])  # the folder holding `curation`
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.python = python
        self.proc = subprocess.Popen(
            [str(python), "-m", "curation.stages.cuml_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.lock = threading.Lock()

    def call(self, op: str, params: dict, payload: Any = None) -> Any:
        with self.lock:
            try:
                if self.proc.poll() is not None:
                    raise EOFError("the worker is gone")
                W.send(self.proc.stdin, (op, params, payload))
                kind, value = W.receive(self.proc.stdout)
            except (EOFError, BrokenPipeError) as exc:
                code = self.proc.wait(timeout=30)
                raise CumlError(
                    f"the cuML worker ({self.python}) exited with {code} during {op} (its "
                    "messages are on stderr)"
                ) from exc
        if kind != "ok":
            raise CumlError(f"cuML {op} failed: {value}")
        return value

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        if self.proc.poll() is None:
            self.proc.kill()


@atexit.register
def _close_all() -> None:
    for worker in _workers.values():
        worker.close()
    _workers.clear()


def _in_process() -> bool:
    return importlib.util.find_spec("cuml") is not None


@contextlib.contextmanager
def _on(device: str):  # noqa: ANN202
    import cupy

    with cupy.cuda.Device(_gpu_of(device)):
        yield


def _detect(device: str) -> Status:
    reasons = []
    if _in_process():
        try:
            with _on(device):
                return Status(True, "in-process", "", W.probe())
        except Exception as exc:  # noqa: BLE001 - the reason is the result
            reasons.append(f"cuML in this environment fails: {type(exc).__name__}: {exc}")
    python = cuml_python()
    if python is None:
        reasons.append(
            f"no cuML environment (make install-cuml creates {VENV_NAME}; or set {PYTHON_ENV})"
        )
    elif not python.exists():
        reasons.append(f"{PYTHON_ENV}={python} does not exist")
    else:
        worker = _Worker(python, device)
        try:
            versions = worker.call("probe", {})
        except Exception as exc:  # noqa: BLE001
            worker.close()
            reasons.append(f"cuML at {python} fails: {exc}")
        else:
            _workers[device] = worker
            return Status(True, str(python), "", versions)
    return Status(False, "", "; ".join(reasons), {})


def status(device: str) -> Status:
    """Whether cuML runs on ``device`` (a resolved ``cuda``/``cuda:N``), decided once per
    process and device by a real import and a tiny fit; the outcome is logged once."""
    if not device.startswith("cuda"):
        return Status(False, "", f"device {device} is not a GPU", {})
    with _lock:
        if device not in _status:
            found = _detect(device)
            _status[device] = found
            if found.available:
                log.info("cuML %s (%s) on %s: UMAP and HDBSCAN run on the GPU",
                         found.versions.get("cuml"), found.where, device)  # fmt: skip
            else:
                log.warning("cuML not used on %s, UMAP and HDBSCAN run on CPU: %s",
                            device, found.reason)  # fmt: skip
        return _status[device]


def umap(x: np.ndarray, params: dict, device: str) -> np.ndarray:
    """cuML UMAP ``fit_transform`` of ``x`` on ``device`` (needs :func:`status` available)."""
    found = status(device)
    if found.where == "in-process":
        with _on(device):
            return W.run_umap(params, x)
    return W.unpack(_workers[device].call("umap", params, W.pack(x)))


def hdbscan(coords: np.ndarray, params: dict, device: str) -> np.ndarray:
    """cuML HDBSCAN ``fit_predict`` labels of ``coords`` on ``device``."""
    found = status(device)
    if found.where == "in-process":
        with _on(device):
            return W.run_hdbscan(params, coords)
    return W.unpack(_workers[device].call("hdbscan", params, W.pack(coords)))


def reset() -> None:
    """Forget the detections and stop the workers (tests; a changed environment)."""
    with _lock:
        _close_all()
        _status.clear()
