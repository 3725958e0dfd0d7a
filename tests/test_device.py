"""The one place a device is chosen: auto/cpu/cuda[:N], Spark's per-task GPU, faiss's GPU
resources; on a real Spark cluster (local-cluster mode, GPUs found by the shipped discovery
script from a stub nvidia-smi) every task sees the GPU Spark assigned to it."""

from __future__ import annotations

import gc
import logging
import weakref
from pathlib import Path

import pytest
import torch

from curation import device as D
from tests.spark_gpu_job import run_gpu_spark_script

HAS_CUDA = torch.cuda.is_available()


def test_choose_cuda_follows_spark_assignment(caplog) -> None:
    assert D.choose_cuda("auto", None, None) == "cuda"
    assert D.choose_cuda("cuda", None, None) == "cuda"
    assert D.choose_cuda("cuda:3", None, None) == "cuda:3"
    # Spark gave this task GPU 1: auto and cuda use it
    assert D.choose_cuda("auto", ["1"], None) == "cuda:1"
    assert D.choose_cuda("cuda", ["1"], "") == "cuda:1"
    # the executor only sees GPUs 2 and 3: physical 3 is CUDA ordinal 1
    assert D.choose_cuda("auto", ["3"], "2,3") == "cuda:1"
    with pytest.raises(D.DeviceError, match="Spark assigned GPU 5 .* hides it"):
        D.choose_cuda("auto", ["5"], "2,3")
    # an explicit cuda:N is obeyed, with a warning when Spark assigned another GPU
    D._warned.clear()
    with caplog.at_level(logging.WARNING, logger="curation.device"):
        assert D.choose_cuda("cuda:0", ["1"], None) == "cuda:0"
    assert "Spark assigned this task GPU 1" in caplog.text


def test_ordinal_of_address() -> None:
    assert D.ordinal_of_address("2", None) == 2
    assert D.ordinal_of_address("2", " 4, 2 ") == 1


@pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only behaviour")
def test_resolve_device_without_a_gpu() -> None:
    assert D.resolve_device("auto") == "cpu"
    assert D.resolve_device("cpu") == "cpu"
    with pytest.raises(D.DeviceError, match="torch sees no CUDA GPU"):
        D.resolve_device("cuda:0")
    for bad in ("gpu", "cuda:", "cuda:x", "tpu:0"):
        with pytest.raises(D.DeviceError, match="unknown device"):
            D.resolve_device(bad)
    assert D.spark_task_gpus() is None  # not in a Spark task (pyspark imported or not)


def test_cuda_index() -> None:
    assert D.cuda_index("cuda:2") == 2
    with pytest.raises(ValueError):
        D.cuda_index("cpu")


def test_faiss_index_keeps_resources_under_referenced_objects() -> None:
    """faiss allows no new attribute on an index except ``referenced_objects`` (the old code's
    ``index.referenced_resources = res`` raised AttributeError on the first GPU run); the helper
    keeps the object alive as long as the index."""
    import faiss

    from curation.stages.cluster_kmeans import flat_ip_index, keep_alive

    index = faiss.IndexFlatIP(8)
    with pytest.raises(AttributeError):
        index.referenced_resources = object()

    class Resources:  # stands for StandardGpuResources: only its lifetime matters here
        pass

    res = Resources()
    alive = weakref.ref(res)
    assert keep_alive(index, res) is index
    del res
    gc.collect()
    assert alive() is not None and index.referenced_objects == [alive()]
    keep_alive(index, "second")
    assert index.referenced_objects == [alive(), "second"]
    del index
    gc.collect()
    assert alive() is None
    cpu = flat_ip_index(8, "cpu")
    assert type(cpu).__name__ == "IndexFlatIP" and cpu.d == 8


# --- real Spark: GPU addresses per task ------------------------------------------------------------

SPARK_GPU_SCRIPT = r"""
import json, sys, time
from pyspark.sql import SparkSession
from curation import device as D

spark = (SparkSession.builder.master("local-cluster[1,2,1024]").appName("gpu-addressing")
         .config("spark.ui.enabled", "false")
         .config("spark.worker.resource.gpu.amount", "2")
         .config("spark.worker.resource.gpu.discoveryScript", sys.argv[1])
         .config("spark.executor.resource.gpu.amount", "2")
         .config("spark.task.resource.gpu.amount", "1")
         .getOrCreate())

def resolved():
    try:
        return D.resolve_device("auto")
    except D.DeviceError as exc:  # a stub GPU this machine does not have
        return str(exc)

def task(rows):
    start = time.time()
    gpus = D.spark_task_gpus()
    time.sleep(1.5)  # two tasks at a time: they overlap
    yield {"gpus": gpus, "auto": D.choose_cuda("auto", gpus, None),
           "cuda": D.choose_cuda("cuda", gpus, None),
           "resolved": resolved(), "start": start, "end": time.time()}

out = spark.sparkContext.parallelize(range(4), 4).mapPartitions(task).collect()
spark.stop()
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_spark_tasks_use_the_gpu_spark_assigned(tmp_path: Path) -> None:
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir()
    stub = stub_dir / "nvidia-smi"
    stub.write_text("#!/bin/sh\nprintf '0\\n1\\n'\n")
    stub.chmod(0o755)
    tasks = run_gpu_spark_script(SPARK_GPU_SCRIPT, tmp_path, stub_dir)
    assert len(tasks) == 4
    for t in tasks:
        assert t["gpus"] in (["0"], ["1"])
        assert t["auto"] == t["cuda"] == f"cuda:{t['gpus'][0]}"
        if not HAS_CUDA:
            assert t["resolved"] == "cpu"
        elif int(t["gpus"][0]) < torch.cuda.device_count():
            assert t["resolved"] == f"cuda:{t['gpus'][0]}"
        else:
            assert "only" in t["resolved"] and "GPU(s)" in t["resolved"]
    overlapping = [
        (a, b)
        for i, a in enumerate(tasks)
        for b in tasks[i + 1 :]
        if a["start"] < b["end"] and b["start"] < a["end"]
    ]
    assert overlapping, "no two tasks ran at the same time"
    for a, b in overlapping:  # tasks running together never share a GPU
        assert a["gpus"] != b["gpus"]
