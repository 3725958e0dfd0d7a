"""The on-disk format of ``<run>/tokens/``: Megatron indexed-dataset shards plus Parquet indexes.

Layout::

    tokens/
      _MANIFEST.json  _SUCCESS  mixture.json  efficiency.md  efficiency.json
      tokenizer/tokenizer.json
      domain=<name>/
        shard-00000.bin  shard-00000.idx      one Megatron indexed dataset per shard
        ...
        sequences.parquet                     one row per sequence
        documents.parquet                     one row per document

**Shards** are the ``.bin``/``.idx`` pair that ``megatron.core.datasets.indexed_dataset.
IndexedDataset(<prefix>)`` reads (written here from the format's description, no Megatron code):

* ``.bin``: the token ids of every sequence, back to back, little-endian, in the dtype below;
  every sequence is exactly ``context_length`` ids (padding included);
* ``.idx``: ``b"MMIDIDX\\x00\\x00"`` (9 bytes), version ``<Q`` = 1, dtype code ``<B``, sequence
  count ``<Q``, document count ``<Q``, then ``int32`` sequence lengths, ``int64`` byte offsets of
  the sequences in ``.bin``, and ``int64`` document indices: the sequence index at which each
  Megatron "document" starts, from 0 up to and including the sequence count. In pad mode a
  Megatron document is the run of sequences cut from one of our documents (a document cut by a
  shard boundary starts a new one at the shard's start); in pack mode every sequence is one.
* dtype: ``uint16`` (Megatron code 8) when every id fits (vocabulary <= 65,536), else ``int32``
  (code 4): Megatron has no code for ``uint32``, and int32 holds any real vocabulary. A larger
  vocabulary (> 2**31 - 1) has no Megatron dtype: :class:`VocabTooLargeError`.

**sequences.parquet** (one row per sequence, in order): ``sequence`` (index within the domain),
``shard``, ``row`` (index within the shard), ``id`` (the document its first token belongs to),
``piece`` (0 = that document's first sequence), ``tokens`` (positions that are not padding: the
loss mask is 1 on positions ``< tokens``), ``next_token`` (the id that follows the sequence's
last token in the same text stream - the label of its last position - or -1).

**documents.parquet** (one row per document, in shuffled order): ``id``, ``position`` (its rank
in the shuffle), ``sequence`` and ``offset`` (where its first token is: global token position
``sequence * context_length + offset``), ``tokens`` (the tokenizer's output length; an
``<eos>`` follows), ``pieces`` (sequences it touches).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation.errors import CurationError
from curation.storage import arrow_filesystem, temporary_name

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES: dict[str, int] = {"uint16": 8, "int32": 4}
"""The Megatron dtype codes this writer uses (Megatron's own table has 8 entries)."""
_READ_CODES: dict[int, np.dtype] = {
    1: np.dtype(np.uint8),
    2: np.dtype(np.int8),
    3: np.dtype(np.int16),
    4: np.dtype(np.int32),
    5: np.dtype(np.int64),
    6: np.dtype(np.float64),
    7: np.dtype(np.float32),
    8: np.dtype(np.uint16),
}
SHARD_GLOB = "shard-*.idx"
SEQUENCES = "sequences.parquet"
DOCUMENTS = "documents.parquet"
TOKENIZER_DIR = "tokenizer"
MIXTURE = "mixture.json"

SEQUENCES_SCHEMA = pa.schema(
    [
        pa.field("sequence", pa.int64(), nullable=False),
        pa.field("shard", pa.int32(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("piece", pa.int64(), nullable=False),
        pa.field("tokens", pa.int32(), nullable=False),
        pa.field("next_token", pa.int64(), nullable=False),
    ]
)
DOCUMENTS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("position", pa.int64(), nullable=False),
        pa.field("sequence", pa.int64(), nullable=False),
        pa.field("offset", pa.int32(), nullable=False),
        pa.field("tokens", pa.int64(), nullable=False),
        pa.field("pieces", pa.int64(), nullable=False),
    ]
)


class VocabTooLargeError(CurationError, ValueError):
    """A vocabulary whose ids fit no token dtype the shard format has."""


class ShardFormatError(ValueError):
    """A file that is not a shard of this format."""


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """``uint16`` when ids 0 .. vocab_size - 1 fit, else ``int32``; larger: an error."""
    if vocab_size <= 0:
        raise ValueError(f"vocabulary size must be > 0, got {vocab_size}")
    if vocab_size <= np.iinfo(np.uint16).max + 1:
        return np.dtype(np.uint16)
    if vocab_size <= np.iinfo(np.int32).max + 1:
        return np.dtype(np.int32)
    raise VocabTooLargeError(
        f"a vocabulary of {vocab_size:,} tokens does not fit the largest token dtype of the "
        f"shard format (int32, ids up to {np.iinfo(np.int32).max:,}; Megatron's indexed "
        "dataset has no wider integer type for tokens): use a smaller vocabulary"
    )


def shard_name(shard: int) -> str:
    """``shard-NNNNN``: a shard's file name without ``.bin``/``.idx``."""
    return f"shard-{shard:05d}"


def shard_prefix(domain_dir: str | os.PathLike[str], shard: int) -> Path:
    """``<domain_dir>/shard-NNNNN`` (the path prefix Megatron's reader takes)."""
    return Path(domain_dir) / shard_name(shard)


def domain_dir(tokens_dir: str | os.PathLike[str], domain: str) -> Path:
    return Path(tokens_dir) / f"domain={domain}"


def write_shard(
    prefix: str | os.PathLike[str],
    sequences: np.ndarray,
    document_starts: np.ndarray,
    dtype: np.dtype,
) -> None:
    """Write ``sequences`` ([S, N] ids) as ``<prefix>.bin`` + ``<prefix>.idx`` (``prefix``: a
    path or any URI :func:`curation.storage.arrow_filesystem` opens).

    ``document_starts``: the sequence indices where a document starts (0 included or not); the
    index stores them followed by S. Both files are written to temporary names first and
    renamed, the ``.idx`` last.
    """
    dtype = np.dtype(dtype)
    name = dtype.name
    if name not in DTYPE_CODES:
        raise ValueError(f"token dtype must be one of {sorted(DTYPE_CODES)}, got {name}")
    seqs = np.asarray(sequences)
    if seqs.ndim != 2:
        raise ValueError(f"sequences must be [S, N], got shape {seqs.shape}")
    info = np.iinfo(dtype)
    if seqs.size and (seqs.min() < 0 or seqs.max() > info.max):
        raise VocabTooLargeError(
            f"token ids in [{seqs.min()}, {seqs.max()}] do not fit {name} (0 .. {info.max})"
        )
    count, n = seqs.shape
    starts = np.unique(np.concatenate([[0], np.asarray(document_starts, dtype=np.int64)]))
    if count == 0:
        starts = np.zeros(0, dtype=np.int64)
    if len(starts) and (starts[0] < 0 or starts[-1] >= max(count, 1)):
        raise ValueError(f"document starts must lie in [0, {count})")
    doc_index = np.concatenate([starts, [count]]).astype("<i8")
    lengths = np.full(count, n, dtype="<i4")
    pointers = (np.arange(count, dtype=np.int64) * n * dtype.itemsize).astype("<i8")
    fs, path = arrow_filesystem(os.fspath(prefix))
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    head = struct.pack("<QBQQ", VERSION, DTYPE_CODES[name], count, len(doc_index))
    files = {
        ".bin": [np.ascontiguousarray(seqs, dtype=dtype.newbyteorder("<")).tobytes()],
        ".idx": [MAGIC, head, lengths.tobytes(), pointers.tobytes(), doc_index.tobytes()],
    }
    tmp = {suffix: temporary_name(f"{path}{suffix}") for suffix in files}
    for suffix, chunks in files.items():
        with fs.open_output_stream(tmp[suffix]) as f:
            for chunk in chunks:
                f.write(chunk)
    for suffix in files:  # the .idx last: a shard with an index is complete
        fs.move(tmp[suffix], f"{path}{suffix}")


@dataclass(frozen=True)
class ShardIndex:
    """The contents of one ``.idx`` file."""

    dtype: np.dtype
    lengths: np.ndarray  # int32 [S]
    pointers: np.ndarray  # int64 [S], byte offsets into .bin
    document_indices: np.ndarray  # int64 [D + 1]


def read_index(prefix: str | os.PathLike[str]) -> ShardIndex:
    """Parse ``<prefix>.idx``, checking the header."""
    path = Path(prefix).with_suffix(".idx")
    raw = path.read_bytes()
    head = len(MAGIC) + 8 + 1 + 8 + 8
    if len(raw) < head or raw[: len(MAGIC)] != MAGIC:
        raise ShardFormatError(f"{path} is not a Megatron indexed-dataset index (bad header)")
    version, code, count, docs = struct.unpack_from("<QBQQ", raw, len(MAGIC))
    if version != VERSION:
        raise ShardFormatError(f"{path}: index version {version}, expected {VERSION}")
    if code not in _READ_CODES:
        raise ShardFormatError(f"{path}: unknown dtype code {code}")
    need = head + count * 4 + count * 8 + docs * 8
    if len(raw) < need:
        raise ShardFormatError(f"{path} is truncated: {len(raw)} bytes, expected {need}")
    lengths = np.frombuffer(raw, "<i4", count, head)
    pointers = np.frombuffer(raw, "<i8", count, head + count * 4)
    doc_index = np.frombuffer(raw, "<i8", docs, head + count * 12)
    return ShardIndex(_READ_CODES[code], lengths, pointers, doc_index)


class ShardReader:
    """Random access to the sequences of one shard (memory-mapped ``.bin``)."""

    def __init__(self, prefix: str | os.PathLike[str]) -> None:
        self.prefix = Path(prefix)
        self.index = read_index(self.prefix)
        bin_path = self.prefix.with_suffix(".bin")
        size = bin_path.stat().st_size
        self._data = (
            np.memmap(bin_path, dtype=self.index.dtype.newbyteorder("<"), mode="r")
            if size
            else np.zeros(0, dtype=self.index.dtype)
        )

    def __len__(self) -> int:
        return len(self.index.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.index.pointers[i]) // self.index.dtype.itemsize
        return np.asarray(self._data[start : start + int(self.index.lengths[i])])

    @property
    def document_indices(self) -> np.ndarray:
        return self.index.document_indices


class DomainReader:
    """All sequences of one domain of a ``tokens/`` folder, by index within the domain."""

    def __init__(self, tokens_dir: str | os.PathLike[str], domain: str) -> None:
        folder = domain_dir(tokens_dir, domain)
        table = pq.read_table(folder / SEQUENCES, columns=["shard", "row", "tokens", "next_token"])
        self.shard = table.column("shard").to_numpy()
        self.row = table.column("row").to_numpy()
        self.real = table.column("tokens").to_numpy()
        self.next_token = table.column("next_token").to_numpy()
        n_shards = int(self.shard.max()) + 1 if len(self.shard) else 0
        self.shards = [ShardReader(shard_prefix(folder, s)) for s in range(n_shards)]

    def __len__(self) -> int:
        return len(self.shard)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.shards[int(self.shard[i])][int(self.row[i])]

    def stream(self, first: int, stop: int) -> np.ndarray:
        """Sequences ``first .. stop - 1`` concatenated (padding included)."""
        return (
            np.concatenate([self[i] for i in range(first, stop)]) if stop > first else np.zeros(0)
        )
