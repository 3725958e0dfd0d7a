"""The on-disk embeddings format: write -> read round trip, decoding, zero copy, finished-only."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.datasets import IncompleteDatasetError
from curation.formats import embeddings as E


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _write_run(root, shards: dict[str, np.ndarray], store_dtype: str, success: bool = True):
    """<root>/embeddings/domain=<d>/part-0.parquet per domain; returns ids in path order."""
    ids = []
    for domain, vectors in sorted(shards.items()):
        shard_ids = [f"{domain}-{i:04d}" for i in range(len(vectors))]
        table = E.embeddings_table(
            shard_ids, [domain] * len(vectors), vectors, store_dtype, {"model": "m", "prefix": ""}
        )
        folder = root / "embeddings" / f"domain={domain}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet")
        ids += shard_ids
    if success:
        (root / "embeddings" / "_SUCCESS").write_text("{}")
    return ids


@pytest.mark.parametrize("store_dtype, tol", [("float32", 0.0), ("float16", 2.5e-4)])
def test_round_trip(tmp_path, store_dtype, tol):
    shards = {"a": _unit(7, 16, 1), "b": _unit(5, 16, 2)}
    ids = _write_run(tmp_path, shards, store_dtype)
    # a leftover temporary file is not part of the result
    (tmp_path / "embeddings" / "domain=a" / ".part-1.parquet.x.tmp").write_bytes(b"junk")
    table = E.read_embeddings(str(tmp_path))
    assert table.column("id").to_pylist() == ids
    assert table.column("domain").to_pylist() == ["a"] * 7 + ["b"] * 5
    assert table.schema.field(E.EMBEDDING).type == pa.list_(getattr(pa, store_dtype)(), 16)
    meta = E.shard_meta(table.schema)
    assert (meta["dim"], meta["dtype"], meta["model"]) == ("16", store_dtype, "m")
    got = E.vectors_of(table)
    want = np.concatenate([shards["a"], shards["b"]])
    assert got.dtype == np.float32 and got.shape == (12, 16)
    assert np.abs(got - want).max() <= tol
    # the column alone decodes the same way (its type says the dtype)
    assert np.array_equal(E.vectors_of(table.column(E.EMBEDDING)), got)
    # only selected columns
    assert E.read_embeddings(str(tmp_path), columns=["id"]).column_names == ["id"]


def test_stored_bytes_are_little_endian_fixed_size_binary(tmp_path):
    v = _unit(3, 8)
    _write_run(tmp_path, {"a": v}, "float16")
    raw = pq.read_table(tmp_path / "embeddings" / "domain=a" / "part-0.parquet")
    assert raw.schema.field(E.EMBEDDING).type == pa.binary(8 * 2)
    first = np.frombuffer(raw.column(E.EMBEDDING)[0].as_py(), "<f2")
    assert np.array_equal(first, v[0].astype("<f2"))
    # the raw table decodes through its metadata; the raw column needs the dtype
    assert np.array_equal(E.vectors_of(raw), v.astype(np.float16).astype(np.float32))
    with pytest.raises(ValueError, match="dtype"):
        E.vectors_of(raw.column(E.EMBEDDING))
    assert np.array_equal(E.vectors_of(raw.column(E.EMBEDDING), dtype="float16"), E.vectors_of(raw))


def test_float32_single_chunk_is_zero_copy():
    v = _unit(4, 6)
    table = E.embeddings_table(["a", "b", "c", "d"], ["x"] * 4, v, "float32")
    out = E.vectors_of(table)
    buf = table.column(E.EMBEDDING).chunk(0).buffers()[1]
    assert np.shares_memory(out, np.frombuffer(buf, np.uint8))
    assert np.array_equal(out, v)
    # a slice (non-zero offset) decodes the right rows
    assert np.array_equal(E.vectors_of(table.slice(1, 2)), v[1:3])


def test_unfinished_embeddings_are_not_read(tmp_path):
    _write_run(tmp_path, {"a": _unit(2, 4)}, "float16", success=False)
    with pytest.raises(IncompleteDatasetError, match="_SUCCESS"):
        E.read_embeddings(str(tmp_path))


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="store dtype"):
        E.embeddings_table(["a"], ["x"], _unit(1, 4), "bfloat16")
    with pytest.raises(ValueError, match="ids"):
        E.embeddings_table(["a", "b"], ["x"], _unit(1, 4), "float16")
    with pytest.raises(ValueError, match="metadata"):
        E.shard_meta(pa.schema([pa.field("id", pa.string())]))
