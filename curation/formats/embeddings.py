"""The on-disk format of ``<run>/embeddings/``: one vector per Dataset-1 document, keyed by id.

Shards are aligned 1:1 with the Dataset-1 data files: ``dataset-1/data/domain=X/<file>.parquet``
-> ``embeddings/domain=X/<file>.parquet``, with the same rows in the same order. Columns:

* ``id`` (string), ``domain`` (string): as in Dataset-1;
* ``embedding``: ``fixed_size_binary(dim * itemsize)``, the L2-normalised vector as little-endian
  ``float16`` (the default, ``embed.store_dtype``) or ``float32``. A plain binary column keeps the
  files readable by anything that reads Parquet (Spark sees ``BinaryType``); decode with
  ``numpy.frombuffer(value, "<f2")``.

The Arrow schema metadata of every shard says how to decode it: ``dim``, ``dtype`` (``float16`` |
``float32``), ``model``, ``prefix``, ``max_seq_length``, ``precision`` (what the model ran in),
``fingerprint`` (``<stage fingerprint>:<Dataset-1 build>``: what the shard was computed for, so
a resumed stage keeps only shards of the same config and input) and ``format_version``.

float16 storage: the vectors are unit length, so every component is in [-1, 1], where float16
keeps about 3.3 significant digits (absolute error <= 2**-12 ~ 2.4e-4 per component; for
384-d MiniLM vectors, whose components are mostly below 0.25, the largest error measured was
6e-5); pairwise cosines from stored vectors differ from the float32 ones by at most ~1e-4
(measured on the demo corpus; tests/test_embed.py asserts < 1e-3), far below any threshold
step that matters for SemDedup.

:func:`read_embeddings` returns the ``embedding`` column as ``fixed_size_list<float16|float32>[dim]``
- a zero-copy view of the stored bytes whose type says how to decode it - and :func:`vectors_of`
turns either form into a float32 ``(N, dim)`` array.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from curation import schema as S
from curation.datasets import IncompleteDatasetError
from curation.run_layout import EMBEDDINGS, SUCCESS
from curation.storage import arrow_filesystem, join, normalize_uri

EMBEDDING = "embedding"
FORMAT_VERSION = 1
DTYPES = {"float16": np.dtype("<f2"), "float32": np.dtype("<f4")}
_ARROW = {"float16": pa.float16(), "float32": pa.float32()}
META_KEYS = ("dim", "dtype", "model", "prefix", "max_seq_length", "precision", "fingerprint")


def embeddings_schema(dim: int, store_dtype: str, meta: dict | None = None) -> pa.Schema:
    """The schema of one embeddings shard (``meta``: model, prefix, max_seq_length ...)."""
    if store_dtype not in DTYPES:
        raise ValueError(f"store dtype must be one of {sorted(DTYPES)}, got {store_dtype!r}")
    width = dim * DTYPES[store_dtype].itemsize
    metadata = {k: _meta_text(v) for k, v in (meta or {}).items()}
    metadata.update(dim=str(dim), dtype=store_dtype, format_version=str(FORMAT_VERSION))
    return pa.schema(
        [
            pa.field(S.ID, pa.string(), nullable=False),
            pa.field(S.DOMAIN, pa.string(), nullable=False),
            pa.field(EMBEDDING, pa.binary(width), nullable=False),
        ],
        metadata=metadata,
    )


def embeddings_table(
    ids, domains, vectors: np.ndarray, store_dtype: str = "float16", meta: dict | None = None
) -> pa.Table:
    """One shard's table: ``vectors`` (N, dim) are cast to ``store_dtype`` little-endian."""
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be (N, dim), got shape {vectors.shape}")
    n, dim = vectors.shape
    schema = embeddings_schema(dim, store_dtype, meta)
    raw = np.ascontiguousarray(vectors, dtype=DTYPES[store_dtype])
    column = pa.Array.from_buffers(schema.field(EMBEDDING).type, n, [None, pa.py_buffer(raw)])
    ids = pa.array(ids, pa.string()) if not isinstance(ids, pa.Array | pa.ChunkedArray) else ids
    if not isinstance(domains, pa.Array | pa.ChunkedArray):
        domains = pa.array(domains, pa.string())
    if len(ids) != n or len(domains) != n:
        raise ValueError(f"{len(ids)} ids and {len(domains)} domains for {n} vectors")
    return pa.Table.from_arrays([ids, domains, column], schema=schema)


def shard_meta(schema: pa.Schema) -> dict[str, str]:
    """The decoding metadata of an embeddings table or file schema (all values as text)."""
    raw = schema.metadata or {}
    meta = {k.decode(): v.decode() for k, v in raw.items() if not k.startswith(b"ARROW:")}
    if "dim" not in meta or "dtype" not in meta:
        raise ValueError("not an embeddings table: its schema metadata lacks dim/dtype")
    return meta


def as_list_view(column: pa.Array | pa.ChunkedArray, dim: int, dtype: str) -> pa.ChunkedArray:
    """The fixed-size-binary column viewed (zero-copy) as ``fixed_size_list<dtype>[dim]``."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out = []
    for chunk in chunks:
        if chunk.null_count:
            raise ValueError("an embedding column must not hold nulls")
        width = dim * DTYPES[dtype].itemsize
        data = chunk.buffers()[1].slice(chunk.offset * width, len(chunk) * width)
        values = pa.Array.from_buffers(_ARROW[dtype], len(chunk) * dim, [None, data])
        out.append(pa.FixedSizeListArray.from_arrays(values, dim))
    return pa.chunked_array(out, pa.list_(_ARROW[dtype], dim))


def vectors_of(data: pa.Table | pa.Array | pa.ChunkedArray, dtype: str | None = None) -> np.ndarray:
    """float32 (N, dim) vectors of an embeddings table or its ``embedding`` column.

    Accepts a table (decoded by its schema metadata), a ``fixed_size_list`` column (as
    :func:`read_embeddings` returns it; its type says the dtype), or a raw ``fixed_size_binary``
    column together with ``dtype``. Zero-copy for a single float32 chunk; one copy otherwise.
    """
    if isinstance(data, pa.Table):
        meta = shard_meta(data.schema)
        column = data.column(EMBEDDING)
        if pa.types.is_fixed_size_binary(column.type):
            column = as_list_view(column, int(meta["dim"]), meta["dtype"])
        return vectors_of(column)
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    kind = data.type
    if pa.types.is_fixed_size_binary(kind):
        if dtype is None:
            raise ValueError(
                "a fixed_size_binary embedding column needs dtype= (float16 or float32); "
                "pass the table instead, or use read_embeddings()"
            )
        dim = kind.byte_width // DTYPES[dtype].itemsize
        return vectors_of(as_list_view(data, dim, dtype))
    if not pa.types.is_fixed_size_list(kind):
        raise TypeError(f"not an embedding column: {kind}")
    dim = kind.list_size
    arrays = [chunk.flatten().to_numpy(zero_copy_only=True) for chunk in chunks if len(chunk)]
    if len(arrays) == 1 and arrays[0].dtype == np.float32:
        return arrays[0].reshape(-1, dim)
    out = np.empty((sum(len(a) for a in arrays) // dim, dim), np.float32)
    row = 0
    for a in arrays:
        rows = len(a) // dim
        out[row : row + rows] = a.reshape(rows, dim)
        row += rows
    return out


def read_embeddings(
    run: str, columns: list[str] | None = None, where: ds.Expression | None = None
) -> pa.Table:
    """Every shard of ``<run>/embeddings`` (finished only: with ``_SUCCESS``), in path order;
    ``where`` (e.g. ``pc.field("domain").isin([...])``) selects rows while reading.

    The ``embedding`` column comes back as ``fixed_size_list<float16|float32>[dim]`` (a view of
    the stored bytes); the schema metadata is kept.
    """
    root = join(normalize_uri(run), EMBEDDINGS)
    fs, path = arrow_filesystem(root)
    if fs.get_file_info(f"{path}/{SUCCESS}").type == pafs.FileType.NotFound:
        raise IncompleteDatasetError(
            f"{root} has no {SUCCESS}: the embeddings are not finished (run jobs/embed.py first)"
        )
    files = sorted(
        info.path
        for info in fs.get_file_info(pafs.FileSelector(path, recursive=True))
        if info.type == pafs.FileType.File
        and info.base_name.endswith(".parquet")
        and not info.base_name.startswith((".", "_"))
    )
    if not files:
        return pa.table({})
    dataset = ds.dataset(files, filesystem=fs, format="parquet")
    meta = shard_meta(dataset.schema)
    table = dataset.to_table(columns=columns, filter=where)
    if EMBEDDING in table.column_names:
        view = as_list_view(table.column(EMBEDDING), int(meta["dim"]), meta["dtype"])
        i = table.column_names.index(EMBEDDING)
        table = table.set_column(i, pa.field(EMBEDDING, view.type, nullable=False), view)
    return table.replace_schema_metadata(dataset.schema.metadata)


def _meta_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)
