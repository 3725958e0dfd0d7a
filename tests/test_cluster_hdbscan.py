"""UMAP + HDBSCAN clustering and SemDedup inside its clusters, on embeddings of known structure."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

from curation.config import HdbscanConfig
from curation.stages import cluster_hdbscan as C
from curation.stages import semdedup

GROUPS, SIZE, DUPS, SCATTER, DIM = 8, 40, 5, 60, 32


def planted(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """GROUPS tight groups of SIZE unit vectors, each with DUPS near-copies of its first members
    (cos > 0.999), plus SCATTER random vectors; returns (vectors, group (-1 = scattered), pairs)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(GROUPS, DIM))
    vecs, group, pairs = [], [], []
    for g in range(GROUPS):
        members = centers[g] / np.linalg.norm(centers[g]) + 0.15 * rng.normal(size=(SIZE, DIM))
        start = sum(len(v) for v in vecs)
        copies = members[:DUPS] + 0.002 * rng.normal(size=(DUPS, DIM))
        vecs += [members, copies]
        group += [g] * (SIZE + DUPS)
        pairs += [(start + i, start + SIZE + i) for i in range(DUPS)]
    vecs.append(rng.normal(size=(SCATTER, DIM)))
    group += [-1] * SCATTER
    x = np.vstack(vecs).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(group), pairs


@pytest.fixture(scope="module")
def data():
    return planted()


@pytest.fixture(scope="module")
def clustering(data):
    return C.cluster(data[0], HdbscanConfig(min_cluster_size=10))


def test_hdbscan_finds_the_planted_groups(data, clustering):
    _, group, _ = data
    labels = clustering.labels
    assert clustering.coords.shape == (len(group), 2)
    majority = {}
    for g in range(GROUPS):
        label, count = Counter(labels[group == g].tolist()).most_common(1)[0]
        assert label >= 0 and count == SIZE + DUPS, (
            f"group {g} split: {Counter(labels[group == g])}"
        )
        majority[g] = label
    assert len(set(majority.values())) == GROUPS  # no two groups merged
    assert clustering.backend == C.CPU_BACKEND
    assert set(labels.tolist()) == set(range(clustering.n_clusters)) | ({-1} & set(labels.tolist()))


def test_same_input_same_clusters(data, clustering):
    again = C.cluster(data[0], HdbscanConfig(min_cluster_size=10))
    assert np.array_equal(again.labels, clustering.labels)
    assert np.array_equal(again.coords, clustering.coords)


def test_search_reaches_the_target_and_keeps_its_trace(data, clustering):
    for target in (GROUPS, 4):
        cfg = HdbscanConfig(target_clusters=target)
        mcs, labels, trace = C.search_min_cluster_size(clustering.coords, cfg, C.CPU_BACKEND)
        counts = {t["min_cluster_size"]: t["clusters"] for t in trace}
        assert counts[mcs] == C.n_clusters(labels)
        best = min(abs(k - target) for k in counts.values())
        assert abs(counts[mcs] - target) == best
        assert len(trace) <= 2 + int(np.log2(len(labels))) and len(counts) == len(trace)
        assert all(2 <= m <= max(2, len(labels) // target) for m in counts)
    mcs, labels, _ = C.search_min_cluster_size(
        clustering.coords, HdbscanConfig(target_clusters=GROUPS), C.CPU_BACKEND
    )
    assert C.n_clusters(labels) == GROUPS


def test_centroid_distances_and_representatives(data, clustering):
    x, _, _ = data
    labels = clustering.labels
    dist = C.centroid_distances(x, labels)
    assert np.isnan(dist[labels < 0]).all() and not np.isnan(dist[labels >= 0]).any()
    for label in range(clustering.n_clusters):
        members = np.flatnonzero(labels == label)
        c = x[members].mean(axis=0)
        c /= np.linalg.norm(c)
        np.testing.assert_allclose(dist[members], 1 - x[members] @ c, atol=1e-5)
    ids = [f"d{i:04d}" for i in range(len(x))]
    reps = C.representatives(ids, dist, labels, 3)
    assert set(reps) == set(range(clustering.n_clusters))
    for label, chosen in reps.items():
        members = np.flatnonzero(labels == label)
        nearest = members[np.argsort(dist[members], kind="stable")[:3]]
        assert chosen == [ids[i] for i in nearest]


def test_semdedup_in_hdbscan_clusters_removes_the_planted_copies_keeps_the_farthest_and_noise(
    data, clustering
):
    x, _, pairs = data
    labels = clustering.labels
    ids = [f"d{i:04d}" for i in range(len(x))]
    dist = C.centroid_distances(x, labels)
    table = semdedup.semdedup_all(ids, labels, dist, x, tile_size=16)
    assert sorted(table.column("id").to_pylist()) == sorted(ids)
    rows = {r["id"]: r for r in table.to_pylist()}
    removed = {i for i, r in rows.items() if r["M"] > 1 - 0.05}
    for a, b in pairs:
        farther, nearer = (a, b) if (dist[a], ids[b]) > (dist[b], ids[a]) else (b, a)
        assert ids[nearer] in removed and ids[farther] not in removed
        assert rows[ids[nearer]]["max_id"] == ids[farther]
    assert len(removed) == len(pairs)  # the groups' ordinary members are not near-copies
    for i in np.flatnonzero(labels < 0):  # noise: never compared, never removed
        assert rows[ids[i]]["cluster"] == -1 and rows[ids[i]]["M"] == -1.0
    # the same M and max_id as the full similarity matrix, cluster by cluster
    for label in range(clustering.n_clusters):
        part = table.filter(table.column("cluster").to_numpy() == label).to_pylist()
        order = [ids.index(r["id"]) for r in part]
        m, arg = semdedup.brute_force_max_similarity(x[order])
        np.testing.assert_allclose([r["M"] for r in part], m, atol=1e-5)
        expected = [None if k < 0 else ids[order[k]] for k in arg]
        assert [r["max_id"] for r in part] == expected


def test_tiny_and_empty_inputs_are_all_noise():
    cfg = HdbscanConfig(min_cluster_size=5)
    x = np.eye(3, 8, dtype=np.float32)
    small = C.cluster(x, cfg)
    assert small.labels.tolist() == [-1, -1, -1] and small.coords.shape == (3, 2)
    empty = C.cluster(np.zeros((0, 8), np.float32), HdbscanConfig(target_clusters=5))
    assert empty.labels.shape == (0,) and empty.n_clusters == 0
    table = semdedup.semdedup_all([], np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 8)))
    assert table.num_rows == 0 and table.schema == semdedup.RESULT_SCHEMA


def test_numba_cache_goes_to_a_writable_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = C.numba_cache_dir()
    assert folder == str(tmp_path / "cache" / "curation" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == folder and os.access(folder, os.W_OK)


_LIBRARY = """
import numba

@numba.njit
def plain(x):  # declared without cache=True, as umap-learn's kernels are
    return x * 2 + 1

@numba.njit(cache=True)
def cached(x):
    return x - 1
"""

_RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
import fakelib_kernels as lib
from curation.numba_cache import cache_library_kernels
turned_on = cache_library_kernels("fakelib")
value = lib.plain(20)
print(json.dumps({"turned_on": turned_on, "value": value,
                  "hits": sum(lib.plain.stats.cache_hits.values()),
                  "misses": sum(lib.plain.stats.cache_misses.values())}))
"""


def test_library_kernels_without_cache_are_compiled_once_then_loaded(tmp_path):
    """A library's jitted function declared without ``cache=True`` is cached by
    cache_library_kernels: the first process compiles and writes it, the next loads it."""
    import json
    import subprocess
    import sys

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "fakelib_kernels.py").write_text(_LIBRARY)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))

    def run() -> dict:
        out = subprocess.run([sys.executable, "-c", _RUN, str(tmp_path / "lib")], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    # only `plain` is turned on: `cached` asks for the cache itself
    assert first == {"turned_on": 1, "value": 41, "hits": 0, "misses": 1}
    assert second == {"turned_on": 1, "value": 41, "hits": 1, "misses": 0}
    assert any(p.suffix == ".nbc" and "plain" in p.name for p in (tmp_path / "numba").rglob("*"))
