"""Benchmark of the SemDedup core (issue 3, performance parts b and c).

    .venv/bin/python bench/bench_semdedup.py                       # both parts, 3 repeats
    .venv/bin/python bench/bench_semdedup.py --parts b --sizes 2048 --dims 384 --tiles 1024
    .venv/bin/python bench/bench_semdedup.py --render runs/bench/results/bench-semdedup.json

**(b) per-cluster similarity step vs a plain matmul.** For one cluster of N unit vectors (D dims)
:func:`curation.stages.semdedup.max_similarity` (tiled, running max/argmax) is timed against
``torch.mm(X, X.T, out=buf)`` on the same device (output buffer allocated once, so the plain
rate is the pure GEMM rate). Both alternate within each repeat; medians. Rates:

* *useful* GFLOP/s of ours = ``2 * D * N(N-1)/2`` / time: the pairs ``i < j`` SemDedup needs;
* *multiplied* GFLOP/s of ours = ``2 * D * (products in the blocks actually multiplied)`` / time
  (the diagonal staircase multiplies a few pairs ``i >= j`` too);
* plain GFLOP/s = ``2 * D * N^2`` / time (the full square, what ``X @ X.T`` computes).

The issue's ratio is *useful ours / plain* (aim >= 0.7): the same useful work would take the plain
matmul half of its time, so a ratio of 1 means "as fast as half a GEMM".

**(c) total SemDedup time vs corpus size** at a fixed mean cluster size: synthetic unit vectors
with planted structure (topics = N / cluster_size centres plus noise; a quarter of the documents
are near copies of another document of the corpus, cos ~0.97), then the library's steps in
order: hash sample, k-means training, assignment, the per-cluster step over all clusters,
calibration of eps. Seconds and seconds per document per phase, medians.

Results: Markdown on stdout and ``runs/bench/results/bench-semdedup[-label].{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from machine_load import machine_busy_s, own_cpu_s, wait_idle  # noqa: E402

from curation.config import KMeansConfig  # noqa: E402
from curation.device import resolve_device  # noqa: E402
from curation.stages import cluster_kmeans as ck  # noqa: E402
from curation.stages import semdedup as sd  # noqa: E402

# --- machine load ----------------------------------------------------------------------------------


class Timer:
    """Wall time plus the load other processes put on the machine meanwhile (cores)."""

    def __enter__(self) -> Timer:
        self.b0, self.o0, self.t0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.t0
        others = machine_busy_s() - self.b0 - (own_cpu_s() - self.o0)
        self.others = max(0.0, others / self.s) if self.s > 0 else 0.0


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


# --- part b ----------------------------------------------------------------------------------------


def multiplied_products(n: int, tile: int) -> int:
    """Dot products in the blocks :func:`max_similarity` multiplies (mirrors its geometry)."""
    t = min(tile, n)
    step = max(1, math.ceil(t / sd.diagonal_strips(n, t)))
    total = 0
    for a in range(0, n, t):
        b = min(a + t, n)
        total += (b - a) * a  # full blocks left of the diagonal
        for p in range(a, b, step):
            q = min(p + step, b)
            total += (q - p) * (q - a)
    return total


def bench_similarity(
    sizes: list[int],
    dims: list[int],
    tiles: list[int],
    repeats: int,
    device: str,
    dtype: str,
    wait_s: float,
) -> list[dict[str, Any]]:
    import torch

    rows = []
    for d in dims:
        for n in sizes:
            gen = torch.Generator().manual_seed(n * 7 + d)
            x = torch.randn(n, d, generator=gen)
            x = torch.nn.functional.normalize(x, dim=1).to(device)
            out = torch.empty(n, n, device=device)
            torch.mm(x, x.T, out=out)  # warm-up
            for tile in tiles:
                sd.max_similarity(x, tile, device, dtype)  # warm-up (kernels, thread pools)
                others_before = wait_idle(wait_s, window_s=1.0, pause_s=2.0) if wait_s > 0 else None
                plain, ours, others = [], [], []
                for _ in range(repeats):
                    _sync(device)
                    with Timer() as tp:
                        torch.mm(x, x.T, out=out)
                        _sync(device)
                    with Timer() as to:
                        sd.max_similarity(x, tile, device, dtype)  # returns numpy: synchronised
                    plain.append(tp.s)
                    ours.append(to.s)
                    others.extend([tp.others, to.others])
                t_plain, t_ours = statistics.median(plain), statistics.median(ours)
                useful = 2.0 * d * n * (n - 1) / 2
                mult = 2.0 * d * multiplied_products(n, tile)
                row = {
                    "n": n,
                    "d": d,
                    "tile": tile,
                    "ours_s": t_ours,
                    "plain_s": t_plain,
                    "ours_runs": ours,
                    "plain_runs": plain,
                    "useful_gflops": useful / t_ours / 1e9,
                    "multiplied_gflops": mult / t_ours / 1e9,
                    "plain_gflops": 2.0 * d * n * n / t_plain / 1e9,
                    "multiplied_fraction": multiplied_products(n, tile) / (n * (n - 1) / 2),
                    "others_load": statistics.median(others),
                    "others_before": others_before,
                }
                row["ratio"] = row["useful_gflops"] / row["plain_gflops"]
                rows.append(row)
                print(
                    f"  b: N={n} D={d} tile={tile}: ours {t_ours:.3f}s "
                    f"({row['useful_gflops']:.0f} GF/s useful) plain {t_plain:.3f}s "
                    f"({row['plain_gflops']:.0f} GF/s) ratio {row['ratio']:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
            del out, x
    return rows


# --- part c ----------------------------------------------------------------------------------------


def synthetic_corpus(n: int, d: int, cluster_size: int, seed: int = 0):
    """ids, unit vectors float32 (n, d), and ``source``: for a planted near copy the row it
    copies, else -1."""
    rng = np.random.default_rng(seed)
    topics = max(1, n // cluster_size)
    centres = rng.standard_normal((topics, d), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.empty((n, d), np.float32)
    topic = rng.integers(0, topics, n)
    for s in range(0, n, 16384):  # chunks: no n x d float64 temporaries
        e = min(s + 16384, n)
        x[s:e] = centres[topic[s:e]] + 0.06 * rng.standard_normal((e - s, d), dtype=np.float32)
    copy = rng.random(n) < 0.25
    src = rng.integers(0, n, n)
    copy &= ~copy[src]  # copy an original, not a copy
    idx = np.flatnonzero(copy)
    x[idx] = x[src[idx]] + 0.012 * rng.standard_normal((len(idx), d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = [f"doc-{i:08d}" for i in rng.permutation(n)]
    return ids, x, np.where(copy, src, -1)


def one_run(
    ids: list[str],
    x: np.ndarray,
    source: np.ndarray,
    tile: int,
    device: str,
    cfg: KMeansConfig,
    target: float,
) -> dict[str, Any]:
    """The library's SemDedup steps once over one corpus, timed per phase."""
    n = len(ids)
    phases: dict[str, float] = {}
    others = 0.0
    k = ck.n_clusters_for(n, cfg)
    with Timer() as t:
        sample = ck.training_sample(ids, cfg.sample_size)
        sample_ids = [i for i, s in zip(ids, sample, strict=True) if s]
    phases["sample"], others = t.s, others + t.others * t.s
    with Timer() as t:
        cents = ck.train_kmeans(x[sample], k, cfg, device, ids=sample_ids)
    phases["train"], others = t.s, others + t.others * t.s
    with Timer() as t:
        clusters, dist = ck.assign(x, cents, device)
    phases["assign"], others = t.s, others + t.others * t.s
    with Timer() as t:
        table = sd.semdedup_all(ids, clusters, dist, x, tile, device)
    phases["similarity"], others = t.s, others + t.others * t.s
    m = table.column("M").to_numpy()
    with Timer() as t:
        eps = sd.calibrate_eps(m, target)
    phases["calibrate"], others = t.s, others + t.others * t.s
    total = sum(phases.values())
    removed = sd.removed_mask(m, eps)
    pos = {i: p for p, i in enumerate(ids)}
    row_of = np.fromiter((pos[i] for i in table.column("id").to_pylist()), np.int64, count=n)
    removed_row = np.zeros(n, bool)
    removed_row[row_of[removed]] = True
    copies = np.flatnonzero(source >= 0)
    # a planted pair is caught when one of its two documents is removed (which one depends on
    # their distances to the centroid)
    caught = removed_row[copies] | removed_row[source[copies]]
    in_pair = np.zeros(n, bool)
    in_pair[copies] = True
    in_pair[source[copies]] = True
    sizes = np.bincount(clusters, minlength=k)
    return {
        "phases_s": phases,
        "total_s": total,
        "others_load": others / total if total else 0.0,
        "k": k,
        "trained_on": int(sample.sum()),
        "largest_cluster": int(sizes.max()),
        "sum_sq_cluster": int((sizes.astype(np.int64) ** 2).sum()),
        "eps": eps,
        "removed": float(removed.mean()),
        "planted_copies": int(len(copies)),
        "planted_caught": float(caught.mean()) if len(copies) else 0.0,
        "removed_in_pairs": float(in_pair[removed_row].mean()) if removed.any() else 0.0,
    }


def bench_total(
    docs: list[int],
    d: int,
    cluster_size: int,
    tile: int,
    repeats: int,
    device: str,
    cfg: KMeansConfig,
    target: float,
    wait_s: float,
) -> list[dict[str, Any]]:
    ids, x, source = synthetic_corpus(2000, d, cluster_size, seed=1)
    one_run(ids, x, source, tile, device, cfg, target)  # warm-up: imports, thread pools, kernels
    rows = []
    for n in docs:
        ids, x, source = synthetic_corpus(n, d, cluster_size)
        runs = []
        for r in range(repeats):
            others_before = wait_idle(wait_s, window_s=1.0, pause_s=2.0) if wait_s > 0 else None
            run = one_run(ids, x, source, tile, device, cfg, target)
            run["others_before"] = others_before
            runs.append(run)
            print(
                f"  c: N={n} run {r + 1}: {run['total_s']:.2f}s "
                + " ".join(f"{p}={s:.2f}" for p, s in run["phases_s"].items()),
                file=sys.stderr,
                flush=True,
            )
        med = {
            p: statistics.median(run["phases_s"][p] for run in runs) for p in runs[0]["phases_s"]
        }
        total = statistics.median(run["total_s"] for run in runs)
        rows.append(
            {
                "n": n,
                "d": d,
                "tile": tile,
                "phases_s": med,
                "total_s": total,
                "s_per_mdoc": total / n * 1e6,
                "runs": runs,
            }
        )
    return rows


# --- report ----------------------------------------------------------------------------------------


def render(result: dict[str, Any]) -> str:
    env = result["env"]
    out = [
        f"# SemDedup benchmark ({env['date']}, {env['device']}, torch {env['torch']}, "
        f"{env['cores']} cores, {env['threads']} torch threads)",
        "",
    ]
    if result.get("b"):
        out += [
            "## (b) per-cluster similarity step vs plain `torch.mm(X, X.T)`",
            "",
            f"Medians of {result['repeats']} alternating runs. *useful* = 2·D per pair i<j "
            "(N(N-1)/2 pairs); *multiplied* = 2·D per product in the blocks actually multiplied; "
            "plain = 2·D·N² for the full square. Ratio = useful / plain (aim >= 0.70).",
            "",
            "| N | D | tile | ours s | plain s | useful GF/s | multiplied GF/s | plain GF/s "
            "| ratio | others' load |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in result["b"]:
            out.append(
                f"| {r['n']:,} | {r['d']} | {r['tile']} | {r['ours_s']:.3f} | {r['plain_s']:.3f} "
                f"| {r['useful_gflops']:.0f} | {r['multiplied_gflops']:.0f} "
                f"| {r['plain_gflops']:.0f} | **{r['ratio']:.2f}** | {r['others_load']:.2f} |"
            )
        out.append("")
    if result.get("c"):
        c = result["c"]
        phases = list(c[0]["phases_s"])
        out += [
            "## (c) total SemDedup time vs documents (fixed mean cluster size)",
            "",
            f"Synthetic unit vectors, D={c[0]['d']}, mean cluster size "
            f"{result['cluster_size']}, tile {c[0]['tile']}, k-means {result['kmeans']}; "
            f"medians of {result['repeats']} runs.",
            "",
            "| docs | k | total s | µs/doc | "
            + " | ".join(f"{p} s" for p in phases)
            + " | eps | removed | planted pairs caught | others' load |",
            "|---|---|---|---|" + "---|" * len(phases) + "---|---|---|---|",
        ]
        for r in c:
            run = r["runs"][0]
            load = statistics.median(x["others_load"] for x in r["runs"])
            out.append(
                f"| {r['n']:,} | {run['k']} | {r['total_s']:.2f} | {r['s_per_mdoc']:.1f} | "
                + " | ".join(f"{r['phases_s'][p]:.2f}" for p in phases)
                + f" | {run['eps']:.4f} | {run['removed']:.1%} | {run['planted_caught']:.1%} "
                f"| {load:.2f} |"
            )
        out += ["", "Growth from the smallest size (time ratio / size ratio; 1.0 = linear):", ""]
        out.append("| docs | total | " + " | ".join(phases) + " |")
        out.append("|---|---|" + "---|" * len(phases))
        base = c[0]
        for r in c[1:]:
            f = r["n"] / base["n"]
            cells = [f"{r['total_s'] / base['total_s'] / f:.2f}"] + [
                f"{r['phases_s'][p] / base['phases_s'][p] / f:.2f}" if base["phases_s"][p] else "-"
                for p in phases
            ]
            out.append(f"| {r['n']:,} (x{f:g}) | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="b,c")
    ap.add_argument("--sizes", default="2048,8192,16384", help="(b) cluster sizes N")
    ap.add_argument("--dims", default="384,1024", help="(b) dimensions D")
    ap.add_argument("--tiles", default="1024,2048,4096", help="(b) tile sizes")
    ap.add_argument("--docs", default="50000,100000,200000", help="(c) corpus sizes")
    ap.add_argument("--dim", type=int, default=384, help="(c) dimension")
    ap.add_argument("--cluster-size", type=int, default=200, help="(c) mean cluster size")
    ap.add_argument("--tile", type=int, default=2048, help="(c) tile size")
    ap.add_argument("--iterations", type=int, default=KMeansConfig.iterations)
    ap.add_argument("--sample-size", type=int, default=KMeansConfig.sample_size)
    ap.add_argument("--target", type=float, default=0.30, help="(c) calibrated removal fraction")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=20.0,
        help="s to wait for an idle machine before each measurement",
    )
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default=str(REPO / "runs" / "bench" / "results"))
    ap.add_argument("--render", help="re-print a result JSON")
    args = ap.parse_args(argv)
    if args.render:
        print(render(json.loads(Path(args.render).read_text())))
        return 0

    import torch

    device = resolve_device(args.device)
    ints = lambda s: [int(v) for v in s.split(",") if v]  # noqa: E731
    parts = set(args.parts.split(","))
    kcfg = KMeansConfig(
        iterations=args.iterations,
        sample_size=args.sample_size,
        target_cluster_size=args.cluster_size,
    )
    result: dict[str, Any] = {
        "env": {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
            "torch": torch.__version__,
            "cores": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "loadavg_start": os.getloadavg(),
        },
        "repeats": args.repeats,
        "dtype": args.dtype,
        "cluster_size": args.cluster_size,
        "kmeans": f"{args.iterations} iterations, sample {args.sample_size:,}",
    }
    if "b" in parts:
        result["b"] = bench_similarity(
            ints(args.sizes),
            ints(args.dims),
            ints(args.tiles),
            args.repeats,
            device,
            args.dtype,
            args.wait_idle,
        )
    if "c" in parts:
        result["c"] = bench_total(
            ints(args.docs),
            args.dim,
            args.cluster_size,
            args.tile,
            args.repeats,
            device,
            kcfg,
            args.target,
            args.wait_idle,
        )
    result["env"]["loadavg_end"] = os.getloadavg()
    md = render(result)
    print(md)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "bench-semdedup" + (f"-{args.label}" if args.label else "")
    (out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / f"{name}.md").write_text(md + "\n")
    print(f"\nwritten: {out / name}.json, .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
