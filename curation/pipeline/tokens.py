"""Token-ready output (stage 7): ``<run>/<tokens.dataset>`` -> ``<run>/tokens/``.

Steps, all inside one atomic stage folder (skipped when finished with the same fingerprint):

1. the tokenizer, on the driver: trained (byte-level BPE, digits split) on a hash sample of the
   dataset's documents up to ``tokens.train_sample_bytes`` (each document capped, see
   :func:`curation.tokenizer.training_sample`), or loaded from ``tokens.tokenizer``; saved as
   ``tokens/tokenizer/tokenizer.json`` with ``<pad>`` and ``<eos>``;
2. every unit (Parquet row group) of the dataset tokenized by one task
   (:func:`curation.stages.token_encode.encode_unit`);
3. per domain, documents shuffled by ``xxh3_64(id, tokens.seed)`` (ties by id: the order depends
   on nothing but the ids and the seed) and placed in the domain's stream of sequences of
   ``tokens.context_length`` (``pad`` or ``pack``; :mod:`curation.stages.tokenize_pack`);
4. shards of ``tokens.shard_sequences`` sequences, each written by one task with its rows of
   ``sequences.parquet`` and ``documents.parquet`` (:mod:`curation.stages.token_output`,
   :mod:`curation.formats.token_shards`);
5. ``mixture.json`` (domain -> sampling weight: proportional to tokens unless ``tokens.mixture``
   sets it), ``efficiency.md``/``.json`` (:mod:`curation.stages.tokenizer_efficiency`) and
   ``_MANIFEST.json`` (documents, tokens, sequences and padding per domain), from counts summed
   by the tasks.

Engines: with a SparkSession (``--engine spark``) steps 2-4 run on the executors
(:mod:`curation.spark.tokens`) and the run folder may be on any Hadoop path; without one, on a
pool of ``tokens.workers`` local processes (:mod:`curation.pipeline.tokens_tasks`, a local run
folder). Both call the same functions and write byte-identical shards and indexes, for any number
of workers, tasks or partitions.

What the driver holds on Spark: the tokenizer's training texts (at most
``tokens.train_sample_bytes``, plus one document when even the first does not fit), at most
``EXACT`` (hash, size) pairs while the sample's cut is searched, the tokenizers, the dataset's file
list and ``domains x tokens.order_buckets`` sums - never anything per document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation import runner
from curation import schema as S
from curation import tokenizer as TOK
from curation.config import PipelineConfig, TokensConfig
from curation.errors import CurationError
from curation.formats import token_shards as TS
from curation.pipeline import tokens_tasks as W
from curation.run_layout import DATA, DATASET_1, DATASET_2, DATASET_3, TOKENS
from curation.runner import Build, Stage
from curation.stages import token_encode as TE
from curation.stages import token_output as O
from curation.stages import tokenizer_efficiency as EFF
from curation.storage import (
    Storage,
    arrow_filesystem,
    join,
    normalize_uri,
    require_local_run,
    storage_for,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
EFFICIENCY = "efficiency"
_WORK = "_work"
_ENCODED = "encoded"
_FOOTER_THREADS = 16


DATASETS = (DATASET_1, DATASET_2, DATASET_3)


class TokensInputError(CurationError, ValueError):
    """The dataset or the token config cannot produce token output (empty dataset or domain, a
    mixture naming domains the dataset lacks). The message says which and what to do."""


# --- input -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetFile:
    """One Parquet file of the dataset: its URI, rows, bytes and row groups' (rows, bytes)."""

    path: str
    rows: int
    bytes: int
    row_groups: tuple[tuple[int, int], ...]


def _footer(path: str, size: int) -> DatasetFile:
    fs, p = arrow_filesystem(path)
    with fs.open_input_file(p) as f:
        meta = pq.ParquetFile(f).metadata
    groups = tuple(
        (meta.row_group(g).num_rows, meta.row_group(g).total_byte_size)
        for g in range(meta.num_row_groups)
    )
    return DatasetFile(path, meta.num_rows, size, groups)


def inventory(storage: Storage, run_uri: str, dataset: str) -> dict[str, list[DatasetFile]]:
    """domain -> its Parquet files (largest first); checks that none is empty.

    Listed through ``storage`` (any run folder), footers read through pyarrow in a few threads:
    what the driver holds is the file list."""
    root = join(run_uri, dataset, DATA)
    entries = []
    if storage.exists(root):
        for e in storage.list_files(root):
            folder, name = e.path.rsplit("/", 2)[-2:]
            if folder.startswith("domain=") and name.endswith(".parquet") and name[0] not in "._":
                entries.append((folder.split("=", 1)[1], e))
    with ThreadPoolExecutor(_FOOTER_THREADS) as pool:
        footers = list(pool.map(lambda de: _footer(de[1].path, de[1].size), entries))
    out: dict[str, list[DatasetFile]] = {}
    for (domain, _), f in zip(entries, footers, strict=True):
        out.setdefault(domain, []).append(f)
    out = {d: sorted(fs, key=lambda f: (-f.bytes, f.path)) for d, fs in sorted(out.items())}
    if not out or sum(f.rows for fs in out.values() for f in fs) == 0:
        raise TokensInputError(
            f"{join(run_uri, dataset)} holds no documents: nothing to tokenize (check that the "
            "earlier stages kept any, or point tokens.dataset at another dataset)"
        )
    empty = [d for d, fs in out.items() if sum(f.rows for f in fs) == 0]
    if empty:
        raise TokensInputError(
            f"domain(s) {', '.join(empty)} of {join(run_uri, dataset)} have zero documents: a "
            "domain with nothing to sample cannot be part of the mixture; remove its folder "
            "or rebuild the dataset"
        )
    return out


def units(files: dict[str, list[DatasetFile]]) -> list[TE.Unit]:
    """Every non-empty row group as a unit of work, largest first (so that the tasks finish
    together: a small one is what is left for the last)."""
    found = []
    for domain, fs in files.items():
        for f in fs:
            for g, (rows, size) in enumerate(f.row_groups):
                if rows:
                    found.append((-size, f.path, g, domain, rows))
    return [
        TE.Unit(i, domain, path, g, rows)
        for i, (_, path, g, domain, rows) in enumerate(sorted(found))
    ]


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
        TOK.tokenizer_file(other)
    if tc.tokenizer == TOK.TRAIN:
        TS.dtype_for_vocab(tc.vocab_size)
        return None
    path = TOK.tokenizer_file(tc.tokenizer)
    TS.dtype_for_vocab(TOK.vocab_size(TOK.load_tokenizer(tc.tokenizer)))
    return _file_sha256(path)


# --- the tokenizer ---------------------------------------------------------------------------------


def _training_texts(
    files: list[str], budget: int, seed: int = 0
) -> tuple[Iterator[str], int, dict]:
    """Texts of the tokenizer's training sample (:func:`curation.tokenizer.training_sample`):
    the documents with the smallest ``xxh64(id, seed)`` up to ``budget`` UTF-8 bytes, each cut
    to the sample's per-document cap, in (hash, id) order (as the Spark engine streams them);
    with the sample's documents, bytes and cap. ``files``: paths or URIs."""

    def read(path: str, columns: list[str]) -> pa.Table:
        fs, p = arrow_filesystem(path)
        with fs.open_input_file(p) as f:
            return pq.read_table(f, columns=columns)

    hashes, sizes = [], []
    for path in files:
        t = read(path, [S.ID, S.TEXT])
        hashes.append(TOK.sample_hashes(t.column(S.ID).to_pylist(), seed))
        sizes.append(np.asarray(pc.binary_length(t.column(S.TEXT)), dtype=np.int64))
    h, size = np.concatenate(hashes), np.concatenate(sizes)
    cut, cap = TOK.training_sample(h, size, budget)
    chosen = h <= cut
    info = {
        "documents": int(chosen.sum()),
        "bytes": int(np.minimum(size[chosen], cap).sum()),
        "cut_documents": int((size[chosen] > cap).sum()),
        "cap_bytes": cap,
    }
    sample: list[tuple[int, str, str]] = []
    for path, hs in zip(files, hashes, strict=True):
        keep = np.flatnonzero(hs <= cut)
        if len(keep):
            t = read(path, [S.ID, S.TEXT]).take(pa.array(keep))
            sample += [
                (int(x), i, TOK.cap_text(text, cap))
                for x, i, text in zip(
                    hs[keep], t.column(S.ID).to_pylist(), t.column(S.TEXT).to_pylist(), strict=True
                )
            ]
    sample.sort(key=lambda r: (r[0], r[1].encode("utf-8")))
    return (text for _, _, text in sample), info["documents"], info


def build_tokenizer(tc: TokensConfig, files: list[str], spark=None, run_uri: str = ""):  # noqa: ANN001, ANN201
    """Train on the hash sample (``tokens.tokenizer: train``) or load ``tokens.tokenizer``; the
    sample is gathered on the executors when ``spark`` is given (only its texts reach here).

    A trained vocabulary smaller than ``tokens.vocab_size`` (too little distinct text in the
    sample) is logged as a warning that says what to change."""
    if tc.tokenizer != TOK.TRAIN:
        return TOK.load_tokenizer(tc.tokenizer)
    if spark is not None:
        from curation.spark import tokens as spark_tokens
        from curation.spark.writers import read_dataset

        docs = read_dataset(spark, run_uri, tc.dataset)
        texts, info = spark_tokens.training_texts(spark, docs, tc.train_sample_bytes, tc.seed)
        n = info["documents"]
    else:
        texts, n, info = _training_texts(files, tc.train_sample_bytes, tc.seed)
    log.info(
        "training a %d-token byte-level BPE on %d documents (%d bytes; %d cut to %d bytes)",
        tc.vocab_size,
        n,
        info["bytes"],
        info["cut_documents"],
        info["cap_bytes"],
    )
    tok = TOK.train_bpe(texts, tc.vocab_size, length=n)
    got = TOK.vocab_size(tok)
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


# --- the stage -------------------------------------------------------------------------------------


def n_workers(tc: TokensConfig) -> int:
    """Processes of the local engine: ``tokens.workers``, or one per core."""
    return tc.workers or W.default_workers()


def _domain_manifest(t: O.DomainTotals, layout: O.Layout) -> dict:
    sequences = t.sequences(layout)
    positions = sequences * layout.context_length
    padding = positions - t.tokens - t.documents
    return {
        "documents": t.documents,
        "tokens": t.tokens,
        "eos": t.documents,
        "sequences": sequences,
        "shards": t.shards(layout),
        "positions": positions,
        "padding": padding,
        "padding_fraction": padding / positions if positions else 0.0,
    }


def _conserved(files: dict[str, list[DatasetFile]], totals: dict[str, O.DomainTotals]) -> None:
    """Every document of the dataset is in the output, once."""
    for domain, fs in files.items():
        rows = sum(f.rows for f in fs)
        got = totals[domain].documents if domain in totals else 0
        if got != rows:
            raise RuntimeError(f"domain {domain}: {rows} documents in the dataset, {got} placed")
    extra = sorted(set(totals) - set(files))
    if extra:
        raise RuntimeError(f"documents of domain(s) {extra} that the dataset does not list")


def _tokenizer_meta(source: str, tok, chosen: bool) -> dict:
    vocab = TOK.vocab_size(tok)
    name = f"bpe-{vocab} (trained)" if source == TOK.TRAIN else source
    return {"name": name, "source": source, "vocab_size": vocab, "chosen": chosen}


def _check(ctx: Build) -> None:
    """Fail before any work on a tokenizer that cannot be loaded, a vocabulary too large, an
    empty dataset or domain, or a mixture that does not fit the dataset's domains."""
    tc = ctx.cfg.tokens
    _check_source(tc)
    files = inventory(ctx.storage, ctx.run, tc.dataset)
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
    files = inventory(ctx.storage, ctx.run, tc.dataset)
    all_files = [f.path for fs in files.values() for f in sorted(fs, key=lambda f: f.path)]
    tok = build_tokenizer(tc, all_files, ctx.spark, ctx.run)
    special = TOK.with_specials(tok)
    vocab = TOK.vocab_size(tok)
    dtype = TS.dtype_for_vocab(vocab)
    tok_json = tok.to_str(pretty=True)
    ctx.storage.write_text(ctx.path(TS.TOKENIZER_DIR, TOK.TOKENIZER_FILE), tok_json)
    compare = tuple(TOK.tokenizer_file(c).read_text(encoding="utf-8") for c in tc.compare)
    tokenizers = TE.TokenizerSet(tok_json, compare, dtype.name, tc.seed)
    layout = O.Layout(
        tc.context_length, tc.mode, tc.shard_sequences, special.pad, special.eos, dtype.name
    )
    work = ctx.path(_WORK)
    encoded, parts = join(work, _ENCODED), join(work, O.PARTS)
    todo = units(files)
    if ctx.spark is not None:
        from curation.spark import tokens as spark_tokens

        totals, counts = spark_tokens.tokenize_and_write(
            ctx.spark, todo, tokenizers, layout, encoded, ctx.out, parts, tc.order_buckets
        )
    else:
        setup = W.WorkerSetup(tokenizers, layout, encoded, ctx.out, parts)
        totals, counts = W.tokenize_and_write(todo, setup, n_workers(tc))
    ctx.storage.delete(work)
    _conserved(files, totals)
    per_domain = {d: _domain_manifest(totals[d], layout) for d in sorted(totals)}
    mixture = mixture_weights({d: m["tokens"] for d, m in per_domain.items()}, tc.mixture)
    ctx.storage.write_text(ctx.path(TS.MIXTURE), json.dumps(mixture, indent=2) + "\n")
    metas = [_tokenizer_meta(tc.tokenizer, tok, True)]
    metas += [_tokenizer_meta(c, TOK.load_tokenizer(c), False) for c in tc.compare]
    by_tokenizer = [{d: cs[k] for d, cs in counts.counts.items()} for k in range(len(metas))]
    efficiency = EFF.report(metas, by_tokenizer)
    ctx.storage.write_text(ctx.path(f"{EFFICIENCY}.json"), json.dumps(efficiency, indent=1) + "\n")
    ctx.storage.write_text(ctx.path(f"{EFFICIENCY}.md"), EFF.markdown(efficiency))
    manifest = _manifest(tc, per_domain, mixture, efficiency, vocab, dtype, special, source)
    manifest["engine"] = "spark" if ctx.spark is not None else "local"
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


def run(run_path: str, cfg: PipelineConfig, spark=None) -> dict:  # noqa: ANN001
    """Build ``<run>/tokens`` from ``<run>/<tokens.dataset>`` (skipped when finished): on Spark
    when ``spark`` is given (any Hadoop path), else on a local process pool (a local run)."""
    run_uri = normalize_uri(run_path)
    if spark is None:
        require_local_run(run_uri, "the token stage without Spark (--engine spark takes any path)")
    return runner.run([stage(cfg)], run_uri, cfg, storage_for(run_uri, spark), spark=spark)[TOKENS]


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
            "file": f"{TS.TOKENIZER_DIR}/{TOK.TOKENIZER_FILE}",
            "vocab_size": vocab,
            "vocab_requested": tc.vocab_size if tc.tokenizer == TOK.TRAIN else None,
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
