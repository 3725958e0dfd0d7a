"""cuML detection (a real import and a tiny fit, once, the reason logged when not used), its worker
process and protocol, and Dataset-3's clustering falling back to CPU with the same result; on a
GPU with cuML (tests marked gpu), cuML finds the planted groups."""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter

import numpy as np
import pytest
import torch

from curation.config import HdbscanConfig
from curation.stages import cluster_hdbscan as C
from curation.stages import cuml_env
from curation.stages import cuml_worker as W


@pytest.fixture(autouse=True)
def _fresh_detection(monkeypatch):
    """Each test detects afresh, without a cuML environment found by accident."""
    monkeypatch.delenv(cuml_env.PYTHON_ENV, raising=False)
    cuml_env.reset()
    yield
    cuml_env.reset()


def test_protocol_round_trip() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as w, os.fdopen(read_fd, "rb") as r:
        x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
        W.send(w, ("umap", {"n_components": 2, "min_samples": None}, W.pack(x)))
        op, params, payload = W.receive(r)
        assert op == "umap" and params == {"n_components": 2, "min_samples": None}
        y = W.unpack(payload)
        assert y.dtype == np.float32 and np.array_equal(x, y) and y.flags.writeable
        w.close()
        with pytest.raises(EOFError):
            W.receive(r)


def test_visible_devices_for_the_worker() -> None:
    assert cuml_env.visible_devices_for("cuda:1", None) == "1"
    assert cuml_env.visible_devices_for("cuda:1", "4,6") == "6"
    with pytest.raises(ValueError, match="has no GPU 2"):
        cuml_env.visible_devices_for("cuda:2", "4,6")


def test_not_a_gpu() -> None:
    found = cuml_env.status("cpu")
    assert not found.available and "not a GPU" in found.reason


def test_no_cuml_environment_falls_back_with_the_reason(monkeypatch, tmp_path, caplog) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cuml_env, "cuml_python", lambda: None)
    monkeypatch.setattr(cuml_env, "_in_process", lambda: False)
    with caplog.at_level(logging.WARNING, logger="curation.stages.cuml_env"):
        assert C.backend_for("cuda:0") == C.CPU_BACKEND
        assert C.backend_for("cuda:0") == C.CPU_BACKEND  # decided once ...
    assert caplog.text.count("cuML not used on cuda:0") == 1  # ... and said once
    assert "make install-cuml" in caplog.text and "UMAP and HDBSCAN run on CPU" in caplog.text


def test_a_cuml_python_without_cuml_is_probed_for_real(monkeypatch, caplog) -> None:
    """This venv's Python as the "cuML environment": the worker starts, the probe's import fails
    there, the answer comes back over the protocol and becomes the logged reason."""
    monkeypatch.setenv(cuml_env.PYTHON_ENV, sys.executable)
    monkeypatch.setattr(cuml_env, "_in_process", lambda: False)
    with caplog.at_level(logging.WARNING, logger="curation.stages.cuml_env"):
        found = cuml_env.status("cuda:0")
    assert not found.available
    assert f"cuML at {sys.executable} fails" in found.reason
    assert "ModuleNotFoundError: No module named" in found.reason
    assert found.reason in caplog.text
    assert cuml_env._workers == {}  # the failed worker was stopped


def test_a_worker_that_dies_is_a_reason_not_a_hang(monkeypatch, tmp_path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv(cuml_env.PYTHON_ENV, str(fake))
    monkeypatch.setattr(cuml_env, "_in_process", lambda: False)
    found = cuml_env.status("cuda:0")
    assert not found.available and "exited with 3 during probe" in found.reason
    monkeypatch.setenv(cuml_env.PYTHON_ENV, str(tmp_path / "missing"))
    cuml_env.reset()
    assert "does not exist" in cuml_env.status("cuda:0").reason


def _planted(groups: int = 6, size: int = 60, dim: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(groups, dim))
    x = np.repeat(centers / np.linalg.norm(centers, axis=1, keepdims=True), size, axis=0)
    x = x + 0.12 * rng.normal(size=x.shape)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), np.repeat(
        np.arange(groups), size
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU fallback of a GPU device")
def test_gpu_device_without_cuml_clusters_on_cpu_with_the_same_result(monkeypatch) -> None:
    monkeypatch.setattr(cuml_env, "cuml_python", lambda: None)
    monkeypatch.setattr(cuml_env, "_in_process", lambda: False)
    x, _ = _planted()
    cfg = HdbscanConfig(min_cluster_size=20)
    on_cpu = C.cluster(x, cfg, "cpu")
    fallback = C.cluster(x, cfg, "cuda:0")
    assert fallback.backend == C.CPU_BACKEND
    assert np.array_equal(fallback.labels, on_cpu.labels)
    assert np.array_equal(fallback.coords, on_cpu.coords)


# --- on a GPU with cuML ----------------------------------------------------------------------------


def _adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


@pytest.mark.gpu
def test_cuml_finds_the_planted_groups() -> None:
    device = "cuda:0"
    if not cuml_env.status(device).available:
        pytest.skip(f"cuML not available: {cuml_env.status(device).reason}")
    x, truth = _planted()
    result = C.cluster(x, HdbscanConfig(min_cluster_size=20), device)
    assert result.backend == C.GPU_BACKEND
    assert result.coords.shape == (len(x), 2) and np.isfinite(result.coords).all()
    for g in range(truth.max() + 1):
        label, count = Counter(result.labels[truth == g].tolist()).most_common(1)[0]
        assert label >= 0 and count >= 0.9 * (truth == g).sum()
    assert _adjusted_rand(truth, result.labels) > 0.9
