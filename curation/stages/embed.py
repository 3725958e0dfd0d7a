"""Sentence embeddings of documents (stage 4): pure functions, no Spark.

The models themselves are :mod:`curation.embedders` (one interface; sentence-transformers as the
production path, ``builtin:use-multilingual-v3`` as the offline multilingual default). Here:

* :func:`embed_texts` - texts -> float32 (N, D) unit vectors with the embedder of an
  :class:`EmbedConfig` (texts cut to ``embed.max_chars`` characters first, the prefix prepended,
  every vector checked finite);
* :func:`embed_shard` - one Dataset-1 Parquet shard -> its aligned embeddings shard, atomically
  (temporary file + rename); a finished shard of the same fingerprint is not recomputed. Texts
  are cut in Arrow before they become Python strings, so a 50 MB document costs ``max_chars``
  characters of work and memory, not 50 MB.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable

import numpy as np

from curation import schema as S
from curation.config import EmbedConfig
from curation.embedders import (
    Embedder,
    ModelLoadError,
    NonFiniteVectorsError,
    get_embedder,
)
from curation.embedders.transformer import (  # noqa: F401 - re-exported for older callers
    BUILTIN,
    BUILTIN_FOLDERS,
    cpu_has_native_bf16,
    model_source,
)
from curation.formats import embeddings as E
from curation.storage import arrow_filesystem

log = logging.getLogger(__name__)

BUILTIN_MODELS = BUILTIN_FOLDERS
"""``builtin:<name>`` sentence-transformers folders (their tokenizer.json serves tokens.compare)."""

__all__ = ["ModelLoadError", "NonFiniteVectorsError", "embed_shard", "embed_texts", "shard_info"]


def embed_texts(
    texts: list[str],
    cfg: EmbedConfig,
    device: str,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """float32 (N, D) L2-normalised vectors of ``texts`` in order, with ``cfg``'s embedder on
    ``device``; ``progress(n)`` is called as texts are done."""
    return get_embedder(cfg, device).encode(list(texts), progress)


# --- one shard ------------------------------------------------------------------------------------


def shard_info(uri: str) -> tuple[int, dict[str, str]] | None:
    """(rows, schema metadata) of an existing embeddings shard; None when there is no such file
    or it is not a readable embeddings shard (from its footer only)."""
    import pyarrow.parquet as pq

    fs, path = _fs(uri)
    if not _exists(fs, path):
        return None
    try:
        with fs.open_input_file(path) as f:
            meta = pq.ParquetFile(f).metadata
            return meta.num_rows, E.shard_meta(meta.schema.to_arrow_schema())
    except Exception:  # an unreadable or foreign file is not a finished shard
        return None


def embed_shard(
    src_uri: str,
    dst_uri: str,
    cfg: EmbedConfig,
    device: str,
    *,
    fingerprint: str = "",
    progress: Callable[[int], None] | None = None,
    embedder: Embedder | None = None,
) -> int:
    """Embed one Dataset-1 shard into its aligned embeddings shard; return its rows.

    Skipped (rows read from the existing file) when ``dst_uri`` exists and was computed for
    ``fingerprint``; otherwise written to a hidden temporary file beside it, then renamed.
    ``embedder``: the one to use (default: ``cfg``'s on ``device``). A non-finite vector fails
    the shard with the document's id; nothing is written then.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    done = shard_info(dst_uri)
    if done is not None and done[1].get("fingerprint", "") == fingerprint:
        return done[0]
    embedder = embedder or get_embedder(cfg, device)
    fs, dst = _fs(dst_uri)
    src_fs, src = _fs(src_uri)
    with src_fs.open_input_file(src) as f:
        table = pq.read_table(f, columns=[S.ID, S.DOMAIN, S.TEXT])
    t0 = time.time()
    texts = pc.utf8_slice_codeunits(table.column(S.TEXT), 0, embedder.max_chars).to_pylist()
    try:
        vectors = embedder.encode(texts, progress)
    except NonFiniteVectorsError as exc:
        first = table.column(S.ID)[exc.rows[0]].as_py() if exc.rows else "?"
        raise NonFiniteVectorsError(f"{src_uri}: document {first}: {exc}", exc.rows) from None
    fp = embedder.fingerprint()
    meta = {
        "model": embedder.name,
        "prefix": embedder.prefix,
        "max_seq_length": str(fp.get("max_seq_length", "")),
        "max_chars": str(embedder.max_chars),
        "precision": embedder.precision,
        "embedder": json.dumps(fp, sort_keys=True),
        "fingerprint": fingerprint,
    }
    out = E.embeddings_table(
        table.column(S.ID), table.column(S.DOMAIN), vectors, cfg.store_dtype, meta
    )
    parent, name = dst.rsplit("/", 1)
    tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
    fs.create_dir(parent, recursive=True)
    try:
        with fs.open_output_stream(tmp) as f:
            pq.write_table(out, f, compression="zstd")
        if _exists(fs, dst):
            fs.delete_file(dst)
        fs.move(tmp, dst)
    except BaseException:
        if _exists(fs, tmp):
            fs.delete_file(tmp)
        raise
    elapsed = time.time() - t0
    log.info(
        "embedded %s: %d docs in %.1f s (%.1f docs/s)",
        dst_uri,
        out.num_rows,
        elapsed,
        out.num_rows / elapsed if elapsed > 0 else 0.0,
    )
    return out.num_rows


def _fs(uri: str):
    return arrow_filesystem(uri)


def _exists(fs, path: str) -> bool:
    import pyarrow.fs as pafs

    return fs.get_file_info(path).type != pafs.FileType.NotFound
