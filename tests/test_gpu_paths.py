"""GPU paths not covered elsewhere (marked gpu: skipped without a CUDA device, run by
``make gpu-check``): embeddings on CUDA against CPU fp32, ``cuda:N`` honoured by the embedding
model, and a real Spark cluster whose tasks each compute on the GPU Spark assigned them (GPUs
found by the shipped discovery script, i.e. the real nvidia-smi)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curation.config import EmbedConfig
from curation.stages import embed as stage
from tests.spark_gpu_job import run_gpu_spark_script

pytestmark = pytest.mark.gpu

TEXTS = [
    "SemDedup keeps the document farthest from its cluster centroid.",
    "Semantic deduplication keeps the member farthest from the centroid.",
    "Документы на русском языке тоже встраиваются моделью.",
    "def f(x):\n    return x * 2  # code is text too",
    "A much longer document. " * 60,
    "x",
]


def _cfg(precision: str) -> EmbedConfig:
    return EmbedConfig(model="builtin:all-MiniLM-L6-v2", prefix="", max_seq_length=256,
                       precision=precision)  # fmt: skip


@pytest.mark.parametrize("precision", ["fp32", "fp16", "bf16"])
def test_embeddings_on_cuda_match_cpu_fp32(precision: str) -> None:
    import torch

    last = f"cuda:{torch.cuda.device_count() - 1}"
    reference = stage.embed_texts(TEXTS, _cfg("fp32"), "cpu")
    got = stage.embed_texts(TEXTS, _cfg(precision), last)
    assert got.shape == reference.shape and got.dtype == np.float32
    assert np.isfinite(got).all()
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-3)
    cos = np.einsum("ij,ij->i", got.astype(np.float64), reference.astype(np.float64))
    assert cos.min() >= {"fp32": 0.99999, "fp16": 0.999, "bf16": 0.99}[precision], cos
    model = stage.load_model(_cfg(precision), last)
    assert next(model.parameters()).device == torch.device(last)  # cuda:N honoured


SPARK_SCRIPT = r"""
import json, sys
import torch
from pyspark.sql import SparkSession
from curation import device as D

n = torch.cuda.device_count()
spark = (SparkSession.builder.master(f"local-cluster[1,{n},2048]").appName("gpu-tasks")
         .config("spark.ui.enabled", "false")
         .config("spark.worker.resource.gpu.amount", str(n))
         .config("spark.worker.resource.gpu.discoveryScript", sys.argv[1])
         .config("spark.executor.resource.gpu.amount", str(n))
         .config("spark.task.resource.gpu.amount", "1")
         .getOrCreate())

def task(rows):
    import torch
    from curation.stages import semdedup as sd
    device = D.resolve_device("auto")
    x = torch.nn.functional.normalize(torch.randn(300, 64), dim=1).numpy()
    m, arg = sd.max_similarity(x, 0, device)
    y = torch.ones(1, device=device)
    yield {"assigned": D.spark_task_gpus(), "device": device, "tensor_on": y.device.index,
           "m_finite": bool((m[1:] <= 1).all())}

out = spark.sparkContext.parallelize(range(2 * n), 2 * n).mapPartitions(task).collect()
spark.stop()
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_spark_tasks_compute_on_their_assigned_gpu(tmp_path: Path) -> None:
    tasks = run_gpu_spark_script(SPARK_SCRIPT, tmp_path)
    for t in tasks:
        assert t["assigned"] and len(t["assigned"]) == 1
        assert t["device"] == f"cuda:{t['assigned'][0]}"
        assert t["tensor_on"] == int(t["assigned"][0]) and t["m_finite"]
