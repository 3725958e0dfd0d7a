"""Benchmark of Dataset-3's clustering and dedup (issue 4): UMAP + HDBSCAN + SemDedup, on CPU.

    .venv/bin/python bench/bench_hdbscan.py                      # 5k, 20k, 80k documents
    .venv/bin/python bench/bench_hdbscan.py --sizes 5000 --repeats 3

Vectors: every document of the shared corpus's small domains (``arxiv``, ``lemma``,
``algebraic-stack``, ~3.2k after the 150-character filter) embedded once with the demo model
(all-MiniLM-L6-v2, max_seq_length 128; cached under ``runs/bench/``). Larger sizes are made by
replication: each extra document is a copy of a real one with Gaussian noise added and the norm
restored (cosine ~0.95 to its source), so the extra documents are near-duplicates, as in a corpus
with many versions of the same text.

Per size, in one warm process (numba already compiled): UMAP to 2-D (``umap_s``), HDBSCAN with the
min_cluster_size search toward ``N / 100`` clusters (``hdbscan_s``, all search fits), and the
dedup step (centroid distances + the SemDedup core in every cluster, ``dedup_s``). Medians of
``--repeats`` (default 2), whose coordinates and labels must be identical (checked: a fixed seed
must give the same clusters in the same process and across processes). "other load": cores
other processes kept busy meanwhile (UMAP is single-threaded with a fixed seed, so a load near 1
on 2 cores barely slows it; above that, re-run).

**JIT** is measured apart, each in a fresh Python process fitting UMAP on 5,000 random points
(above 4,096 points umap-learn finds neighbours with pynndescent, whose code compiles too):
``cold`` with an empty numba cache folder (what the first run on a new machine pays), ``cached``
with the folder that run filled (what every later process pays), and the same fit again in the
same process (``warm``, the pure fit time) - JIT = first fit - warm fit.

Results: Markdown on stdout and ``runs/bench/results/bench-hdbscan.{json,md}``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine_load import machine_busy_s, own_cpu_s, shared_data_dir

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SMALL = ("arxiv", "lemma", "algebraic-stack")
MODEL = "builtin:all-MiniLM-L6-v2"
JIT_PROBE = """
import time, numpy as np
t0 = time.perf_counter()
from curation.config import HdbscanConfig
from curation.stages.cluster_hdbscan import reduce
x = np.random.default_rng(0).normal(size=(5000, 384)).astype(np.float32)
t1 = time.perf_counter(); reduce(x, HdbscanConfig()); t2 = time.perf_counter()
reduce(x, HdbscanConfig()); t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def base_vectors(cache: Path) -> np.ndarray:
    """Embeddings of the shared corpus's small-domain documents (>= 150 chars, distinct)."""
    if cache.is_file():
        return np.load(cache)
    from curation.config import load_config
    from curation.stages.embed import embed_texts

    texts, seen = [], set()
    for domain in SMALL:
        for path in sorted((shared_data_dir() / "corpus" / domain).glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    text = json.loads(line).get("text")
                    if isinstance(text, str) and len(text) >= 150 and text not in seen:
                        seen.add(text)
                        texts.append(text)
    cfg = load_config(
        "demo", [f"embed.model={MODEL}", "embed.prefix=", "embed.max_seq_length=128"]
    ).embed
    t0 = time.perf_counter()
    vectors = embed_texts(texts, cfg, "cpu")
    print(f"embedded {len(texts)} documents in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors.astype(np.float32))
    return np.asarray(vectors, np.float32)


def replicate(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors: the base ones, then noisy copies of random base vectors."""
    rng = np.random.default_rng(seed)
    if n <= len(base):
        return base[rng.choice(len(base), n, replace=False)]
    src = rng.integers(0, len(base), n - len(base))
    extra = base[src] + rng.normal(
        scale=0.33 / np.sqrt(base.shape[1]), size=(len(src), base.shape[1])
    )
    out = np.vstack([base, extra]).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def jit_times() -> dict[str, float]:
    """JIT seconds (first fit - warm fit) in fresh processes: empty cache, then filled cache."""
    env = dict(os.environ)
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        for name in ("cold", "cached"):
            done = subprocess.run([sys.executable, "-c", JIT_PROBE], env=env, cwd=REPO,
                                  capture_output=True, text=True, check=True)  # fmt: skip
            imports, first, warm = (float(x) for x in done.stdout.split()[-3:])
            out[f"{name}_first_fit_s"] = round(first, 2)
            out[f"{name}_jit_s"] = round(first - warm, 2)
            out["warm_fit_s"] = round(warm, 2)
    return out


def one(vectors: np.ndarray) -> dict[str, float]:
    from curation.config import HdbscanConfig
    from curation.stages import cluster_hdbscan as C

    n = len(vectors)
    cfg = HdbscanConfig(target_clusters=max(10, n // 100))
    busy0, own0 = machine_busy_s(), own_cpu_s()
    t0 = time.perf_counter()
    result = C.cluster(vectors, cfg)
    t1 = time.perf_counter()
    table = C.dedup([f"d{i:07d}" for i in range(n)], vectors, result.labels)
    t2 = time.perf_counter()
    m = np.asarray(table.column("M"))
    digest = hashlib.md5(result.coords.tobytes() + result.labels.tobytes()).hexdigest()
    return {
        "digest": digest,
        "umap_s": result.timings["umap_s"],
        "hdbscan_s": result.timings["hdbscan_s"],
        "search_fits": len(result.trace),
        "dedup_s": t2 - t1,
        "total_s": t2 - t0,
        "clusters": result.n_clusters,
        "noise": float((result.labels < 0).mean()),
        "largest_cluster": int(np.bincount(result.labels[result.labels >= 0]).max()),
        "removed_at_eps_0.1": float((m > 0.9).mean()),
        "others_cores": ((machine_busy_s() - busy0) - (own_cpu_s() - own0)) / (t2 - t0),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 80000])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import torch

    from curation.stages.cluster_hdbscan import numba_cache_dir

    numba_cache_dir()
    results = {"jit": jit_times(), "threads": torch.get_num_threads(), "sizes": {}}
    base = base_vectors(REPO / "runs" / "bench" / "hdbscan-base-vectors.npy")
    results["base_documents"] = len(base)
    one(replicate(base, 5000))  # warm: numba compiled in this process (both neighbour paths)
    for n in args.sizes:
        vectors = replicate(base, n)
        runs = [one(vectors) for _ in range(args.repeats)]
        digests = {r.pop("digest") for r in runs}
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        med["identical_repeats"] = len(digests) == 1
        results["sizes"][n] = med
        print(f"{n}: {json.dumps({k: round(v, 3) for k, v in med.items()})}", file=sys.stderr)
    md = render(results)
    print(md)
    out = REPO / "runs" / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench-hdbscan.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "bench-hdbscan.md").write_text(md + "\n")
    return 0


def render(res: dict) -> str:
    j = res["jit"]
    lines = [
        f"UMAP + HDBSCAN + SemDedup on CPU ({res['threads']} torch threads; base "
        f"{res['base_documents']} real documents, replicated with noise above that)",
        "",
        "| documents | UMAP s | HDBSCAN s (fits) | dedup s | total s | s per 1k docs | clusters "
        "| noise | largest | other load | repeats identical |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for n, r in res["sizes"].items():
        lines.append(
            f"| {n} | {r['umap_s']:.1f} | {r['hdbscan_s']:.2f} ({r['search_fits']:.0f}) | "
            f"{r['dedup_s']:.2f} | {r['total_s']:.1f} | {1000 * r['total_s'] / int(n):.2f} | "
            f"{r['clusters']:.0f} | {r['noise']:.1%} | {r['largest_cluster']:.0f} | "
            f"{r['others_cores']:.2f} | {'yes' if r['identical_repeats'] else 'NO'} |"
        )
    lines += [
        "",
        f"JIT (numba, UMAP on 5,000 points in a fresh process): {j['cold_jit_s']:.1f} s with an "
        f"empty cache, {j['cached_jit_s']:.1f} s with the cache filled; the fit itself "
        f"{j['warm_fit_s']:.2f} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
