"""Token-ready output (stage 7): ``<run>/<tokens.dataset>`` -> ``<run>/tokens/``.

Steps, all inside one atomic stage folder (skipped when finished with the same fingerprint):

1. the tokenizer: trained (byte-level BPE, digits split) on a hash sample of the dataset's
   documents up to ``tokens.train_sample_bytes``, or loaded from ``tokens.tokenizer``; saved as
   ``tokens/tokenizer/tokenizer.json`` with ``<pad>`` and ``<eos>``;
2. every file of every domain tokenized by a pool of ``tokens.workers`` processes (one tokenizer
   per worker; :mod:`curation.pipeline.tokens_tasks`), ids appended to temporary token files;
3. per domain, documents shuffled by ``xxh3_64(id, tokens.seed)`` (ties by id: the order depends
   on nothing but the ids and the seed), laid out in sequences of ``tokens.context_length``
   (``pad`` or ``pack``; :mod:`curation.stages.tokenize_pack`);
4. shards of ``tokens.shard_sequences`` sequences written by the same pool, plus
   ``sequences.parquet`` and ``documents.parquet`` (:mod:`curation.formats.token_shards`);
5. ``mixture.json`` (domain -> sampling weight: proportional to tokens unless ``tokens.mixture``
   sets it), ``efficiency.md``/``.json`` (:mod:`curation.stages.tokenizer_efficiency`) and
   ``_MANIFEST.json`` (documents, tokens, sequences and padding per domain).

Equal inputs, config and seed give byte-identical shards for any number of workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation import runner
from curation import schema as S
from curation import tokenizer as T
from curation.config import PipelineConfig, TokensConfig
from curation.errors import CurationError
from curation.formats import token_shards as F
from curation.pipeline import tokens_tasks as W
from curation.run_layout import DATA, DATASET_1, DATASET_2, DATASET_3, TOKENS
from curation.runner import Build, Stage
from curation.stages import tokenize_pack as P
from curation.stages import tokenizer_efficiency as E
from curation.storage import LocalStorage, join, local_path, normalize_uri, require_local_run

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
EFFICIENCY = "efficiency"
_WORK = "_work"


DATASETS = (DATASET_1, DATASET_2, DATASET_3)


class TokensInputError(CurationError, ValueError):
    """The dataset or the token config cannot produce token output (empty dataset or domain, a
    mixture naming domains the dataset lacks). The message says which and what to do."""


# --- input -----------------------------------------------------------------------------------------


def inventory(run_uri: str, dataset: str) -> dict[str, list[tuple[str, int, int]]]:
    """domain -> its Parquet files as (path, rows, bytes), largest first; checks none is empty."""
    root = local_path(join(run_uri, dataset, DATA))
    if root is None:
        raise TokensInputError(f"{run_uri}: the token stage reads local run folders only")
    out: dict[str, list[tuple[str, int, int]]] = {}
    if root.is_dir():
        for folder in sorted(root.glob("domain=*")):
            files = []
            for f in sorted(folder.glob("*.parquet")):
                files.append((str(f), pq.ParquetFile(f).metadata.num_rows, f.stat().st_size))
            out[folder.name.split("=", 1)[1]] = sorted(files, key=lambda x: (-x[2], x[0]))
    if not out or sum(rows for files in out.values() for _, rows, _ in files) == 0:
        raise TokensInputError(
            f"{join(run_uri, dataset)} holds no documents: nothing to tokenize (check that the "
            "earlier stages kept any, or point tokens.dataset at another dataset)"
        )
    empty = [d for d, files in out.items() if sum(rows for _, rows, _ in files) == 0]
    if empty:
        raise TokensInputError(
            f"domain(s) {', '.join(empty)} of {join(run_uri, dataset)} have zero documents: a "
            "domain with nothing to sample cannot be part of the mixture; remove its folder "
            "or rebuild the dataset"
        )
    return out


def mixture_weights(tokens: dict[str, int], configured: dict[str, float]) -> dict[str, float]:
    """Sampling weight per domain (sums to 1): ``configured`` (normalised) or tokens' shares."""
    if configured:
        unknown = sorted(set(configured) - set(tokens))
        if unknown:
            raise TokensInputError(
                f"tokens.mixture names domain(s) {', '.join(unknown)} that have no documents in "
                f"the dataset; its domains are: {', '.join(sorted(tokens))}"
            )
        missing = sorted(set(tokens) - set(configured))
        if missing:
            raise TokensInputError(
                f"tokens.mixture gives no weight to domain(s) {', '.join(missing)}: give every "
                "domain a weight (0 leaves one out of sampling)"
            )
        raw = {d: float(configured[d]) for d in sorted(tokens)}
    else:
        raw = {d: float(n) for d, n in sorted(tokens.items())}
    total = sum(raw.values())
    if total <= 0:
        raise TokensInputError("the mixture weights sum to 0: no domain could ever be sampled")
    return {d: w / total for d, w in raw.items()}


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_source(tc: TokensConfig) -> str | None:
    """Fail early on a tokenizer that cannot be loaded or a vocabulary too large; return the
    tokenizer file's hash (None when trained)."""
    for other in tc.compare:
        T.tokenizer_file(other)
    if tc.tokenizer == T.TRAIN:
        F.dtype_for_vocab(tc.vocab_size)
        return None
    path = T.tokenizer_file(tc.tokenizer)
    F.dtype_for_vocab(T.vocab_size(T.load_tokenizer(tc.tokenizer)))
    return _file_sha256(path)


# --- the tokenizer ---------------------------------------------------------------------------------


def _training_texts(
    files: list[str], budget: int, seed: int = 0
) -> tuple[Iterator[str], int, dict]:
    """Texts of the tokenizer's training sample (:func:`curation.tokenizer.training_sample`):
    the documents with the smallest ``xxh64(id, seed)`` up to ``budget`` UTF-8 bytes, each cut
    to the sample's per-document cap; with the sample's documents, bytes and cap."""
    hashes, sizes = [], []
    for path in files:
        t = pq.read_table(path, columns=[S.ID, S.TEXT])
        hashes.append(T.sample_hashes(t.column(S.ID).to_pylist(), seed))
        sizes.append(np.asarray(pc.binary_length(t.column(S.TEXT)), dtype=np.int64))
    h, size = np.concatenate(hashes), np.concatenate(sizes)
    cut, cap = T.training_sample(h, size, budget)
    chosen = h <= cut
    info = {
        "documents": int(chosen.sum()),
        "bytes": int(np.minimum(size[chosen], cap).sum()),
        "cut_documents": int((size[chosen] > cap).sum()),
        "cap_bytes": cap,
    }

    def texts() -> Iterator[str]:
        for path, hs in zip(files, hashes, strict=True):
            keep = np.flatnonzero(hs <= cut)
            if len(keep):
                col = pq.read_table(path, columns=[S.TEXT]).column(S.TEXT)
                for text in col.take(pa.array(keep)).to_pylist():
                    yield T.cap_text(text, cap)

    return texts(), info["documents"], info


def build_tokenizer(tc: TokensConfig, files: list[str]):  # -> tokenizers.Tokenizer
    """Train on the hash sample (``tokens.tokenizer: train``) or load ``tokens.tokenizer``.

    A trained vocabulary smaller than ``tokens.vocab_size`` (too little distinct text in the
    sample) is logged as a warning that says what to change."""
    if tc.tokenizer != T.TRAIN:
        return T.load_tokenizer(tc.tokenizer)
    texts, n, info = _training_texts(files, tc.train_sample_bytes, tc.seed)
    log.info(
        "training a %d-token byte-level BPE on %d documents (%d bytes; %d cut to %d bytes)",
        tc.vocab_size, n, info["bytes"], info["cut_documents"], info["cap_bytes"],
    )  # fmt: skip
    tok = T.train_bpe(texts, tc.vocab_size, length=n)
    got = T.vocab_size(tok)
    if got < tc.vocab_size:
        log.warning("%s", short_vocabulary_message(got, tc.vocab_size, info))
    return tok


def short_vocabulary_message(got: int, asked: int, sample: dict) -> str:
    """One line: the trained vocabulary is smaller than asked, why, and what to change."""
    return (
        f"the trained tokenizer has only {got:,} tokens (tokens.vocab_size asks for {asked:,}): "
        f"its training sample ({sample['documents']:,} documents, {sample['bytes']:,} bytes) "
        "holds too little distinct text; raise tokens.train_sample_bytes, add documents, or "
        "lower tokens.vocab_size"
    )


# --- the pool --------------------------------------------------------------------------------------


def n_workers(tc: TokensConfig) -> int:
    return tc.workers or len(os.sched_getaffinity(0))


@contextmanager
def _pool(workers: int, setup: W.WorkerSetup) -> Iterator[Callable[[Callable, Iterable], Iterator]]:
    """An unordered map over ``workers`` spawned processes, or this process when 1."""
    if workers <= 1:
        W.init_worker(setup, single_threaded=False)
        try:
            yield lambda fn, items: map(fn, items)
        finally:
            W.release_mmaps()
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=W.init_worker, initargs=(setup,)) as pool:
        yield lambda fn, items: pool.imap_unordered(fn, items, chunksize=1)


# --- the stage -------------------------------------------------------------------------------------


def _shuffle(results: list[W.EncodeResult]) -> tuple[np.ndarray, ...]:
    """One domain's documents in shuffled order: ids, tokens, token file, offset there."""
    ids = np.array([i for r in results for i in r.ids], dtype=object)
    n_tokens = np.concatenate([r.n_tokens for r in results])
    keys = np.concatenate([r.keys for r in results])
    unit = np.concatenate([np.full(len(r.ids), r.unit, np.int64) for r in results])
    offset = np.concatenate([np.cumsum(r.n_tokens) - r.n_tokens for r in results])
    order = np.lexsort((ids.astype(str), keys))
    return ids[order], n_tokens[order], unit[order], offset[order]


def _shard_tasks(
    domain_dir: Path, p: P.Plan, unit: np.ndarray, offset: np.ndarray, per_shard: int, ids
) -> list[W.ShardTask]:
    tasks = []
    for shard, first in enumerate(range(0, p.n_sequences, per_shard)):
        stop = min(first + per_shard, p.n_sequences)
        window, d0 = p.window(first, stop)
        d1 = d0 + len(window.doc_tokens)
        tasks.append(
            W.ShardTask(
                str(F.shard_prefix(domain_dir, shard)),
                window,
                unit[d0:d1],
                offset[d0:d1],
                ids.pad,
                ids.eos,
            )
        )
    return tasks


def _write_indexes(
    domain_dir: Path, p: P.Plan, doc_ids: np.ndarray, next_token: np.ndarray, per_shard: int
) -> None:
    seq = np.arange(p.n_sequences, dtype=np.int64)
    sequences = pa.table(
        {
            "sequence": seq,
            "shard": (seq // per_shard).astype(np.int32),
            "row": seq % per_shard,
            "id": pa.array(doc_ids[p.seq_doc].tolist(), pa.string()),
            "piece": p.seq_piece,
            "tokens": p.seq_real.astype(np.int32),
            "next_token": next_token,
        },
        schema=F.SEQUENCES_SCHEMA,
    )
    documents = pa.table(
        {
            "id": pa.array(doc_ids.tolist(), pa.string()),
            "position": np.arange(len(doc_ids), dtype=np.int64),
            "sequence": p.doc_first_seq,
            "offset": (p.doc_start % p.context_length).astype(np.int32),
            "tokens": p.doc_tokens,
            "pieces": p.doc_pieces,
        },
        schema=F.DOCUMENTS_SCHEMA,
    )
    pq.write_table(sequences, domain_dir / F.SEQUENCES)
    pq.write_table(documents, domain_dir / F.DOCUMENTS)


def _domain_manifest(p: P.Plan, shards: int) -> dict:
    positions = p.n_sequences * p.context_length
    tokens = int(p.doc_tokens.sum())
    docs = len(p.doc_tokens)
    padding = positions - tokens - docs
    return {
        "documents": docs,
        "tokens": tokens,
        "eos": docs,
        "sequences": p.n_sequences,
        "shards": shards,
        "positions": positions,
        "padding": padding,
        "padding_fraction": padding / positions if positions else 0.0,
    }


def tokenize_and_write(
    files: dict[str, list[tuple[str, int, int]]],
    out: Path,
    tc: TokensConfig,
    setup: W.WorkerSetup,
    special: T.SpecialIds,
) -> tuple[dict[str, dict], list[dict[str, E.Counts]]]:
    """Steps 2-4 into ``out``: per-domain manifest entries and efficiency counts per tokenizer."""
    tasks = [W.EncodeTask(i, *u) for i, u in enumerate(_units(files))]
    Path(setup.units_dir).mkdir(parents=True, exist_ok=True)
    workers = min(n_workers(tc), len(tasks))
    per_domain: dict[str, dict] = {}
    counts: list[dict[str, E.Counts]] = [{} for _ in range(1 + len(setup.compare))]
    with _pool(workers, setup) as pmap:
        t0 = time.time()
        results: dict[str, list[W.EncodeResult]] = {d: [] for d in files}
        for r in pmap(W.encode_unit, tasks):
            results[r.domain].append(r)
            for k, c in enumerate(r.counts):
                counts[k].setdefault(r.domain, E.Counts()).add(c)
        log.info(
            "tokenized %d row groups on %d workers in %.1fs", len(tasks), workers, time.time() - t0
        )
        plans, shard_tasks = {}, []
        for domain, rs in results.items():
            rs.sort(key=lambda r: r.unit)
            ids, n_tokens, unit, offset = _shuffle(rs)
            p = P.plan(n_tokens, tc.context_length, tc.mode)
            ddir = F.domain_dir(out, domain)
            ddir.mkdir(parents=True, exist_ok=True)
            plans[domain] = (p, ids, ddir)
            shard_tasks += _shard_tasks(ddir, p, unit, offset, tc.shard_sequences, special)
        next_tokens: dict[str, np.ndarray] = dict(pmap(W.write_shard, shard_tasks))
    for domain, (p, ids, ddir) in plans.items():
        prefixes = [str(F.shard_prefix(ddir, s)) for s in range(_n_shards(p, tc))]
        nxt = np.concatenate([next_tokens[x] for x in prefixes]) if prefixes else np.zeros(0)
        _write_indexes(ddir, p, ids, nxt.astype(np.int64), tc.shard_sequences)
        per_domain[domain] = _domain_manifest(p, len(prefixes))
    shutil.rmtree(setup.units_dir, ignore_errors=True)
    return per_domain, counts


def _units(files: dict[str, list[tuple[str, int, int]]]) -> list[tuple[str, str, int]]:
    """(domain, file, row group) of every non-empty row group, largest first (so that the
    workers finish together: a small one is what is left for the last)."""
    units = []
    for domain, fs in files.items():
        for path, _, _ in fs:
            meta = pq.ParquetFile(path).metadata
            for g in range(meta.num_row_groups):
                rg = meta.row_group(g)
                if rg.num_rows:
                    units.append((-rg.total_byte_size, path, g, domain))
    return [(domain, path, g) for _, path, g, domain in sorted(units)]


def _n_shards(p: P.Plan, tc: TokensConfig) -> int:
    return (p.n_sequences + tc.shard_sequences - 1) // tc.shard_sequences


def _tokenizer_meta(source: str, tok, chosen: bool) -> dict:
    vocab = T.vocab_size(tok)
    name = f"bpe-{vocab} (trained)" if source == T.TRAIN else source
    return {"name": name, "source": source, "vocab_size": vocab, "chosen": chosen}


def _check(ctx: Build) -> None:
    """Fail before any work on a tokenizer that cannot be loaded, a vocabulary too large, an
    empty dataset or domain, or a mixture that does not fit the dataset's domains."""
    tc = ctx.cfg.tokens
    _check_source(tc)
    files = inventory(ctx.run, tc.dataset)
    if tc.mixture:
        mixture_weights({d: 1 for d in files}, tc.mixture)


def _inputs(ctx: Build) -> dict:
    """What the config cannot say: the hash of a tokenizer file that is loaded, not trained."""
    return {"tokenizer_sha256": _check_source(ctx.cfg.tokens), "format": FORMAT_VERSION}


def build(ctx: Build) -> dict:
    """Tokenizer, token shards, indexes, mixture, efficiency report; the manifest."""
    t0 = time.time()
    tc = ctx.cfg.tokens
    source = ctx.parent(tc.dataset)
    files = inventory(ctx.run, tc.dataset)
    out = local_path(ctx.out)
    all_files = [path for fs in files.values() for path, _, _ in sorted(fs)]
    tok = build_tokenizer(tc, all_files)
    special = T.with_specials(tok)
    vocab = T.vocab_size(tok)
    dtype = F.dtype_for_vocab(vocab)
    tok_file = out / F.TOKENIZER_DIR / T.TOKENIZER_FILE
    tok_file.parent.mkdir(parents=True)
    tok.save(str(tok_file))
    setup = W.WorkerSetup(str(tok_file), tc.compare, dtype.name, tc.seed, str(out / _WORK))
    per_domain, counts = tokenize_and_write(files, out, tc, setup, special)
    mixture = mixture_weights({d: m["tokens"] for d, m in per_domain.items()}, tc.mixture)
    (out / F.MIXTURE).write_text(json.dumps(mixture, indent=2) + "\n")
    metas = [_tokenizer_meta(tc.tokenizer, tok, True)]
    metas += [_tokenizer_meta(c, T.load_tokenizer(c), False) for c in tc.compare]
    efficiency = E.report(metas, counts)
    (out / f"{EFFICIENCY}.json").write_text(json.dumps(efficiency, indent=1) + "\n")
    (out / f"{EFFICIENCY}.md").write_text(E.markdown(efficiency))
    manifest = _manifest(tc, per_domain, mixture, efficiency, vocab, dtype, special, source)
    manifest["elapsed_s"] = round(time.time() - t0, 2)
    return manifest


def stage(cfg: PipelineConfig) -> Stage:
    """The token stage of ``cfg`` (its parent is the dataset ``tokens.dataset`` names)."""
    if cfg.tokens.dataset not in DATASETS:
        raise TokensInputError(
            f"tokens.dataset must name one of the run's datasets ({', '.join(DATASETS)}), "
            f"got {cfg.tokens.dataset!r}"
        )
    return Stage(
        TOKENS,
        build,
        kind="output",
        parents=(cfg.tokens.dataset,),
        reads=("tokens",),
        version=2,  # 2: the tokenizer's training sample keyed by tokens.seed, capped per document
        inputs=_inputs,
        check=_check,
        description="token-ready output",
    )


def run(run_path: str, cfg: PipelineConfig) -> dict:
    """Build ``<run>/tokens`` from ``<run>/<tokens.dataset>`` (skipped when finished)."""
    run_uri = normalize_uri(run_path)
    require_local_run(run_uri, "the token stage")
    return runner.run([stage(cfg)], run_uri, cfg, LocalStorage())[TOKENS]


def _manifest(tc, per_domain, mixture, efficiency, vocab, dtype, special, source) -> dict:
    keys = ("documents", "tokens", "eos", "sequences", "shards", "positions", "padding")
    total = {k: sum(m[k] for m in per_domain.values()) for k in keys}
    total["padding_fraction"] = total["padding"] / total["positions"] if total["positions"] else 0
    chosen = efficiency["tokenizers"][0]
    for d, m in per_domain.items():
        m["chars_per_token"] = chosen["per_domain"][d]["chars_per_token"]
        m["tokens_per_word"] = chosen["per_domain"][d]["tokens_per_word"]
        m["weight"] = mixture[d]
    return {
        "stage": TOKENS,
        "dataset": tc.dataset,
        "dataset_fingerprint": source.manifest().get("fingerprint"),
        "format": {
            "name": "megatron-indexed-dataset",
            "version": FORMAT_VERSION,
            "dtype": dtype.name,
            "context_length": tc.context_length,
            "mode": tc.mode,
            "shard_sequences": tc.shard_sequences,
        },
        "tokenizer": {
            "source": tc.tokenizer,
            "file": f"{F.TOKENIZER_DIR}/{T.TOKENIZER_FILE}",
            "vocab_size": vocab,
            "vocab_requested": tc.vocab_size if tc.tokenizer == T.TRAIN else None,
            "pad_id": special.pad,
            "eos_id": special.eos,
        },
        **total,
        "per_domain": per_domain,
        "mixture": mixture,
        "config": asdict(tc),
    }


def summary_table(manifest: dict) -> str:
    """Per domain: documents, tokens, sequences, padding, chars/token, mixture weight."""
    head = (
        f"{'domain':<18}{'docs':>9}{'tokens':>14}{'sequences':>11}{'padding':>9}"
        f"{'chars/tok':>11}{'tok/word':>10}{'weight':>8}"
    )
    fmt = manifest["format"]
    lines = [
        f"Tokens ({manifest['dataset']}, N={fmt['context_length']}, {fmt['mode']}, "
        f"vocab {manifest['tokenizer']['vocab_size']:,}, {fmt['dtype']})",
        head,
        "-" * len(head),
    ]
    asked = manifest["tokenizer"].get("vocab_requested")
    if asked and manifest["tokenizer"]["vocab_size"] < asked:
        lines.insert(
            1,
            f"WARNING: the trained vocabulary has {manifest['tokenizer']['vocab_size']:,} tokens, "
            f"tokens.vocab_size asks for {asked:,}: raise tokens.train_sample_bytes or lower "
            "tokens.vocab_size",
        )
    for d, m in manifest["per_domain"].items():
        lines.append(
            f"{d:<18}{m['documents']:>9,}{m['tokens']:>14,}{m['sequences']:>11,}"
            f"{100 * m['padding_fraction']:>8.1f}%{m['chars_per_token']:>11.3f}"
            f"{m['tokens_per_word']:>10.3f}{m['weight']:>8.3f}"
        )
    lines.append(
        f"{'TOTAL':<18}{manifest['documents']:>9,}{manifest['tokens']:>14,}"
        f"{manifest['sequences']:>11,}{100 * manifest['padding_fraction']:>8.1f}%"
    )
    return "\n".join(lines)
