"""The token stage's local engine: the tasks of :mod:`curation.stages.token_encode` and
:mod:`curation.stages.token_output` on a pool of ``tokens.workers`` processes on one machine.

1. every unit (row group) tokenized by :func:`~curation.stages.token_encode.encode_unit`, its ids
   appended to a ``.tok`` file beside the unit's work file;
2. in this process, per domain: the documents' keys, ids and token counts read back, sorted by
   (key, id) and placed in one run (:func:`~curation.stages.token_output.place`);
3. every shard written by :func:`~curation.stages.token_output.write_shard` in a worker, its
   documents' ids read from the memory-mapped ``.tok`` files;
4. each domain's index parts joined (:func:`~curation.stages.token_output.concat_indexes`).

The Spark engine (:mod:`curation.spark.tokens`) calls the same functions; both write the same
bytes. This engine holds every document's key and token count of the dataset in memory (one
machine: fine for millions of documents; use Spark beyond).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from curation import schema as S
from curation.stages import token_encode as ENC
from curation.stages import token_output as O
from curation.storage import local_path

log = logging.getLogger(__name__)

_STATE: dict[str, object] = {}


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs, sent once to the pool initializer."""

    tokenizers: ENC.TokenizerSet
    layout: O.Layout
    work: str  # the work folder's URI (unit files)
    tokens: str  # the output folder's URI
    parts: str  # the index parts' URI


def init_worker(setup: WorkerSetup, single_threaded: bool = True) -> None:
    """Load the tokenizers of ``setup`` into this process (once per worker).

    A failure is kept and raised by the first task: a pool whose initializer raises would start
    replacement workers forever instead of failing."""
    if single_threaded:  # the pool is the parallelism: no Rust threads competing with it
        ENC.single_threaded()
    _STATE.clear()
    try:
        ENC.loaded(setup.tokenizers)
    except Exception as exc:  # raised again by the first task, in the parent
        _STATE["error"] = exc
        return
    _STATE.update(setup=setup, mmaps={})


def _setup() -> WorkerSetup:
    if "error" in _STATE:
        raise _STATE["error"]  # type: ignore[misc]
    return _STATE["setup"]  # type: ignore[return-value]


def encode(unit: ENC.Unit) -> ENC.UnitResult:
    setup = _setup()
    return ENC.encode_unit(unit, setup.tokenizers, setup.work, inline=False)


@dataclass(frozen=True)
class ShardTask:
    """One shard: the documents sent to it and where their ids lie."""

    domain: str
    shard: int
    totals: O.DomainTotals
    ids: list[str]
    position: np.ndarray
    start: np.ndarray
    n_tokens: np.ndarray
    unit: np.ndarray  # the unit whose .tok file holds the document's ids ...
    offset: np.ndarray  # ... and where they start there (in ids)


def _unit_tokens(unit: int) -> np.ndarray:
    setup = _setup()
    mmaps: dict[int, np.ndarray] = _STATE["mmaps"]  # type: ignore[assignment]
    if unit not in mmaps:
        path = local_path(ENC.tokens_file(setup.work, unit))
        dtype = np.dtype(setup.layout.dtype).newbyteorder("<")
        size = path.stat().st_size  # type: ignore[union-attr]
        mmaps[unit] = np.memmap(path, dtype=dtype, mode="r") if size else np.zeros(0, dtype)
    return mmaps[unit]


def write(task: ShardTask) -> O.Written:
    setup = _setup()

    def fetch(i: int) -> np.ndarray:
        a = int(task.offset[i])
        return _unit_tokens(int(task.unit[i]))[a : a + int(task.n_tokens[i])]

    return O.write_shard(
        setup.layout,
        task.totals,
        task.domain,
        task.shard,
        task.ids,
        task.position,
        task.start,
        task.n_tokens,
        fetch,
        setup.tokens,
        setup.parts,
    )


def release_mmaps() -> None:
    """Close the token files this process mapped (before they are deleted)."""
    mmaps = _STATE.get("mmaps")
    if isinstance(mmaps, dict):
        mmaps.clear()


@contextmanager
def _pool(workers: int, setup: WorkerSetup) -> Iterator[Callable[[Callable, Iterable], Iterator]]:
    """An unordered map over ``workers`` spawned processes, or this process when 1."""
    if workers <= 1:
        init_worker(setup, single_threaded=False)
        try:
            yield lambda fn, items: map(fn, items)
        finally:
            release_mmaps()
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=init_worker, initargs=(setup,)) as pool:
        yield lambda fn, items: pool.imap_unordered(fn, items, chunksize=1)


def _ordered(units: list[ENC.Unit], work: str) -> dict[str, pa.Table]:
    """Per domain, every document's id, key, token count and token file location, sorted by
    (key, id)."""
    tables = []
    for u in units:
        t = pq.read_table(
            local_path(ENC.unit_file(work, u.index)),
            columns=[S.ID, S.DOMAIN, S.ORDER_KEY, S.N_TOKENS],
        )
        n = np.asarray(t.column(S.N_TOKENS), np.int64)
        t = t.append_column("unit", pa.array(np.full(len(n), u.index, np.int64)))
        tables.append(t.append_column("offset", pa.array(np.cumsum(n) - n, pa.int64())))
    every = pa.concat_tables(tables)
    out = {}
    for domain in sorted(set(every.column(S.DOMAIN).to_pylist())):
        t = every.filter(pc.equal(every.column(S.DOMAIN), domain))
        out[domain] = t.take(pc.sort_indices(t, [(S.ORDER_KEY, "ascending"), (S.ID, "ascending")]))
    return out


def _shard_tasks(domain: str, t: pa.Table, layout: O.Layout) -> tuple[O.DomainTotals, list]:
    n_tokens = np.asarray(t.column(S.N_TOKENS), np.int64)
    start, position = O.place(n_tokens, 0, 0, layout)
    stream = int(O.P.spans(n_tokens, layout.context_length, layout.mode).sum())
    totals = O.DomainTotals(len(n_tokens), int(n_tokens.sum()), stream)
    n_shards = totals.shards(layout)
    lo, hi = O.shards_of(start, n_tokens, layout, n_shards)
    ids = t.column(S.ID).to_pylist()
    unit, offset = np.asarray(t.column("unit")), np.asarray(t.column("offset"))
    tasks = []
    for shard in range(n_shards):  # lo and hi grow with the order: one slice per shard
        a = int(np.searchsorted(hi, shard, side="left"))
        b = int(np.searchsorted(lo, shard, side="right"))
        tasks.append(
            ShardTask(
                domain,
                shard,
                totals,
                ids[a:b],
                position[a:b],
                start[a:b],
                n_tokens[a:b],
                unit[a:b],
                offset[a:b],
            )
        )
    return totals, tasks


def tokenize_and_write(
    units: list[ENC.Unit], setup: WorkerSetup, workers: int
) -> tuple[dict[str, O.DomainTotals], ENC.UnitResult]:
    """Every step on the pool; per-domain totals and the efficiency counts."""
    counts = ENC.UnitResult()
    workers = max(1, min(workers, len(units)))
    with _pool(workers, setup) as pmap:
        t0 = time.time()
        rows = sum(u.rows for u in units)
        with tqdm(total=rows, unit="docs", desc="tokenize", disable=None) as bar:
            for r in pmap(encode, units):
                counts.merge(r)
                bar.update(sum(c[0].documents for c in r.counts.values()))
        log.info(
            "tokenized %d row groups on %d workers in %.1fs", len(units), workers, time.time() - t0
        )
        totals, tasks = {}, []
        for domain, t in _ordered(units, setup.work).items():
            totals[domain], more = _shard_tasks(domain, t, setup.layout)
            tasks += more
        got: dict[str, tuple[int, int, int]] = {}
        for w in tqdm(
            pmap(write, tasks), total=len(tasks), unit="shards", desc="shards", disable=None
        ):
            g = got.get(w.domain, (0, 0, 0))
            got[w.domain] = (g[0] + 1, g[1] + w.sequences, g[2] + w.documents)
    O.check_written(totals, got, setup.layout)
    for domain, tot in totals.items():
        O.concat_indexes(setup.layout, tot, domain, setup.tokens, setup.parts)
    return totals, counts


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0))
