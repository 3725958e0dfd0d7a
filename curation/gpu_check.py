"""``make gpu-check``: every GPU path against its CPU reference, on one GPU, in at most 8 minutes.

    python -m curation.gpu_check --out runs/gpu-check/gpu-check.json       # on a GPU machine
    python -m curation.gpu_check --dry-run --out /tmp/gpu-check.json       # tiny sizes, any device

Sections, each timed and written to the JSON as soon as it ends (a run cut short keeps what it
measured), each with its checks (``ok``) and figures:

* ``environment``: torch (version, CUDA build, the GPU, capability, memory), driver, faiss (version,
  GPU build, GPUs), cuML (:func:`curation.stages.cuml_env.status`), the install stamp's facts;
* ``similarity``: SemDedup's tiled M/argmax of one 20k x 1024 cluster (planted near-copies and
  exact duplicates) on CUDA against CPU: max |dM| < 2e-5, every argmax difference a tie (both
  candidates' float64 cosines within 2e-5); CUDA timed at tiles 2048-16384, the fastest reported
  next to the default (``semdedup.CUDA_TILE``);
* ``semdedup_clusters``: :func:`~curation.stages.semdedup.semdedup_all` over ~1,000 clusters of
  ~200 documents plus a few large ones, CUDA (small clusters batched) against CPU, and CUDA with
  the batching off (one round trip per cluster) for the ratio;
* ``kmeans``: faiss spherical k-means (200k x 1024, k = 1,000) trained twice on the GPU
  (identical centroids), its index on the GPU the device names, GPU vs CPU assignment with the
  same centroids (agreement; differences only at ties);
* ``embed``: an e5-large-shaped model (BERT-large: 24 layers, 1024 wide, the uncased WordPiece
  vocabulary; random weights, built offline from the MiniLM package's tokenizer) embedding 20k
  synthetic documents in fp16 through the pipeline's :func:`~curation.stages.embed.embed_texts`:
  finite, unit norm, docs/s; against CPU fp32 on a sample (cosine >= 0.999);
* ``cuml``: UMAP + HDBSCAN on planted groups with cuML (ARI) when cuML runs here, next to the CPU
  backend on a subsample;
* ``pytest_gpu``: ``pytest -m gpu`` with ``CURATION_REQUIRE_GPU=1`` (a GPU test may not skip for
  want of a GPU).

``--dry-run`` runs the same code with tiny sizes on whatever device there is (CPU in CI: then the
"GPU" side is the CPU too, and pytest only collects the gpu tests), to keep this script working.
Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
M_TOLERANCE = 2e-5
"""|dM| allowed between CUDA and CPU (float32 sums in another order), and the width of a tie."""
MIN_COSINE = 0.999
"""Embeddings: the least cosine between a document's fp16 GPU vector and its fp32 CPU vector."""


@dataclass(frozen=True)
class Sizes:
    """How big each section's work is."""

    sim_n: int = 20_000
    sim_d: int = 1024
    tiles: tuple[int, ...] = (2048, 4096, 8192, 16384)
    clusters: int = 1000
    cluster_mean: int = 200
    large_clusters: tuple[int, ...] = (2000, 5000)
    clusters_d: int = 1024
    km_n: int = 200_000
    km_d: int = 1024
    km_k: int = 1000
    km_iterations: int = 25
    embed_docs: int = 20_000
    embed_sample: int = 32
    embed_layers: int = 24
    embed_hidden: int = 1024
    embed_heads: int = 16
    embed_intermediate: int = 4096
    umap_n: int = 20_000
    umap_d: int = 1024
    umap_groups: int = 20
    umap_cpu_n: int = 5000


FULL = Sizes()
DRY = Sizes(
    sim_n=700, sim_d=64, tiles=(128, 256), clusters=30, cluster_mean=20, large_clusters=(300,),
    clusters_d=64, km_n=3000, km_d=64, km_k=20, km_iterations=5, embed_docs=40, embed_sample=8,
    embed_layers=2, embed_hidden=64, embed_heads=4, embed_intermediate=128, umap_n=600, umap_d=32,
    umap_groups=4, umap_cpu_n=600,
)  # fmt: skip


class Report:
    """The JSON document, rewritten (atomically) after every section."""

    def __init__(self, path: Path, device: str, dry_run: bool, budget_s: float) -> None:
        self.path = path
        self.t0 = time.perf_counter()
        self.budget_s = budget_s
        self.doc: dict = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "dry_run": dry_run,
            "device": device,
            "budget_s": budget_s,
            "ok": True,
            "figures": {},
            "sections": {},
        }

    def left_s(self) -> float:
        return self.budget_s - (time.perf_counter() - self.t0)

    def run(self, name: str, fn: Callable[[], dict], min_s: float = 0.0) -> dict:
        """Run one section; record its result, time and any failure; write the file."""
        if self.left_s() < min_s:
            result = {"ok": False, "error": f"not run: {self.left_s():.0f} s of the budget left"}
        else:
            log.info("gpu-check: %s ...", name)
            t = time.perf_counter()
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - a failed section is a result
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                          "traceback": traceback.format_exc()[-4000:]}  # fmt: skip
            result["seconds"] = round(time.perf_counter() - t, 2)
            log.info("gpu-check: %s %s in %.1f s", name,
                     "ok" if result.get("ok") else "FAILED", result["seconds"])  # fmt: skip
        self.doc["sections"][name] = result
        self.doc["ok"] = self.doc["ok"] and bool(result.get("ok"))
        self.write()
        return result

    def figure(self, key: str, value: object) -> None:
        self.doc["figures"][key] = value

    def write(self) -> None:
        self.doc["elapsed_s"] = round(time.perf_counter() - self.t0, 2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.doc, indent=2, default=str) + "\n")
        tmp.replace(self.path)


# --- helpers ---------------------------------------------------------------------------------------


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def near_copies(n: int, d: int, seed: int) -> np.ndarray:
    """``n`` unit vectors: random ones, 20% noisy copies of earlier rows (cosine ~0.99) and 2%
    exact copies (ties), so that M has the structure of real duplicates."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    x = unit(x)
    copies = rng.choice(np.arange(1, n), size=n // 5, replace=False)
    x[copies] = unit(
        x[rng.integers(0, copies)] + 0.1 / np.sqrt(d) * rng.standard_normal((len(copies), d))
    )
    exact = rng.choice(np.arange(1, n), size=max(1, n // 50), replace=False)
    x[exact] = x[rng.integers(0, exact)]
    return x


def explain_argmax(
    x: np.ndarray, arg_a: np.ndarray, arg_b: np.ndarray, tol: float, rows: np.ndarray | None = None
) -> dict:
    """Result rows where two argmax answers differ, and whether each is a tie: the float64
    cosines of the row with both candidates are within ``tol`` (then either answer is right to
    float rounding). ``arg_*`` index rows of ``x`` (-1: none); result row ``j`` is ``x[rows[j]]``
    (``rows`` None: ``x[j]``)."""
    differ = np.flatnonzero(arg_a != arg_b)
    detail = []
    ties = 0
    for j in differ.tolist():
        v = x[j if rows is None else rows[j]].astype(np.float64)
        a, b = int(arg_a[j]), int(arg_b[j])
        sa = float(v @ x[a].astype(np.float64)) if a >= 0 else -1.0
        sb = float(v @ x[b].astype(np.float64)) if b >= 0 else -1.0
        tie = abs(sa - sb) <= tol
        ties += tie
        if not tie or len(detail) < 5:
            detail.append({"row": j, "a": a, "b": b, "cos_a": sa, "cos_b": sb, "tie": tie})
    return {"differ": int(len(differ)), "ties": int(ties),
            "unexplained": int(len(differ) - ties), "examples": detail[:20]}  # fmt: skip


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize(device)


def _nvidia_smi() -> dict:
    if shutil.which("nvidia-smi") is None:
        return {}
    query = subprocess.run(
        ["nvidia-smi", "--query-gpu=index,name,driver_version,compute_cap,memory.total",
         "--format=csv,noheader"], capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    banner = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=60)
    cuda = re.search(r"CUDA Version:\s*([0-9.]+)", banner.stdout or "")
    return {"gpus": [ln.strip() for ln in query.stdout.splitlines() if ln.strip()],
            "driver_cuda": cuda.group(1) if cuda else None}  # fmt: skip


# --- sections --------------------------------------------------------------------------------------


def environment(device: str) -> dict:
    import faiss
    import torch

    from curation.device import faiss_uses_gpu
    from curation.stages import cuml_env

    out: dict = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "cpu_threads": torch.get_num_threads(),
        "nvidia_smi": _nvidia_smi(),
        "faiss": faiss.__version__,
        "faiss_gpu_build": hasattr(faiss, "StandardGpuResources"),
        "faiss_gpus": faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0,
        "faiss_uses_gpu": faiss_uses_gpu(device),
    }
    checks = {}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(device)
        out["gpu"] = {"name": props.name, "capability": f"{props.major}.{props.minor}",
                      "memory_gib": round(props.total_memory / 2**30, 1),
                      "arch_list": torch.cuda.get_arch_list(),
                      "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}  # fmt: skip
        checks["faiss_on_gpu"] = out["faiss_uses_gpu"]
        checks["tf32_off"] = not torch.backends.cuda.matmul.allow_tf32
    cuml = cuml_env.status(device)
    out["cuml"] = {"available": cuml.available, "where": cuml.where, "reason": cuml.reason,
                   "versions": cuml.versions}  # fmt: skip
    stamp = Path(sys.prefix) / ".hardware.json"
    out["install_stamp"] = json.loads(stamp.read_text()) if stamp.exists() else None
    return {"ok": all(checks.values()), "checks": checks, **out}


def similarity(device: str, sizes: Sizes, report: Report) -> dict:
    from curation.stages import semdedup as sd

    x = near_copies(sizes.sim_n, sizes.sim_d, seed=1)
    n, d = x.shape
    t = time.perf_counter()
    m_cpu, a_cpu = sd.max_similarity(x, 0, "cpu")
    cpu_s = time.perf_counter() - t
    sd.max_similarity(x[:512], 0, device)  # warm-up: CUDA context, cuBLAS handles
    useful_gflop = 2.0 * d * n * (n - 1) / 2 / 1e9
    sweep = {}
    results = {}
    for tile in sizes.tiles:
        _sync(device)
        t = time.perf_counter()
        results[tile] = sd.max_similarity(x, tile, device)
        sweep[tile] = round(time.perf_counter() - t, 4)
    best = min(sweep, key=sweep.get)
    default_tile = sd.tile_for(0, device)
    m_dev, a_dev = results[best] if default_tile not in results else results[default_tile]
    dm = float(np.abs(m_dev.astype(np.float64) - m_cpu).max())
    ties = explain_argmax(x, a_dev, a_cpu, M_TOLERANCE)
    per_tile = {
        str(tile): {"s": s, "useful_gflop_s": round(useful_gflop / s, 1),
                    "max_abs_dM": float(np.abs(results[tile][0] - m_cpu).max()),
                    "argmax_unexplained": explain_argmax(x, results[tile][1], a_cpu,
                                                         M_TOLERANCE)["unexplained"]}
        for tile, s in sweep.items()
    }  # fmt: skip
    checks = {
        "max_abs_dM_below_2e-5": all(v["max_abs_dM"] < M_TOLERANCE for v in per_tile.values()),
        "argmax_differences_are_ties": all(v["argmax_unexplained"] == 0 for v in per_tile.values()),
    }
    report.figure("similarity_cluster", f"{n} x {d}")
    report.figure("similarity_s_at_default_tile", sweep.get(default_tile))
    report.figure("similarity_best_tile", best)
    report.figure("similarity_cpu_s", round(cpu_s, 3))
    return {"ok": all(checks.values()), "checks": checks, "n": n, "d": d, "cpu_s": round(cpu_s, 3),
            "cpu_useful_gflop_s": round(useful_gflop / cpu_s, 1), "tile_sweep": per_tile,
            "best_tile": best, "default_tile": default_tile, "max_abs_dM": dm,
            "argmax_vs_cpu": ties}  # fmt: skip


def semdedup_clusters(device: str, sizes: Sizes, report: Report) -> dict:
    import pyarrow as pa

    from curation import schema as S
    from curation.stages import semdedup as sd

    rng = np.random.default_rng(2)
    small = np.clip(rng.poisson(sizes.cluster_mean, sizes.clusters), 1, sd.SMALL_CLUSTER - 1)
    counts = np.concatenate([small, sizes.large_clusters]).astype(np.int64)
    n = int(counts.sum())
    x = near_copies(n, sizes.clusters_d, seed=3)
    labels = np.repeat(np.arange(len(counts)), counts)
    perm = rng.permutation(n)
    x, labels = x[perm], labels[perm]
    dist = rng.random(n).astype(np.float32)
    ids = [f"doc-{i:08d}" for i in range(n)]

    def timed(dev: str) -> tuple[pa.Table, float]:
        _sync(dev)
        t = time.perf_counter()
        table = sd.semdedup_all(ids, labels, dist, x, 0, dev)
        return table, time.perf_counter() - t

    ref, cpu_s = timed("cpu")
    sd.semdedup_all(ids[:300], labels[:300], dist[:300], x[:300], 0, device)  # warm-up
    got, dev_s = timed(device)
    batching = sd._batch_small_clusters
    sd._batch_small_clusters = lambda dev: False  # one cluster at a time, for the ratio
    try:
        _, unbatched_s = timed(device)
    finally:
        sd._batch_small_clusters = batching
    same_order = got.column(S.ID).equals(ref.column(S.ID))
    dm = float(np.abs(got.column(S.M).to_numpy() - ref.column(S.M).to_numpy()).max())
    index_of = {i: k for k, i in enumerate(ids)}
    row_of = np.asarray([index_of[i] for i in got.column(S.ID).to_pylist()])  # result -> x row

    def args(table: pa.Table) -> np.ndarray:
        return np.asarray([index_of[i] if i is not None else -1
                           for i in table.column(S.MAX_ID).to_pylist()])  # fmt: skip

    ties = explain_argmax(x, args(got), args(ref), M_TOLERANCE, rows=row_of)
    checks = {"same_rows_and_order": same_order, "max_abs_dM_below_2e-5": dm < M_TOLERANCE,
              "max_id_differences_are_ties": ties["unexplained"] == 0}  # fmt: skip
    report.figure("semdedup_clusters_s", round(dev_s, 3))
    report.figure("semdedup_clusters_unbatched_s", round(unbatched_s, 3))
    return {"ok": all(checks.values()), "checks": checks, "documents": n,
            "clusters": len(counts), "d": sizes.clusters_d, "cpu_s": round(cpu_s, 3),
            "device_s": round(dev_s, 3), "device_unbatched_s": round(unbatched_s, 3),
            "batched_speedup": round(unbatched_s / dev_s, 2), "max_abs_dM": dm,
            "max_id_vs_cpu": ties}  # fmt: skip


def kmeans(device: str, sizes: Sizes, report: Report) -> dict:
    from curation.config import KMeansConfig
    from curation.device import cuda_index, faiss_uses_gpu
    from curation.stages import cluster_kmeans as ck

    rng = np.random.default_rng(4)
    centres = unit(rng.standard_normal((sizes.km_k, sizes.km_d)))
    x = unit(centres[rng.integers(0, sizes.km_k, sizes.km_n)]
             + 0.5 / np.sqrt(sizes.km_d) * rng.standard_normal((sizes.km_n, sizes.km_d)))  # fmt: skip
    ids = [f"k{i:08d}" for i in range(sizes.km_n)]
    cfg = KMeansConfig(iterations=sizes.km_iterations, seed=7)
    times = []
    cents = []
    for _ in range(2):
        t = time.perf_counter()
        cents.append(ck.train_kmeans(x, sizes.km_k, cfg, device, ids=ids))
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    a_dev, d_dev = ck.assign(x, cents[0], device)
    dev_assign_s = time.perf_counter() - t
    t = time.perf_counter()
    a_cpu, d_cpu = ck.assign(x, cents[0], "cpu")
    cpu_assign_s = time.perf_counter() - t
    differ = np.flatnonzero(a_dev != a_cpu)
    cos = x[differ] @ cents[0].T if len(differ) else np.zeros((0, sizes.km_k), np.float32)
    gaps = np.abs(
        cos[np.arange(len(differ)), a_dev[differ]] - cos[np.arange(len(differ)), a_cpu[differ]]
    )
    checks = {
        "trained_twice_identical": bool(np.array_equal(cents[0], cents[1])),
        "assignment_differences_are_ties": bool((gaps <= 1e-5).all()),
        "distances_agree": bool(np.abs(d_dev - d_cpu).max() <= 1e-5),
    }
    on_gpu = faiss_uses_gpu(device)
    out = {"n": sizes.km_n, "d": sizes.km_d, "k": sizes.km_k, "iterations": sizes.km_iterations,
           "faiss_on_gpu": on_gpu, "train_s": [round(s, 3) for s in times],
           "assign_s": round(dev_assign_s, 3), "cpu_assign_s": round(cpu_assign_s, 3),
           "assignment_agreement": float(1 - len(differ) / sizes.km_n),
           "assignment_differ": int(len(differ)),
           "max_tie_gap": float(gaps.max()) if len(gaps) else 0.0}  # fmt: skip
    if on_gpu:
        index = ck.flat_ip_index(sizes.km_d, device)
        out["index_device"] = index.getDevice()
        checks["index_on_the_named_gpu"] = index.getDevice() == cuda_index(device)
    report.figure("kmeans_train_s", round(min(times), 3))
    report.figure("kmeans_assign_s", round(dev_assign_s, 3))
    return {"ok": all(checks.values()), "checks": checks, **out}


WORDS = (
    "data model corpus token train deduplicate cluster vector embedding language text document "
    "web page article science paper proof theorem code function python spark query result value "
    "город язык текст данные модель обучение документ статья наука код значение время работа"
).split()


def synthetic_documents(n: int, seed: int) -> list[str]:
    """``n`` documents of 20-700 words (about half longer than 512 tokens), seeded."""
    rng = np.random.default_rng(seed)
    vocab = np.asarray(WORDS + [f"w{i}" for i in range(400)])
    lengths = rng.integers(20, 700, n)
    return [" ".join(rng.choice(vocab, k).tolist()) + "." for k in lengths]


def build_e5_shaped_model(folder: Path, sizes: Sizes, seed: int = 0) -> Path:
    """A sentence-transformers model of e5-large's shape (BERT, mean pooling, normalisation,
    the uncased WordPiece vocabulary e5-large-v2 uses, 512 positions) with random weights,
    built offline: the tokenizer files come from the all-MiniLM-L6-v2 package."""
    import torch
    from transformers import BertConfig, BertModel

    from curation.stages.embed import BUILTIN_MODELS

    source = Path(BUILTIN_MODELS["all-MiniLM-L6-v2"]())
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "modules.json"):  # fmt: skip
        shutil.copy(source / name, folder / name)
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": sizes.embed_hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False}))  # fmt: skip
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 512, "do_lower_case": False})
    )
    config = BertConfig(vocab_size=30522, hidden_size=sizes.embed_hidden,
                        num_hidden_layers=sizes.embed_layers,
                        num_attention_heads=sizes.embed_heads,
                        intermediate_size=sizes.embed_intermediate, max_position_embeddings=512,
                        type_vocab_size=2)  # fmt: skip
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)  # with BERT's pooler, as e5-large-v2's checkpoint
    return folder


def embed(device: str, sizes: Sizes, report: Report, work: Path) -> dict:
    from curation.config import EmbedConfig
    from curation.stages import embed as stage_embed

    t = time.perf_counter()
    folder = build_e5_shaped_model(work / "e5-large-shaped", sizes)
    build_s = time.perf_counter() - t
    cuda = device.startswith("cuda")
    cfg = EmbedConfig(model=str(folder), prefix="passage: ", max_seq_length=512,
                      precision="fp16" if cuda else "fp32")  # fmt: skip
    docs = synthetic_documents(sizes.embed_docs, seed=5)
    stage_embed.embed_texts(docs[:64], cfg, device)  # load + warm-up
    _sync(device)
    t = time.perf_counter()
    vectors = stage_embed.embed_texts(docs, cfg, device)
    _sync(device)
    seconds = time.perf_counter() - t
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
    sample = np.random.default_rng(6).choice(len(docs), sizes.embed_sample, replace=False)
    cpu_cfg = replace(cfg, precision="fp32")
    t = time.perf_counter()
    reference = stage_embed.embed_texts([docs[i] for i in sample], cpu_cfg, "cpu")
    cpu_s = time.perf_counter() - t
    cos = np.einsum("ij,ij->i", vectors[sample].astype(np.float64), reference.astype(np.float64))
    off_diagonal = vectors[sample] @ vectors[sample].T
    checks = {
        "finite": bool(np.isfinite(vectors).all()),
        "unit_norm": bool(np.abs(norms - 1).max() < 1e-3),
        f"cosine_vs_cpu_fp32_at_least_{MIN_COSINE}": bool(cos.min() >= MIN_COSINE),
    }
    docs_per_s = len(docs) / seconds
    report.figure(f"embed_docs_per_s_{cfg.precision}", round(docs_per_s, 1))
    return {"ok": all(checks.values()), "checks": checks, "documents": len(docs),
            "mean_chars": round(float(np.mean([len(d) for d in docs])), 1),
            "model": {"layers": sizes.embed_layers, "hidden": sizes.embed_hidden,
                      "heads": sizes.embed_heads, "max_seq_length": 512, "weights": "random"},
            "precision": cfg.precision, "batch_size": cfg.gpu_batch_size if cuda else cfg.batch_size,
            "build_s": round(build_s, 2), "embed_s": round(seconds, 2),
            "docs_per_s": round(docs_per_s, 1), "cpu_fp32_sample": len(sample),
            "cpu_fp32_docs_per_s": round(len(sample) / cpu_s, 2),
            "cosine_vs_cpu": {"min": float(cos.min()), "mean": float(cos.mean())},
            "max_norm_error": float(np.abs(norms - 1).max()),
            "sample_pair_cosine_mean": float(off_diagonal[np.triu_indices(len(sample), 1)].mean())}  # fmt: skip


def cuml(device: str, sizes: Sizes, report: Report) -> dict:
    from sklearn.metrics import adjusted_rand_score

    from curation.config import HdbscanConfig
    from curation.stages import cluster_hdbscan as C
    from curation.stages import cuml_env

    rng = np.random.default_rng(8)
    centres = unit(rng.standard_normal((sizes.umap_groups, sizes.umap_d)))
    truth = rng.integers(0, sizes.umap_groups, sizes.umap_n)
    x = unit(centres[truth] + 0.6 / np.sqrt(sizes.umap_d)
             * rng.standard_normal((sizes.umap_n, sizes.umap_d)))  # fmt: skip
    cfg = HdbscanConfig(min_cluster_size=max(10, sizes.umap_n // sizes.umap_groups // 4))
    out: dict = {"n": sizes.umap_n, "d": sizes.umap_d, "groups": sizes.umap_groups,
                 "min_cluster_size": cfg.min_cluster_size}  # fmt: skip
    checks = {}
    sub = slice(0, sizes.umap_cpu_n)
    cpu_cfg = replace(cfg, min_cluster_size=max(10, sizes.umap_cpu_n // sizes.umap_groups // 4))
    t = time.perf_counter()
    on_cpu = C.cluster(x[sub], cpu_cfg, "cpu")
    out["cpu"] = {"n": sizes.umap_cpu_n, "seconds": round(time.perf_counter() - t, 2),
                  "ari": float(adjusted_rand_score(truth[sub], on_cpu.labels)),
                  "clusters": on_cpu.n_clusters, "timings": on_cpu.timings}  # fmt: skip
    checks["cpu_ari_above_0.9"] = out["cpu"]["ari"] > 0.9
    status = cuml_env.status(device) if device.startswith("cuda") else None
    if status is None or not status.available:
        out["cuml"] = {"skipped": status.reason if status else f"device {device}"}
    else:
        t = time.perf_counter()
        on_gpu = C.cluster(x, cfg, device)
        out["cuml"] = {"seconds": round(time.perf_counter() - t, 2), "backend": on_gpu.backend,
                       "ari": float(adjusted_rand_score(truth, on_gpu.labels)),
                       "clusters": on_gpu.n_clusters, "timings": on_gpu.timings,
                       "versions": status.versions}  # fmt: skip
        checks["cuml_backend_used"] = on_gpu.backend == C.GPU_BACKEND
        checks["cuml_ari_above_0.9"] = out["cuml"]["ari"] > 0.9
        report.figure("cuml_umap_hdbscan_s", out["cuml"]["seconds"])
    return {"ok": all(checks.values()), "checks": checks, **out}


def pytest_gpu(dry_run: bool, timeout_s: float) -> dict:
    """``pytest -m gpu`` (on a GPU: the tests must run, not skip); dry run: collect only."""
    if not (REPO / "tests").is_dir():
        return {"ok": False, "error": f"no tests folder at {REPO}"}
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
           "-o", "addopts=-ra --strict-markers"]  # fmt: skip
    env = dict(os.environ)
    if dry_run:
        cmd.append("--collect-only")
    else:
        env["CURATION_REQUIRE_GPU"] = "1"
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env,
                          timeout=max(30.0, timeout_s))  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1:] or [""]
    counts = {k: int(v) for v, k in re.findall(
        r"(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed)", summary[0])}  # fmt: skip
    selected = re.search(r"(\d+)(?:/\d+)? tests? collected", done.stdout)
    collected = int(selected.group(1)) if selected else 0
    ok = done.returncode == 0 and (collected > 0 if dry_run else counts.get("passed", 0) > 0)
    return {"ok": ok, "returncode": done.returncode, "counts": counts, "collected": collected,
            "summary": summary[0], "stderr_tail": done.stderr.strip()[-2000:]}  # fmt: skip


# --- main ------------------------------------------------------------------------------------------


def run(out: Path, dry_run: bool, budget_s: float, device: str | None = None) -> dict:
    """Run every section; return the report document (also written to ``out``)."""
    import torch

    from curation.device import resolve_device

    sizes = DRY if dry_run else FULL
    if not dry_run and not torch.cuda.is_available():
        report = Report(out, "none", dry_run, budget_s)
        report.doc["ok"] = False
        report.doc["error"] = (
            "torch sees no CUDA device: make gpu-check needs a GPU (--dry-run runs it anywhere)"
        )
        report.write()
        return report.doc
    device = resolve_device(device or ("auto" if dry_run else "cuda"))
    report = Report(out, device, dry_run, budget_s)
    report.doc["sizes"] = asdict(sizes)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        report.run("environment", lambda: environment(device))
        report.run("similarity", lambda: similarity(device, sizes, report), min_s=30)
        report.run("semdedup_clusters", lambda: semdedup_clusters(device, sizes, report), min_s=30)
        report.run("kmeans", lambda: kmeans(device, sizes, report), min_s=30)
        report.run("embed", lambda: embed(device, sizes, report, Path(tmp)), min_s=60)
        report.run("cuml", lambda: cuml(device, sizes, report), min_s=60)
    report.run("pytest_gpu", lambda: pytest_gpu(dry_run, report.left_s()), min_s=30)
    return report.doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/gpu-check/gpu-check.json")
    parser.add_argument("--dry-run", action="store_true", help="tiny sizes on any device (CI)")
    parser.add_argument("--budget-s", type=float, default=480.0,
                        help="stop starting sections when this is spent (default 8 minutes)")  # fmt: skip
    parser.add_argument("--device", default=None, help="default: cuda (auto with --dry-run)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    doc = run(Path(args.out), args.dry_run, args.budget_s, args.device)
    log.info("gpu-check %s in %.0f s: %s", "passed" if doc["ok"] else "FAILED",
             doc.get("elapsed_s", 0), args.out)  # fmt: skip
    if doc.get("error"):
        log.error("gpu-check: %s", doc["error"])
    for name, section in doc["sections"].items():
        if not section.get("ok"):
            log.error("gpu-check: %s failed: %s", name,
                      section.get("error") or {k: v for k, v in section.get("checks", {}).items() if not v})  # fmt: skip
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
