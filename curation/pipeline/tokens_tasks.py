"""The two tasks of the token stage that worker processes run, and the per-worker state.

Each worker loads the tokenizers once (:func:`init_worker`, the pool initializer) and keeps
them; nothing heavy travels with a task. The tasks:

* :func:`encode_unit` - one Parquet file of the dataset: tokenize every document (the chosen
  tokenizer, and any comparison tokenizers for counting only), append the ids to a temporary
  token file, return per document its id, token count and shuffle key, and the counts of the
  efficiency report;
* :func:`write_shard` - one shard of one domain: the documents it overlaps are read back from the
  token files (memory-mapped), cut into sequences (:mod:`curation.stages.tokenize_pack`) and
  written as a Megatron ``.bin``/``.idx`` pair (:mod:`curation.formats.token_shards`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from xxhash import xxh3_64_intdigest

from curation import schema as S
from curation import tokenizer as T
from curation.formats import token_shards as F
from curation.stages import tokenize_pack as P
from curation.stages.tokenizer_efficiency import Counts, text_counts, token_counts

log = logging.getLogger(__name__)

BATCH_ROWS = 256
"""Documents per ``encode_batch`` call."""


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs, sent once to the pool initializer."""

    tokenizer_file: str
    compare: tuple[str, ...]
    dtype: str
    seed: int
    units_dir: str


@dataclass
class _Tokenizer:
    tok: object  # tokenizers.Tokenizer
    unknown: np.ndarray
    fallback: np.ndarray


_STATE: dict[str, object] = {}


def init_worker(setup: WorkerSetup, single_threaded: bool = True) -> None:
    """Load the tokenizers of ``setup`` into this process (once per worker).

    A failure is kept and raised by the first task: a pool whose initializer raises would start
    replacement workers forever instead of failing.
    """
    if single_threaded:  # the pool is the parallelism: no Rust threads competing with it
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _STATE.clear()
    try:
        toks = []
        for source in (setup.tokenizer_file, *setup.compare):
            tok = T.load_tokenizer(source)
            unknown, fallback = T.token_classes(tok)
            toks.append(_Tokenizer(tok, unknown, fallback))
    except Exception as exc:  # raised again by the first task, in the driver
        _STATE["error"] = exc
        return
    _STATE.update(setup=setup, tokenizers=toks, mmaps={})


def _state() -> tuple[WorkerSetup, list[_Tokenizer]]:
    if "error" in _STATE:
        raise _STATE["error"]  # type: ignore[misc]
    return _STATE["setup"], _STATE["tokenizers"]  # type: ignore[return-value]


def unit_path(units_dir: str | Path, unit: int) -> Path:
    return Path(units_dir) / f"unit-{unit:06d}.tok"


@dataclass(frozen=True)
class EncodeTask:
    unit: int
    domain: str
    path: str  # a Parquet file of the dataset ...
    row_group: int  # ... and one of its row groups


@dataclass(frozen=True)
class EncodeResult:
    unit: int
    domain: str
    ids: list[str]
    n_tokens: np.ndarray  # int64, tokens of each document (no <eos>)
    keys: np.ndarray  # uint64 shuffle keys: xxh3_64(id, seed)
    counts: list[Counts]  # one per tokenizer: chosen first, then tokens.compare


def _ids_of(tok: object, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]  # type: ignore[attr-defined]


def encode_unit(task: EncodeTask) -> EncodeResult:
    """Tokenize one row group of a dataset file; the chosen tokenizer's ids go to
    ``unit-NNNNNN.tok``."""
    setup, toks = _state()
    dtype = np.dtype(setup.dtype).newbyteorder("<")
    ids: list[str] = []
    lengths: list[np.ndarray] = []
    counts = [Counts() for _ in toks]
    out = unit_path(setup.units_dir, task.unit)
    with open(out, "wb") as f:
        pf = pq.ParquetFile(task.path)
        batches = pf.iter_batches(BATCH_ROWS, row_groups=[task.row_group], columns=[S.ID, S.TEXT])
        for batch in batches:
            texts = batch.column(S.TEXT)
            plain = texts.to_pylist()
            ids.extend(batch.column(S.ID).to_pylist())
            base = text_counts(texts)
            for k, t in enumerate(toks):
                encoded = _ids_of(t.tok, plain)
                n = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
                flat = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(n.sum()))
                c = token_counts(flat, t.unknown, t.fallback)
                c.add(base)
                counts[k].add(c)
                if k == 0:
                    f.write(flat.astype(dtype).tobytes())
                    lengths.append(n)
    keys = np.fromiter(
        (xxh3_64_intdigest(i.encode("utf-8"), setup.seed) for i in ids),
        dtype=np.uint64,
        count=len(ids),
    )
    n_tokens = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    return EncodeResult(task.unit, task.domain, ids, n_tokens, keys, counts)


@dataclass(frozen=True)
class ShardTask:
    """One shard: the window of the domain's plan it covers, and where its documents' ids lie."""

    prefix: str
    plan: P.Plan  # the window (positions relative to the shard's first sequence)
    doc_unit: np.ndarray  # int64, per document of the window: its token file ...
    doc_offset: np.ndarray  # ... and the position of its first id there
    pad: int
    eos: int


def _unit_tokens(unit: int) -> np.ndarray:
    setup: WorkerSetup = _STATE["setup"]  # type: ignore[assignment]
    mmaps: dict[int, np.ndarray] = _STATE["mmaps"]  # type: ignore[assignment]
    if unit not in mmaps:
        path = unit_path(setup.units_dir, unit)
        dtype = np.dtype(setup.dtype).newbyteorder("<")
        mmaps[unit] = (
            np.memmap(path, dtype=dtype, mode="r") if path.stat().st_size else np.zeros(0, dtype)
        )
    return mmaps[unit]


def write_shard(task: ShardTask) -> tuple[str, np.ndarray]:
    """Write one shard; return its prefix and each sequence's ``next_token``."""
    setup, _ = _state()
    p = task.plan

    def doc_ids(d: int) -> np.ndarray:
        start = int(task.doc_offset[d])
        return _unit_tokens(int(task.doc_unit[d]))[start : start + int(p.doc_tokens[d])]

    filled = P.fill(p, 0, p.n_sequences, doc_ids, task.pad, task.eos, np.dtype(setup.dtype))
    starts = np.flatnonzero(p.seq_piece == 0) if p.mode == "pad" else np.arange(p.n_sequences)
    F.write_shard(task.prefix, filled.tokens, starts, np.dtype(setup.dtype))
    return task.prefix, filled.next_token


def release_mmaps() -> None:
    """Close the token files this process mapped (before they are deleted)."""
    mmaps = _STATE.get("mmaps")
    if isinstance(mmaps, dict):
        mmaps.clear()
