"""The SemDedup core: tiled M/max_id equal the brute-force matrix, bounded workspace, calibration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch

from curation.stages import semdedup as sd

REPO = Path(__file__).resolve().parents[1]
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]  # gpu: skipped without CUDA


def unit_gaussian(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_sign_vectors(n: int, d: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors with entries +-1/sqrt(d) (d a power of 4): every dot product is a multiple of
    1/d and exact in float32 whatever the summation order, so ties are real ties."""
    s = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n, d))
    return (s / np.sqrt(d)).astype(np.float32)


def first_max_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Independent float64 loop: for each j the largest <x_i, x_j> over i < j, smallest i on ties."""
    x64 = x.astype(np.float64)
    m = np.full(len(x), -1.0)
    arg = np.full(len(x), -1, np.int64)
    for j in range(1, len(x)):
        sims = x64[:j] @ x64[j]
        arg[j] = int(np.argmax(sims))
        m[j] = sims[arg[j]]
    return m, arg


def assert_same(tiled, brute, atol: float = 1e-5) -> None:
    m, a = tiled
    mb, ab = brute
    assert m.dtype == np.float32 and a.dtype == np.int64
    assert m.shape == mb.shape and a.shape == ab.shape
    np.testing.assert_allclose(m, mb, rtol=0, atol=atol)
    mismatch = np.flatnonzero(a != ab)
    assert mismatch.size == 0, f"argmax differs at rows {mismatch[:10]}"


# --- tiled == brute force --------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("tile", [1, 7, 64, 333, 1000, 4096])
def test_tiled_equals_brute_force(device: str, tile: int) -> None:
    x = unit_gaussian(1000, 48, seed=1)
    brute = sd.brute_force_max_similarity(x, device)
    # the data has no near-ties: the reference's top two differ by far more than float error
    ref_m, ref_arg = first_max_reference(x)
    assert (brute[1] == ref_arg).all()
    np.testing.assert_allclose(brute[0], ref_m, atol=1e-5)
    tiled = sd.max_similarity(x, tile, device)
    assert_same(tiled, brute)
    assert tiled[0][0] == -1.0 and tiled[1][0] == -1
    assert (tiled[1][1:] < np.arange(1, 1000)).all()  # always an earlier document
    for eps in (0.0, 0.1, 0.3, 0.5, 1.0):  # hence the same removals at every eps
        assert (sd.removed_mask(tiled[0], eps) == sd.removed_mask(brute[0], eps)).all()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("tile", "min_rows"), [(7, 1), (64, 1), (64, 5), (333, 1), (1000, 40)])
def test_diagonal_staircase_geometry(device: str, tile: int, min_rows: int, monkeypatch) -> None:
    """The diagonal strips at small sizes too (by default strips have >= 256 rows)."""
    monkeypatch.setattr(sd, "MIN_STRIP_ROWS", min_rows)
    n = min(1000, 2 * tile + 3)  # a cluster of 2-3 tiles: the staircase has several strips
    assert sd.diagonal_strips(n, tile) > 1
    x = unit_gaussian(n, 24, seed=11)
    assert_same(sd.max_similarity(x, tile, device), sd.brute_force_max_similarity(x, device))
    ties = exact_sign_vectors(n, d=16, seed=12)
    ties[n // 2 :] = ties[: n - n // 2]  # the second half copies the first
    assert_same(
        sd.max_similarity(ties, tile, device), sd.brute_force_max_similarity(ties, device), atol=0
    )


def test_diagonal_strips() -> None:
    assert sd.diagonal_strips(2048, 2048) == 8
    assert sd.diagonal_strips(200, 2048) == 1  # small clusters: one block
    assert sd.diagonal_strips(16384, 1024) == 1
    assert sd.diagonal_strips(16384, 4096) == 4
    assert sd.diagonal_strips(0, 2048) == 1 and sd.diagonal_strips(1, 1) == 1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 17])
@pytest.mark.parametrize("tile", [1, 2, 5, 2048])
def test_small_clusters(device: str, n: int, tile: int) -> None:
    x = unit_gaussian(n, 16, seed=n)
    m, a = sd.max_similarity(x, tile, device)
    assert_same((m, a), sd.brute_force_max_similarity(x, device))
    if n >= 1:
        assert m[0] == -1.0 and a[0] == -1
    if n >= 2:
        assert a[1] == 0 and m[1] == pytest.approx(float(x[0] @ x[1]), abs=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("tile", [1, 7, 64, 333, 1000, 4096])
def test_exact_duplicates_and_ties_go_to_the_smallest_index(device: str, tile: int) -> None:
    base = exact_sign_vectors(400, d=64, seed=2)
    rng = np.random.default_rng(3)
    x = np.concatenate([base, base[:150], base[100:160], base[:20]])  # copies, some threefold
    x = x[rng.permutation(len(x))]
    ref_m, ref_arg = first_max_reference(x)
    tiled = sd.max_similarity(x, tile, device)
    brute = sd.brute_force_max_similarity(x, device)
    assert_same(tiled, brute, atol=0)
    assert (tiled[0].astype(np.float64) == np.clip(ref_m, -1, 1)).all()  # exact arithmetic
    assert (tiled[1] == ref_arg).all()
    # every later copy of a vector points at its first occurrence with M == 1
    first_of: dict[bytes, int] = {}
    copies = 0
    for j, row in enumerate(x):
        key = row.tobytes()
        if key in first_of:
            copies += 1
            assert tiled[0][j] == 1.0 and tiled[1][j] == first_of[key]
        else:
            first_of[key] = j
    assert copies == 230
    # ties below 1 are frequent here (dot products are multiples of 1/64): check a few
    tied = 0
    for j in range(1, len(x)):
        sims = x[:j].astype(np.float64) @ x[j]
        if (sims == sims.max()).sum() > 1:
            tied += 1
            assert tiled[1][j] == np.flatnonzero(sims == sims.max())[0]
    assert tied > 50


@pytest.mark.parametrize("n", [1, 2, 9, 255, 256, 511])
def test_one_block_reading_equals_the_masked_reduction_bit_for_bit(n: int) -> None:
    """A cluster of one block (:func:`sd.one_block`) read by the compiled pass gives the tiled
    step's M and argmax bit for bit (the same product; a maximum is exact), on exact ties
    (sign vectors and copies) and on Gaussian rows; ``_cluster_core`` takes that path on CPU."""
    tile = sd.tile_for(0, "cpu")
    assert sd.one_block(n, tile) and not sd.one_block(512, tile) and not sd.one_block(n, n - 1)
    rng = np.random.default_rng(n)
    signs = exact_sign_vectors(n, d=64, seed=n)
    copies = signs[rng.integers(0, n, n)]  # many exact copies, threefold and more
    for x in (unit_gaussian(n, 48, seed=n), copies, -copies):
        t = torch.from_numpy(np.ascontiguousarray(x))
        want = sd.max_similarity(t, tile, "cpu")
        got = sd.one_block_max(t)
        assert got[0].dtype == np.float32 and got[1].dtype == np.int64
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert np.array_equal(np.signbit(got[0]), np.signbit(want[0]))  # -0.0 stays -0.0
        core = sd._cluster_core(t, 0, "cpu")
        assert np.array_equal(core[0], want[0]) and np.array_equal(core[1], want[1])
    m, arg = sd.one_block_max(torch.from_numpy(np.ascontiguousarray(copies)))
    if n > 2:
        assert (m == 1.0).sum() > 0 and (arg[m == 1.0] < np.flatnonzero(m == 1.0)).all()


@pytest.mark.parametrize("device", DEVICES)
def test_float16_input_and_torch_input(device: str) -> None:
    x = unit_gaussian(300, 32, seed=4)
    x16 = x.astype(np.float16)
    expect = sd.brute_force_max_similarity(x16.astype(np.float32), device)
    assert_same(sd.max_similarity(x16, 64, device), expect)
    assert_same(sd.max_similarity(torch.from_numpy(x16.astype(np.float32)), 64, device), expect)


@pytest.mark.gpu
def test_cuda_equals_cpu() -> None:
    x = unit_gaussian(3000, 384, seed=5)
    assert_same(sd.max_similarity(x, 1024, "cuda"), sd.max_similarity(x, 1024, "cpu"))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        sd.max_similarity(np.zeros((3, 2), np.float32), -1)
    with pytest.raises(ValueError):
        sd.max_similarity(np.zeros(3, np.float32), 4)
    with pytest.raises(TypeError):
        sd.max_similarity(np.zeros((3, 2), np.int64), 4)


# --- workspace -------------------------------------------------------------------------------------

WORKSPACE_SCRIPT = r"""
import json, resource, sys
import numpy as np
from curation.stages import semdedup as sd

n, d, tile, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fn = {"tiled": lambda x: sd.max_similarity(x, tile, "cpu"),
      "naive": lambda x: sd.brute_force_max_similarity(x, "cpu")}[mode]
fn(np.eye(8, d, dtype=np.float32))  # load BLAS kernels, start thread pools

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)

# the cluster's own N x D embeddings, filled in chunks so that nothing else is ever allocated
x = np.empty((n, d), np.float32)
rng = np.random.default_rng(0)
for s in range(0, n, 512):
    blk = rng.standard_normal((min(512, n - s), d), dtype=np.float32)
    x[s : s + len(blk)] = blk / np.linalg.norm(blk, axis=1, keepdims=True)
before = status("VmRSS")
try:  # reset the peak (VmHWM) to the current RSS
    open("/proc/self/clear_refs", "w").write("5")
    peak_key, reset = "VmHWM", True
except OSError:
    peak_key, reset = "VmHWM", False
peak_before = status(peak_key)
m, arg = fn(x)
peak = status(peak_key)
print(json.dumps({"n": n, "before": before, "peak_before": peak_before, "peak": peak,
                  "reset": reset, "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "embeddings": x.nbytes, "m0": float(m[0]), "mlast": float(m[-1])}))
"""


def _workspace(n: int, d: int, tile: int, mode: str) -> int:
    """Peak RSS during the call minus RSS before it (embeddings already in memory), in a fresh
    process so that nothing of another measurement is counted."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", WORKSPACE_SCRIPT, str(n), str(d), str(tile), mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    # the measurement is only valid when the pre-call peak is the pre-call RSS
    assert r["peak_before"] - r["before"] < 2 * 2**20, r
    assert r["m0"] == -1.0 and -1.0 <= r["mlast"] <= 1.0
    return r["peak"] - r["before"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_workspace_does_not_grow_with_the_cluster() -> None:
    d, tile = 384, 2048
    small, big = 4096, 16384  # embeddings 6 MB and 25 MB; tile block 16 MB
    tiled_small = _workspace(small, d, tile, "tiled")
    tiled_big = _workspace(big, d, tile, "tiled")
    # the tile block must be visible, else the test would measure nothing
    assert tiled_small > tile * tile * 4 * 0.9, tiled_small
    assert tiled_big <= 1.2 * tiled_small, (tiled_small, tiled_big)
    # the same measurement catches a full-matrix implementation: 64 MB -> 1 GB
    naive_small = _workspace(small, d, tile, "naive")
    naive_big = _workspace(big, d, tile, "naive")
    assert naive_big > 4 * naive_small, (naive_small, naive_big)
    assert naive_big > big * big * 4 * 0.9


@pytest.mark.gpu
def test_workspace_on_cuda() -> None:
    tile, d = 2048, 384
    used = []
    for n in (4096, 16384):
        x = torch.from_numpy(unit_gaussian(n, d, seed=6)).cuda()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        sd.max_similarity(x, tile, "cuda")
        used.append(torch.cuda.max_memory_allocated() - base)
        del x
        torch.cuda.empty_cache()
    assert used[1] <= 1.2 * used[0], used


# --- one cluster, all clusters ---------------------------------------------------------------------


def test_sort_order_farthest_first_ties_by_id() -> None:
    ids = ["d", "b", "a", "c", "e"]
    dist = np.array([0.2, 0.5, 0.2, 0.5, 0.1], np.float32)
    order = sd.sort_order(ids, dist)
    assert [ids[i] for i in order] == ["b", "c", "a", "d", "e"]


def _cluster_rows(n: int = 60, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = unit_gaussian(n, 16, seed)
    x[10] = x[3]  # an exact duplicate
    x[20] = x[3] + 0.01 * rng.standard_normal(16)  # a near duplicate
    ids = [f"doc-{i:03d}" for i in range(n)]
    centroid = x.mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    dist = (1.0 - (x / np.linalg.norm(x, axis=1, keepdims=True)) @ centroid).astype(np.float32)
    return ids, dist, x


def test_semdedup_cluster_table() -> None:
    ids, dist, x = _cluster_rows()
    t = sd.semdedup_cluster(pa.array(ids), 5, dist, x, tile_size=7, device="cpu")
    assert t.schema == sd.RESULT_SCHEMA
    rows = t.to_pylist()
    order = np.lexsort((np.array(ids), -dist.astype(np.float64)))
    assert [r["id"] for r in rows] == [ids[i] for i in order]
    assert [r["rank"] for r in rows] == list(range(len(ids)))
    assert all(r["cluster"] == 5 for r in rows)
    assert rows[0]["M"] == -1.0 and rows[0]["max_id"] is None
    assert all(r["max_id"] is not None for r in rows[1:])
    d = [r["distance"] for r in rows]
    assert d == sorted(d, reverse=True)
    # M and max_id are the brute-force values of the sorted, normalised vectors
    xs = x[order] / np.linalg.norm(x[order], axis=1, keepdims=True)
    m, arg = sd.brute_force_max_similarity(xs)
    np.testing.assert_allclose(t.column("M").to_numpy(), m, atol=1e-6)
    assert [r["max_id"] for r in rows[1:]] == [rows[i]["id"] for i in arg[1:]]
    # of the three copies of doc-003 the one farthest from the centroid is kept, the others
    # point back to a copy before them
    group = {"doc-003", "doc-010", "doc-020"}
    first = next(r for r in rows if r["id"] in group)
    for r in rows:
        if r["id"] in group and r is not first:
            assert r["M"] > 0.99 and r["max_id"] in group and r["rank"] > first["rank"]
    assert first["M"] < 0.99


def test_semdedup_cluster_independent_of_input_order_and_dtype() -> None:
    ids, dist, x = _cluster_rows()
    a = sd.semdedup_cluster(ids, 1, dist, x, 16, "cpu")
    perm = np.random.default_rng(0).permutation(len(ids))
    b = sd.semdedup_cluster([ids[i] for i in perm], 1, dist[perm], x[perm], 5, "cpu")
    assert a.column("id").equals(b.column("id"))
    assert a.column("max_id").equals(b.column("max_id"))
    np.testing.assert_allclose(a.column("M").to_numpy(), b.column("M").to_numpy(), atol=1e-6)
    # float16 storage (norms off by ~1e-3) is renormalised: the exact duplicate stays at M == 1
    c = sd.semdedup_cluster(ids, 1, dist, x.astype(np.float16), 16, "cpu").to_pylist()
    later = max((r for r in c if r["id"] in ("doc-003", "doc-010")), key=lambda r: r["rank"])
    assert later["M"] == pytest.approx(1.0, abs=1e-6)


def test_semdedup_cluster_of_one() -> None:
    t = sd.semdedup_cluster(["x"], 9, np.array([0.3], np.float32), np.ones((1, 4)), 2, "cpu")
    assert t.to_pylist() == [
        {
            "id": "x",
            "cluster": 9,
            "distance": pytest.approx(0.3),
            "rank": 0,
            "M": -1.0,
            "max_id": None,
            "cross": False,
        }  # fmt: skip
    ]


def test_semdedup_all_equals_per_cluster(monkeypatch) -> None:
    rng = np.random.default_rng(8)
    n = 700
    x = unit_gaussian(n, 24, seed=8)
    x[rng.integers(0, n, 50)] = x[rng.integers(0, n, 50)]  # duplicates across the table
    clusters = rng.integers(0, 12, n)
    clusters[:3] = 40  # a cluster of 3
    clusters[3] = 41  # a cluster of 1
    dist = rng.random(n).astype(np.float32)
    dist[100:120] = 0.5  # distance ties
    ids = [f"id{i:04d}" for i in rng.permutation(n)]
    seen: list[int] = []
    got = sd.semdedup_all(pa.chunked_array([ids[:300], ids[300:]]), clusters, dist, x, 37, "cpu",
                          progress=seen.append)  # fmt: skip
    parts = []
    for c in sorted(set(clusters.tolist())):
        rows = np.flatnonzero(clusters == c)
        parts.append(sd.semdedup_cluster([ids[i] for i in rows], c, dist[rows], x[rows], 37, "cpu"))
    expect = pa.concat_tables(parts)
    assert got.schema == expect.schema
    for col in ("id", "cluster", "distance", "rank", "max_id"):
        assert got.column(col).equals(expect.column(col)), col
    # small clusters run one per thread with one intra-op thread: MKL may round a product 1 ulp
    # differently than with 2 threads, so M agrees to float rounding (and max_id exactly)
    np.testing.assert_allclose(
        got.column("M").to_numpy(), expect.column("M").to_numpy(), rtol=0, atol=1e-6
    )
    assert sum(seen) == n and len(seen) == len(set(clusters.tolist()))
    assert got.num_rows == n and len(set(got.column("id").to_pylist())) == n
    # the same call twice: bit for bit the same (also with the pool for small clusters off)
    again = sd.semdedup_all(ids, clusters, dist, x, 37, "cpu")
    assert again.equals(got)
    monkeypatch.setattr(sd, "SMALL_CLUSTER", 0)
    serial = sd.semdedup_all(ids, clusters, dist, x, 37, "cpu")
    assert serial.equals(sd.semdedup_all(ids, clusters, dist, x, 37, "cpu"))
    for col in ("id", "cluster", "distance", "rank", "max_id"):
        assert serial.column(col).equals(got.column(col)), col


def test_tile_size_zero_is_the_device_default() -> None:
    assert sd.tile_for(0, "cpu") == sd.CPU_TILE == 2048
    assert sd.tile_for(0, "cuda") == sd.tile_for(0, "cuda:1") == sd.CUDA_TILE == 8192
    assert sd.tile_for(300, "cuda:0") == 300 and sd.tile_for(7, "cpu") == 7
    with pytest.raises(ValueError):
        sd.tile_for(-1, "cpu")


def test_batch_max_similarity_padded_clusters_with_ties() -> None:
    """Three clusters of different sizes padded into one (B, S, D) batch give each cluster's
    own first-maximum M/argmax; exact ties (duplicate rows, +-1/sqrt(d) vectors) go to the
    smallest i and padding never wins."""
    sizes = [5, 40, 17]
    xs = []
    for b, n in enumerate(sizes):
        x = exact_sign_vectors(n, 16, seed=b)
        x[n // 2] = x[1]  # an exact duplicate of an earlier row
        xs.append(x)
    padded = np.zeros((len(sizes), max(sizes), 16), np.float32)
    for b, x in enumerate(xs):
        padded[b, : len(x)] = x
    best, arg = sd.batch_max_similarity(torch.from_numpy(padded))
    assert best.dtype == torch.float32 and arg.dtype == torch.int64
    for b, x in enumerate(xs):
        m_ref, a_ref = first_max_reference(x)
        n = len(x)
        np.testing.assert_allclose(best[b, :n].numpy(), m_ref, rtol=0, atol=1e-6)
        assert arg[b, :n].tolist() == a_ref.tolist()
        assert best[b, n // 2].item() == pytest.approx(1.0) and arg[b, n // 2].item() == 1


@pytest.mark.parametrize("device", DEVICES)
def test_small_clusters_in_batches_equal_per_cluster(device: str, monkeypatch) -> None:
    """The CUDA strategy for small clusters (batches, one transfer each way per batch), run here
    on the given device, gives the per-cluster result; large clusters still go tile by tile."""
    rng = np.random.default_rng(11)
    sizes = [1, 2, 3, 50, 199, 200, 201, 7, 90, 120, 33, 600]  # 600: a "large" cluster here
    n = sum(sizes)
    x = unit_gaussian(n, 24, seed=11)
    x[rng.integers(0, n, 80)] = x[rng.integers(0, n, 80)]  # duplicates, also across clusters
    clusters = np.repeat(np.arange(len(sizes)) * 3, sizes)
    perm = rng.permutation(n)
    x, clusters = x[perm], clusters[perm]
    dist = rng.random(n).astype(np.float32)
    ids = [f"d{i:05d}" for i in range(n)]
    monkeypatch.setattr(sd, "_batch_small_clusters", lambda dev: True)
    monkeypatch.setattr(sd, "SMALL_CLUSTER", 512)
    monkeypatch.setattr(sd, "BATCH_ELEMENTS", 300_000)  # several batches
    seen: list[int] = []
    got = sd.semdedup_all(ids, clusters, dist, x, 64, device, progress=seen.append)
    parts = []
    for c in sorted(set(clusters.tolist())):
        rows = np.flatnonzero(clusters == c)
        parts.append(sd.semdedup_cluster([ids[i] for i in rows], c, dist[rows], x[rows], 64, "cpu"))
    expect = pa.concat_tables(parts)
    for col in ("id", "cluster", "distance", "rank", "max_id"):
        assert got.column(col).equals(expect.column(col)), col
    np.testing.assert_allclose(
        got.column("M").to_numpy(), expect.column("M").to_numpy(), rtol=0, atol=1e-6
    )
    # batched: fewer progress calls than clusters (1 per batch + 1 per single/large cluster)
    assert sum(seen) == n and 3 <= len(seen) < len(sizes) - 2


# --- eps -------------------------------------------------------------------------------------------


def _tied_m(n: int = 20_000, seed: int = 9) -> np.ndarray:
    """M with heavy ties: values on a 1/200 grid, many exact 1.0 (copies), 10% first-in-cluster."""
    rng = np.random.default_rng(seed)
    m = np.round(rng.beta(8, 2, n) * 200) / 200
    m[rng.random(n) < 0.08] = 1.0
    m[rng.random(n) < 0.10] = -1.0
    return m


@pytest.mark.parametrize("target", [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.85])
def test_calibrate_eps_hits_the_target(target: float) -> None:
    m = _tied_m()
    eps = sd.calibrate_eps(m, target)
    assert 0.0 <= eps <= 2.0
    got = sd.removed_mask(m, eps).mean()
    # the reachable fractions are the steps between distinct values of M
    levels = np.unique(m)
    reachable = np.array([(m > t).mean() for t in levels] + [1.0 * (m > 1).mean()])
    best = reachable[np.argmin(np.abs(reachable - target))]
    assert got == pytest.approx(best, abs=1e-12)
    if np.abs(reachable - target).min() <= 0.005:
        assert abs(got - target) <= 0.005, (target, got)
    assert not sd.removed_mask(m, eps)[m == -1.0].any()  # first-in-cluster never removed


def test_calibrate_eps_edge_cases() -> None:
    assert sd.calibrate_eps(np.array([]), 0.3) == 0.0
    m = np.array([-1.0, 1.0, 1.0, 1.0, 0.5])
    assert sd.removed_mask(m, sd.calibrate_eps(m, 0.0)).sum() == 0
    assert sd.removed_mask(m, sd.calibrate_eps(m, 0.6)).sum() == 3  # 3 ties at 1.0 = 60%
    assert sd.removed_mask(m, sd.calibrate_eps(m, 0.75)).sum() == 4  # 80% is the closest reachable
    assert sd.removed_mask(m, sd.calibrate_eps(m, 0.99)).sum() == 4  # -1 cannot go
    # a fraction exactly between two reachable ones: the smaller removal
    m2 = np.array([0.9, 0.8, 0.7, 0.6])
    assert sd.removed_mask(m2, sd.calibrate_eps(m2, 0.375)).sum() == 1
    # float32 neighbours are still separated
    a = np.float32(0.95)
    m3 = np.array([a, np.nextafter(a, np.float32(1))], dtype=np.float32).astype(np.float64)
    assert sd.removed_mask(m3, sd.calibrate_eps(m3, 0.5)).sum() == 1
    with pytest.raises(ValueError):
        sd.calibrate_eps(m, 1.5)


def test_removal_curve() -> None:
    m = _tied_m(5000)
    domains = np.where(np.arange(5000) % 3 == 0, "en", "ru").tolist()
    grid = [0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 2.0]
    curve = sd.removal_curve(m, pa.array(domains), grid)
    assert curve["eps"] == grid
    assert curve["overall"] == [float((m > 1 - e).mean()) for e in grid]
    dom = np.array(domains)
    for d in ("en", "ru"):
        assert curve["per_domain"][d] == [float((m[dom == d] > 1 - e).mean()) for e in grid]
        assert curve["documents"][d] == int((dom == d).sum())
    assert curve["overall"] == sorted(curve["overall"])
    assert curve["overall"][-1] == float((m > -1).mean())


def _window(m: np.ndarray, target: float) -> tuple[list[float], list[int], int]:
    """What a distributed calibration collects: the level where the documents at or above it
    first reach the target, its distinct neighbours, their counts and the count above them."""
    want = target * len(m)
    desc = np.sort(m)[::-1]
    v = desc[max(0, min(len(m), int(np.ceil(want))) - 1)] if want > 0 else desc[0]
    higher, lower = m[m > v], m[m < v]
    levels = ([higher.min()] if len(higher) else []) + [v] + ([lower.max()] if len(lower) else [])
    counts = [int((m == x).sum()) for x in levels]
    return levels, counts, int((m > levels[0]).sum())


@pytest.mark.parametrize("seed", range(6))
def test_calibration_from_a_window_of_levels_equals_the_whole(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = np.round(rng.uniform(-1, 1, n), int(rng.integers(1, 4)))  # many ties
    m[rng.random(n) < 0.2] = -1.0  # first documents of their clusters
    m[rng.random(n) < 0.05] = 1.0
    for target in [0.0, 0.01, 0.1, 0.3, 0.5, 0.77, 0.95, 1.0]:
        levels, counts, above = _window(m, target)
        eps, removed = sd.calibrate_eps_window(levels, counts, above, n, target)
        assert eps == sd.calibrate_eps(m, target), (seed, target)
        assert removed == int(sd.removed_mask(m, eps).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("dim", [5, 383, 512])
def test_row_norms_once_give_the_unit_rows_of_any_gather(dtype, dim: int) -> None:
    """Norms computed once for every row (:func:`row_norms`, in steps) give the same unit rows,
    bit for bit, as norms computed on each gathered subset: from a buffer starting 4 bytes off
    alignment, with a zero row (it stays zero)."""
    rng = np.random.default_rng(dim)
    n = sd.NORM_ROWS + 300  # more than one step
    raw = np.zeros(n * dim + 1, dtype)
    x = raw[1:].reshape(n, dim)  # misaligned by one element
    x[:] = rng.standard_normal((n, dim)).astype(dtype)
    x[17] = 0
    norms = sd.row_norms(x)
    assert norms.dtype == torch.float32 and norms.shape == (n,) and norms[17] == 1.0
    for size in (1, 40, n):
        rows = rng.permutation(n)[:size]
        plain = sd._normalised_rows(x, rows)
        once = sd._normalised_rows(x, rows, norms)
        assert torch.equal(plain, once)
    assert not sd._normalised_rows(x, np.array([17]), norms).any()


def _openmp_threads():  # noqa: ANN202
    """The calling thread's OpenMP ``omp_get_max_threads`` (torch's own libgomp)."""
    import ctypes
    import glob

    found = glob.glob(os.path.join(os.path.dirname(torch.__file__), "lib", "libgomp*"))
    assert found, "torch's OpenMP runtime (torch/lib/libgomp*) not found"
    return ctypes.CDLL(found[0]).omp_get_max_threads


def test_pool_threads_run_one_openmp_thread_each_and_are_reused() -> None:
    """:func:`cpu_pool`'s threads each have one OpenMP thread (the products' setting), which
    ``torch.set_num_threads(1)`` in the main thread does not give a new thread; the pool is
    made once per process and thread count; the main thread's setting is restored after a
    table's clusters ran on it."""
    threads = torch.get_num_threads()
    omp = _openmp_threads()
    torch.set_num_threads(1)
    try:
        assert sd.cpu_pool(2).submit(omp).result() == 1
        assert sd.cpu_pool(2) is sd.cpu_pool(2)
    finally:
        torch.set_num_threads(threads)
    # a pool thread started outside such a window: one OpenMP thread too
    torch.set_num_threads(3)
    try:
        assert sd.cpu_pool(5).submit(omp).result() == 1
    finally:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    sd.semdedup_all(
        [f"d{i}" for i in range(300)], rng.integers(0, 6, 300), rng.random(300).astype(np.float32),
        rng.standard_normal((300, 8)).astype(np.float32),
    )  # fmt: skip
    assert torch.get_num_threads() == threads
