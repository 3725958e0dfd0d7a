"""k-means clustering: hash sample, determinism, order independence, planted clusters, distances."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pytest
import torch

from curation.config import KMeansConfig
from curation.device import faiss_uses_gpu
from curation.stages import cluster_kmeans as ck

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]  # gpu: skipped without CUDA


def planted(groups: int = 8, per: int = 250, d: int = 32, noise: float = 0.05, seed: int = 1):
    """Well separated groups: random unit centres (pairwise cos ~ +-0.2) plus small noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((groups, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(groups), per)
    x = centres[labels] + noise * rng.standard_normal((len(labels), d))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    perm = rng.permutation(len(labels))
    ids = [f"doc-{i:05d}" for i in range(len(labels))]
    return ids, x[perm], labels[perm]


def contingency(labels: np.ndarray, clusters: np.ndarray, k: int) -> np.ndarray:
    table = np.zeros((labels.max() + 1, k), int)
    np.add.at(table, (labels, clusters), 1)
    return table


# --- sample ----------------------------------------------------------------------------------------


def test_training_sample_is_the_smallest_hashes_in_any_order() -> None:
    ids = [f"id-{i}" for i in range(5000)]
    mask = ck.training_sample(ids, 1234)
    assert mask.dtype == bool and mask.sum() == 1234
    h = ck.id_hashes(ids)
    assert h[mask].max() < h[~mask].min()
    chosen = {ids[i] for i in np.flatnonzero(mask)}
    perm = np.random.default_rng(0).permutation(len(ids))
    shuffled = [ids[i] for i in perm]
    for arr in (shuffled, pa.array(shuffled), pa.chunked_array([shuffled[:77], shuffled[77:]])):
        m2 = ck.training_sample(arr, 1234)
        assert {shuffled[i] for i in np.flatnonzero(m2)} == chosen
    # a subset that contains the sample chooses the same sample
    sub = sorted(chosen) + ids[:100]
    sub = list(dict.fromkeys(sub))
    assert {sub[i] for i in np.flatnonzero(ck.training_sample(sub, 1234))} == chosen
    assert ck.training_sample(ids, 10_000).all()
    assert not ck.training_sample(ids, 0).any()


def test_id_hash_is_xxh64_seed_42_signed() -> None:
    import xxhash

    ids = ["a", "документ", "doc-1"]
    expect = [xxhash.xxh64_intdigest(i.encode(), 42) for i in ids]
    expect = [v - 2**64 if v >= 2**63 else v for v in expect]
    assert ck.id_hashes(ids).tolist() == expect


def test_id_hash_equals_spark_xxhash64(spark) -> None:
    from pyspark.sql import functions as F

    ids = ["a", "документ", "doc-1", "x" * 100, ""]
    rows = spark.createDataFrame([(i,) for i in ids], "id string").select(
        "id", F.xxhash64("id").alias("h")
    )
    spark_h = {r["id"]: r["h"] for r in rows.collect()}
    assert [spark_h[i] for i in ids] == ck.id_hashes(ids).tolist()


def test_n_clusters_for() -> None:
    assert ck.n_clusters_for(10_000, KMeansConfig(target_cluster_size=227)) == 44
    assert ck.n_clusters_for(10, KMeansConfig(target_cluster_size=227)) == 1
    assert ck.n_clusters_for(0, KMeansConfig()) == 1
    assert ck.n_clusters_for(10_000, KMeansConfig(n_clusters=7)) == 7


# --- training and assignment -----------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_same_input_same_result(device: str) -> None:
    ids, x, _ = planted(seed=2)
    cfg = KMeansConfig(iterations=10, seed=5)
    c1 = ck.train_kmeans(x, 20, cfg, device, ids=ids)
    c2 = ck.train_kmeans(x, 20, cfg, device, ids=ids)
    np.testing.assert_array_equal(c1, c2)
    a1, d1 = ck.assign(x, c1, device)
    a2, d2 = ck.assign(x, c2, device)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(d1, d2)
    # and a different seed really changes the centroids (the seed is used)
    c3 = ck.train_kmeans(x, 20, KMeansConfig(iterations=10, seed=6), device, ids=ids)
    assert not np.array_equal(c1, c3)


@pytest.mark.parametrize("device", DEVICES)
def test_shuffled_input_same_assignment_per_id(device: str) -> None:
    ids, x, _ = planted(seed=3, noise=0.3)  # overlapping groups: order would matter if it could
    cfg = KMeansConfig(iterations=15)
    c1 = ck.train_kmeans(x, 30, cfg, device, ids=ids)
    a1, d1 = ck.assign(x, c1, device)
    perm = np.random.default_rng(4).permutation(len(ids))
    ids2 = [ids[i] for i in perm]
    c2 = ck.train_kmeans(x[perm], 30, cfg, device, ids=pa.array(ids2))
    np.testing.assert_array_equal(c1, c2)
    a2, d2 = ck.assign(x[perm], c2, device, batch_rows=97)  # batching changes nothing either
    np.testing.assert_array_equal(a2, a1[perm])
    np.testing.assert_array_equal(d2, d1[perm])
    # without ids the order does reach faiss (random init picks rows by position)
    c3 = ck.train_kmeans(x[perm], 30, cfg, device)
    assert not np.array_equal(c1, c3)


def test_planted_clusters_recovered() -> None:
    cfg = KMeansConfig(iterations=20)
    # k = number of groups with k-means++ seeding: the groups come back exactly (a bijection).
    # (Random seeding - faiss' default and the reference's - often puts two initial centroids in
    # one group and none in another, which Lloyd iterations never repair; k-means++ rarely does:
    # 20 of 20 data seeds at 5 groups / noise 0.02, 16 of 20 at 8 groups.)
    ids, x, labels = planted(groups=5, noise=0.02)
    c = ck.train_kmeans(x, 5, cfg, "cpu", ids=ids, init="kmeans++")
    clusters, _ = ck.assign(x, c, "cpu")
    table = contingency(labels, clusters, 5)
    assert ((table > 0).sum(axis=1) == 1).all() and ((table > 0).sum(axis=0) == 1).all(), table
    # the default random seeding with 5x more clusters than groups (as SemDedup over-clusters):
    # no cluster mixes two groups (20 of 20 data seeds), so near-duplicates are never split by a
    # cluster that also holds another group
    ids, x, labels = planted(groups=8, noise=0.05)
    c = ck.train_kmeans(x, 40, cfg, "cpu", ids=ids)
    clusters, _ = ck.assign(x, c, "cpu")
    table = contingency(labels, clusters, 40)
    assert ((table > 0).sum(axis=0) <= 1).all(), table


@pytest.mark.parametrize("device", DEVICES)
def test_distance_is_one_minus_cos_to_the_nearest_centroid(device: str) -> None:
    ids, x, _ = planted(seed=5, noise=0.4)
    c = ck.train_kmeans(x, 25, KMeansConfig(iterations=8), device, ids=ids)
    assert c.shape == (25, 32) and c.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-6)
    stored = (x * 1.7).astype(np.float16)  # not unit length: assign normalises
    clusters, dist = ck.assign(stored, c, device, batch_rows=300)
    assert clusters.dtype == np.int64 and dist.dtype == np.float32
    v = stored.astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    cos = v @ c.astype(np.float64).T
    np.testing.assert_allclose(dist, 1.0 - cos[np.arange(len(v)), clusters], atol=1e-5)
    best = cos.max(axis=1)
    assert (cos[np.arange(len(v)), clusters] >= best - 1e-6).all()
    assert ((dist >= 0) & (dist <= 2)).all()
    assert len(set(clusters.tolist())) > 15  # the clusters are actually used


def test_k_larger_than_training_set(caplog) -> None:
    ids, x, _ = planted(groups=2, per=5)
    with caplog.at_level(logging.WARNING, logger="curation.stages.cluster_kmeans"):
        c = ck.train_kmeans(x, 50, KMeansConfig(iterations=3), "cpu", ids=ids)
    assert c.shape == (10, 32)
    assert "only 10 training vectors" in caplog.text


def test_bad_init() -> None:
    ids, x, _ = planted(groups=2, per=5)
    with pytest.raises(ValueError, match="init"):
        ck.train_kmeans(x, 2, KMeansConfig(), "cpu", init="nope")


def test_assignment_of_a_row_does_not_depend_on_its_batch() -> None:
    """One Spark task's Arrow batches are not the in-process engine's: same bits either way."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1000, 48)).astype(np.float16).astype(np.float32)
    cents = ck.train_kmeans(x[:300], 12, KMeansConfig(iterations=5), "cpu")
    whole = ck.assign(x, cents, "cpu")
    for rows in (1, 7, 19, 333):
        parts = [ck.assign(x[s : s + rows], cents, "cpu") for s in range(0, len(x), rows)]
        assert np.array_equal(np.concatenate([p[0] for p in parts]), whole[0])
        assert np.array_equal(np.concatenate([p[1] for p in parts]), whole[1])  # bit for bit
    # the nearest of all centroids, ties to the smaller index
    sims = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float64) @ cents.T.astype(
        np.float64
    )
    assert (whole[0] == np.argmax(sims, axis=1)).mean() > 0.999


@pytest.mark.gpu
def test_faiss_runs_on_the_gpu_the_device_names() -> None:
    """On a GPU machine faiss is the GPU build, its index lives on the GPU ``cuda:N`` names, and
    GPU k-means assigns like the CPU (same centroids: the same nearest centroid but for ties)."""
    import faiss

    assert faiss_uses_gpu("cuda"), "faiss has no GPU support on a GPU machine (faiss-cpu?)"
    last = torch.cuda.device_count() - 1
    index = ck.flat_ip_index(32, f"cuda:{last}")
    assert isinstance(index, faiss.GpuIndexFlatIP) and index.getDevice() == last
    assert any(isinstance(o, faiss.StandardGpuResources) for o in index.referenced_objects)
    ids, x, _ = planted(seed=7, noise=0.3)
    cfg = KMeansConfig(iterations=10)
    c_gpu = ck.train_kmeans(x, 20, cfg, f"cuda:{last}", ids=ids)
    np.testing.assert_array_equal(c_gpu, ck.train_kmeans(x, 20, cfg, f"cuda:{last}", ids=ids))
    a_gpu, d_gpu = ck.assign(x, c_gpu, f"cuda:{last}")
    a_cpu, d_cpu = ck.assign(x, c_gpu, "cpu")
    np.testing.assert_allclose(d_gpu, d_cpu, atol=1e-5)
    differ = np.flatnonzero(a_gpu != a_cpu)
    cos = x[differ] @ c_gpu.T
    # a different choice only where the two centroids are equally near (float rounding)
    gap = np.abs(
        cos[np.arange(len(differ)), a_gpu[differ]] - cos[np.arange(len(differ)), a_cpu[differ]]
    )
    assert (gap < 1e-5).all()
