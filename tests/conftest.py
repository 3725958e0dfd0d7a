"""Shared fixtures: the shared data folder, one local Spark session, one demo run, no network.

Every test that uses the demo run (:func:`demo_run`: the whole pipeline on a small demo corpus,
built once per session) is marked ``slow`` here, so ``pytest -m "not slow"`` (``make test-fast``)
is the fast loop; tests that change a run work on a copy of it, never on the fixture itself."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("CURATION_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``$CURATION_SHARED_DATA`` (default ../shared/data). Missing: skip, or fail under CI=true."""
    path = shared_data_dir()
    if not (path / "corpus").is_dir():
        msg = f"shared data not found at {path} (set CURATION_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


REQUIRE_GPU = "CURATION_REQUIRE_GPU"
"""Set to 1 (``make gpu-check`` does) to make tests marked ``gpu`` fail instead of skipping
when torch sees no CUDA device."""


def pytest_collection_modifyitems(config, items):  # noqa: ARG001 - pytest's hook signature
    """Mark every test that needs the demo run (directly or through a fixture) as slow. Tests
    marked ``gpu`` skip on a machine where torch sees no CUDA device (with the reason); under
    ``CURATION_REQUIRE_GPU=1`` they run, and fail there, instead."""
    for item in items:
        if "demo_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items or os.environ.get(REQUIRE_GPU) == "1" or _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (torch sees none)")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def _gpu_required(request) -> None:  # noqa: ANN001
    if request.node.get_closest_marker("gpu") and not _cuda_available():
        pytest.fail(f"{REQUIRE_GPU}=1 but torch sees no CUDA device")


_real_connect = socket.socket.connect


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0") and not str(host).startswith(
            "127."
        ):
            raise OSError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests must not reach the network: models and data ship with packages or the repo."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test session."""
    from curation.config import SparkConfig
    from curation.spark.session import get_spark

    session = get_spark(
        SparkConfig(master="local[2]", shuffle_partitions=4, app_name="curation-tests")
    )
    yield session
    session.stop()


DEMO_RUN_SETTINGS = [
    "embed.max_seq_length=64",
    "kmeans.target_cluster_size=40",
    "hdbscan.target_clusters=8",
]
"""The demo preset, lighter: short embeddings and small clusters for a small corpus."""


@pytest.fixture(scope="session")
def demo_run(spark, tmp_path_factory) -> Path:
    """A small demo corpus (scale 0.1) through Dataset-1, embeddings, Dataset-2 and Dataset-3,
    built once.

    Tests that write into a run (Dataset-3, tokens, reruns) copy it first, or only add stages
    that the others do not read."""
    from curation.config import load_config
    from curation.demo.corpus import generate
    from curation.pipeline import dataset1, embeddings, semdedup

    root = tmp_path_factory.mktemp("demo-run")
    generate(root / "input", scale=0.1)
    cfg = load_config("demo", DEMO_RUN_SETTINGS)
    dataset1.run(spark, str(root / "input"), str(root / "run"), cfg)
    embeddings.run(str(root / "run"), cfg)
    semdedup.run(str(root / "run"), cfg, "kmeans")
    semdedup.run(str(root / "run"), cfg, "hdbscan")
    return root / "run"
