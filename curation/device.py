"""The one place a compute device is chosen (torch, faiss and cuML follow it).

A device string is ``cpu``, ``cuda`` (the current CUDA device, normally GPU 0) or ``cuda:N``.
:func:`resolve_device` turns a configured value (``auto`` too) into one of them;
:func:`cuda_index` gives the ordinal that faiss and cuML need, so that ``cuda:N`` means the same
GPU to torch, faiss (k-means training and assignment) and cuML.

**Spark.** Inside a Spark task that Spark's GPU scheduling gave a GPU
(``spark.executor.resource.gpu.amount``, ``spark.task.resource.gpu.amount`` and a discovery
script), ``auto`` and ``cuda`` resolve to that GPU - ``TaskContext.get().resources()["gpu"]`` -
so that two tasks on one executor do not both land on GPU 0. The address Spark gives is a
physical GPU index; when the executor runs with ``CUDA_VISIBLE_DEVICES`` it is mapped to the
CUDA ordinal (its position in that list). An explicit ``cuda:N`` is obeyed as written (with a
warning when Spark assigned another GPU). A task on a multi-GPU executor without GPU scheduling
uses GPU 0, and says so once per process.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from curation.errors import CurationError

log = logging.getLogger(__name__)

_warned: set[str] = set()


class DeviceError(CurationError, RuntimeError):
    """A device was asked for that this machine does not have."""


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def spark_task_gpus() -> list[str] | None:
    """The GPU addresses Spark assigned to the running task, or None outside a Spark task, or
    when the task got none (GPU scheduling not configured). Never imports pyspark itself: a
    process that has not imported it is not a Spark Python worker."""
    if "pyspark" not in sys.modules:
        return None
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is None:
        return None
    gpu = ctx.resources().get("gpu")
    if gpu is None or not gpu.addresses:
        return None
    return [str(a) for a in gpu.addresses]


def ordinal_of_address(address: str, visible: str | None) -> int:
    """The CUDA ordinal of Spark's GPU ``address`` (a physical index) given the process's
    ``CUDA_VISIBLE_DEVICES`` (``visible``; None or empty: every GPU is visible, ordinal = index).
    """
    entries = [v.strip() for v in (visible or "").split(",") if v.strip()]
    if not entries:
        return int(address)
    if address in entries:
        return entries.index(address)
    raise DeviceError(
        f"Spark assigned GPU {address} to this task, but CUDA_VISIBLE_DEVICES={visible} hides it"
    )


def choose_cuda(requested: str, task_gpus: Sequence[str] | None, visible: str | None) -> str:
    """The CUDA device for ``requested`` (``auto``, ``cuda`` or ``cuda:N``) when CUDA is present.

    ``task_gpus``: what :func:`spark_task_gpus` returned. Pure: the GPU count is checked by the
    caller."""
    if task_gpus:
        assigned = ordinal_of_address(task_gpus[0], visible)
        if requested in ("auto", "cuda"):
            return f"cuda:{assigned}"
        if requested != f"cuda:{assigned}":
            _warn_once(
                f"explicit:{requested}:{assigned}",
                "device %s asked for, but Spark assigned this task GPU %s (cuda:%d): using %s",
                requested,
                task_gpus[0],
                assigned,
                requested,
            )
        return requested
    return "cuda" if requested == "auto" else requested


def resolve_device(requested: str = "auto") -> str:
    """``auto`` -> a CUDA device when torch sees a GPU, else ``cpu``; ``cuda[:N]`` must exist.

    In a Spark task with an assigned GPU, ``auto``/``cuda`` give ``cuda:<that GPU>`` (see the
    module docstring)."""
    import torch

    if requested not in ("auto", "cpu", "cuda") and not _is_cuda_n(requested):
        raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda or cuda:N")
    if requested == "cpu":
        return "cpu"
    if not torch.cuda.is_available():
        if requested == "auto":
            return "cpu"
        raise DeviceError(f"device {requested!r} asked for, but torch sees no CUDA GPU")
    task_gpus = spark_task_gpus()
    device = choose_cuda(requested, task_gpus, os.environ.get("CUDA_VISIBLE_DEVICES"))
    count = torch.cuda.device_count()
    index = cuda_index(device)
    if index >= count:
        raise DeviceError(f"device {device!r}: only {count} GPU(s)")
    if task_gpus is None and count > 1 and "pyspark" in sys.modules and _in_spark_task():
        _warn_once(
            "unscheduled",
            "Spark task on a machine with %d GPUs but no GPU assigned to it: using %s (set "
            "spark.executor.resource.gpu.amount and spark.task.resource.gpu.amount)",
            count,
            device,
        )
    return device


def _is_cuda_n(device: str) -> bool:
    head, _, tail = device.partition(":")
    return head == "cuda" and tail.isdigit()


def _in_spark_task() -> bool:
    from pyspark import TaskContext

    return TaskContext.get() is not None


def cuda_index(device: str) -> int:
    """The CUDA ordinal of a resolved CUDA device: ``cuda:N`` -> N; ``cuda`` -> torch's current
    device (0 unless the process changed it)."""
    if _is_cuda_n(device):
        return int(device.partition(":")[2])
    if device == "cuda":
        import torch

        return torch.cuda.current_device() if torch.cuda.is_available() else 0
    raise ValueError(f"not a CUDA device: {device!r}")


def faiss_uses_gpu(device: str) -> bool:
    """Whether faiss should run on the GPU for ``device`` (needs a GPU build of faiss)."""
    if not device.startswith("cuda"):
        return False
    import faiss

    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() == 0:
        _warn_once(
            "faiss-cpu",
            "device %s, but this faiss build has no GPU support: k-means runs on CPU "
            "(install the gpu extra: make install on a GPU machine)",
            device,
        )
        return False
    return True


@functools.cache
def cpu_has_native_bf16() -> bool | None:
    """Whether the CPU advertises bf16 instructions (avx512_bf16, amx_bf16); None if unknown.
    Where it has them, a bf16 matrix product runs up to ~4x as fast as a float32 one (the
    embedder's ``auto`` precision and SemDedup's cross-boundary screening follow this)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))
