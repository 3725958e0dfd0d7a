"""The one place a compute device is chosen (torch and faiss follow it)."""

from __future__ import annotations

import logging

from curation.errors import CurationError

log = logging.getLogger(__name__)


class DeviceError(CurationError, RuntimeError):
    """A device was asked for that this machine does not have."""


def resolve_device(requested: str = "auto") -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda[:N]`` must exist."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"device {requested!r} asked for, but torch sees no CUDA GPU")
        index = int(requested.split(":")[1]) if ":" in requested else 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {requested!r}: only {torch.cuda.device_count()} GPU(s)")
    elif requested != "cpu":
        raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda or cuda:N")
    return requested


def faiss_uses_gpu(device: str) -> bool:
    """Whether faiss should run on the GPU for ``device`` (needs the faiss-gpu build)."""
    if not device.startswith("cuda"):
        return False
    import faiss

    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() == 0:
        log.warning(
            "device %s, but this faiss build has no GPU support: k-means runs on CPU", device
        )
        return False
    return True
