"""The token shard format: our writer, our reader and Megatron's reader agree; dtype rules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from curation.formats.token_shards import (
    ShardFormatError,
    ShardReader,
    VocabTooLargeError,
    dtype_for_vocab,
    read_index,
    write_shard,
)


@pytest.fixture(scope="module")
def megatron_indexed_dataset():
    with warnings.catch_warnings():  # "Transformer Engine and Apex are not installed"
        warnings.simplefilter("ignore")
        from megatron.core.datasets.indexed_dataset import IndexedDataset
    return IndexedDataset


def test_dtype_follows_the_vocabulary_size():
    assert dtype_for_vocab(1000) == np.uint16
    assert dtype_for_vocab(65536) == np.uint16  # ids 0 .. 65535
    assert dtype_for_vocab(65537) == np.int32
    assert dtype_for_vocab(2**31) == np.int32
    with pytest.raises(VocabTooLargeError, match="does not fit the largest token dtype"):
        dtype_for_vocab(2**31 + 1)


@pytest.mark.parametrize(("vocab", "code"), [(40000, 8), (120000, 4)])
def test_round_trip_ours_and_megatron(tmp_path, megatron_indexed_dataset, vocab, code):
    dtype = dtype_for_vocab(vocab)
    rng = np.random.default_rng(vocab)
    seqs = rng.integers(0, vocab, size=(37, 16))
    starts = np.array([0, 3, 4, 20])
    prefix = tmp_path / "shard-00000"
    write_shard(prefix, seqs, starts, dtype)
    raw = (tmp_path / "shard-00000.idx").read_bytes()
    assert raw[:9] == b"MMIDIDX\x00\x00" and raw[17] == code
    assert (tmp_path / "shard-00000.bin").stat().st_size == seqs.size * dtype.itemsize
    index = read_index(prefix)
    assert index.dtype == dtype and list(index.document_indices) == [0, 3, 4, 20, 37]
    ours = ShardReader(prefix)
    theirs = megatron_indexed_dataset(str(prefix))
    assert len(ours) == len(theirs) == 37
    assert list(theirs.document_indices) == [0, 3, 4, 20, 37]
    for i in range(37):
        assert np.array_equal(ours[i], seqs[i])
        assert np.array_equal(theirs[i], seqs[i]) and theirs[i].dtype == dtype
    assert not list(tmp_path.glob(".*.tmp"))  # temporary files renamed into place


def test_ids_that_do_not_fit_and_bad_files_are_refused(tmp_path):
    with pytest.raises(VocabTooLargeError, match="do not fit uint16"):
        write_shard(tmp_path / "a", np.array([[1, 70000]]), [0], np.dtype(np.uint16))
    with pytest.raises(ValueError, match="token dtype must be one of"):
        write_shard(tmp_path / "a", np.array([[1, 2]]), [0], np.dtype(np.int64))
    (tmp_path / "b.idx").write_bytes(b"NOTANIDX" + bytes(40))
    with pytest.raises(ShardFormatError, match="bad header"):
        read_index(tmp_path / "b")
    write_shard(tmp_path / "c", np.ones((4, 3), dtype=np.int64), [0], np.dtype(np.uint16))
    (tmp_path / "c.idx").write_bytes((tmp_path / "c.idx").read_bytes()[:-8])
    with pytest.raises(ShardFormatError, match="truncated"):
        read_index(tmp_path / "c")
