"""A synthetic run for scale tests and benchmarks: a finished Dataset-1 and its embeddings.

**The vectors are synthetic** (random, not computed by a model): they exist so the stages after the
embeddings (Dataset-2, Dataset-3, tokens) can be run and measured on any number of documents
without embedding them first. Never use them to judge an embedder or a threshold.

What it writes, in the run layout the real stages write (../shared/docs/run-layout.md), so the
later stages run on it unchanged:

* ``dataset-1/data/domain=<d>/part-NNNNN.parquet``: :data:`~curation.schema.RECORD_SCHEMA` rows of
  short generated text; ``dataset-1/removed/part-00000.parquet``: an empty ledger (a synthetic
  Dataset-1 removes nothing); manifest and ``_SUCCESS`` through
  :class:`~curation.run_layout.StageDir` (``begin`` / ``commit``), as :mod:`curation.runner` does;
* ``embeddings/domain=<d>/part-NNNNN.parquet``: one 384-d (``dim``) float16 vector per document,
  shard for shard aligned with Dataset-1 (:mod:`curation.formats.embeddings`), model
  ``synthetic:<seed>``; manifest and ``_SUCCESS`` naming Dataset-1's build as parent;
* ``_synthetic/truth/part-NNNNN.parquet``: the planted groups (``id``, ``domain``, ``group``,
  ``tier``) and ``_synthetic/params.json``.

The geometry: ``topics`` random unit centres; a document is ``normalize(sqrt(w) c_t + sqrt(1-w) u)``
with ``u`` a random unit vector (``w = topic_weight``: documents of one topic have cosine about
``w``, unrelated ones about 0 +- 1/sqrt(dim)). A *planted group* is ``group_size`` documents
``normalize(b + s u_i)`` around one such document ``b``: their pairwise cosine is about
``1 / (1 + s^2)``. Two tiers: ``tight`` groups (cosine :data:`TIGHT_COSINE`, in every domain)
that Dataset-2 (k-means SemDedup, eps below ``1 - TIGHT_COSINE``) must find, and ``loose`` groups
(cosine :data:`LOOSE_COSINE`, only in ``loose_domains``) that Dataset-2 leaves and Dataset-3 (UMAP +
HDBSCAN SemDedup on the small domains, eps above ``1 - LOOSE_COSINE``) must find. A run with
``eps`` between the tiers removes, per group, all members but one.

Streaming: the documents are made one shard (``shard_docs``) at a time from a generator seeded by
``(seed, domain, shard)``; groups never cross a shard. Memory is a few times
``shard_docs x dim x 4`` bytes (one shard's vectors and their noise) plus the ``topics x dim``
centres, whatever ``n_docs``; the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from curation import schema as S
from curation.formats import embeddings as E
from curation.manifest import Count, build_manifest, by_output_domain
from curation.run_layout import DATA, DATASET_1, EMBEDDINGS, REMOVED, StageDir
from curation.storage import arrow_filesystem, join, normalize_uri, storage_for

log = logging.getLogger(__name__)

TRUTH = "_synthetic/truth"
PARAMS = "_synthetic/params.json"
TIGHT_COSINE = 0.99
"""Pairwise cosine of a tight group's members (Dataset-2 finds them at eps > 0.01)."""
LOOSE_COSINE = 0.93
"""Pairwise cosine of a loose group's members (Dataset-2 at eps < 0.07 leaves them)."""
GROUP = "group"
TIER = "tier"
NO_GROUP = -1
TRUTH_SCHEMA = pa.schema(
    [
        pa.field(S.ID, pa.string(), nullable=False),
        pa.field(S.DOMAIN, pa.string(), nullable=False),
        pa.field(GROUP, pa.int64(), nullable=False),
        pa.field(TIER, pa.string()),
    ]
)
"""One row per planted-group member: its group (unique in the run) and tier."""

_WORDS = (
    "data model corpus token river market city light stone music garden paper signal winter "
    "energy window harbor forest letter number engine bridge method system theory answer "
    "village doctor season library circuit planet mountain history"
).split()


@dataclass(frozen=True)
class SyntheticSpec:
    """What a synthetic run is a function of (with ``seed``, every byte of it)."""

    n_docs: int
    seed: int = 0
    dim: int = 384
    domains: dict[str, float] = field(
        default_factory=lambda: {"en-CC": 0.55, "ru-CC": 0.3, "wiki": 0.1, "arxiv": 0.05}
    )
    """Domain -> share of the documents (of those left after ``fixed_docs``)."""
    fixed_docs: dict[str, int] = field(default_factory=dict)
    """Domain -> its document count whatever ``n_docs`` (a small domain that does not grow with
    the crawl, as the reference's arXiv/wiki-sized domains next to its web domains); the other
    domains share the rest by ``domains``."""
    loose_domains: tuple[str, ...] = ("arxiv",)
    """Domains that also get loose groups (Dataset-3's small domains)."""
    topics: int = 256
    topic_weight: float = 0.3
    group_size: int = 3
    tight_fraction: float = 0.06
    """Share of every domain's documents in tight groups."""
    loose_fraction: float = 0.06
    """Share of a loose domain's documents in loose groups."""
    shard_docs: int = 50_000
    text_words: int = 16

    def fingerprint(self) -> str:
        fields = asdict(self)
        if not self.fixed_docs:  # runs generated before the field keep their fingerprint
            del fields["fixed_docs"]
        blob = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(f"synthetic-run:1:{blob}".encode()).hexdigest()[:16]

    def domain_sizes(self) -> dict[str, int]:
        """Documents per domain: ``fixed_docs``, and the shares of the rest (rounded; the last
        domain takes what rounding leaves)."""
        unknown = sorted(set(self.fixed_docs) - set(self.domains))
        if unknown:
            raise ValueError(f"fixed_docs names domains that are not in domains: {unknown}")
        names = [d for d in sorted(self.domains) if d not in self.fixed_docs]
        rest = self.n_docs - sum(self.fixed_docs.values())
        if not names or rest < len(names):
            raise ValueError(
                f"n_docs={self.n_docs} leaves {rest} documents for the domains without a fixed"
                f" size {names}: raise n_docs or lower fixed_docs"
            )
        total = sum(v for d, v in self.domains.items() if d not in self.fixed_docs)
        sizes = {d: int(rest * self.domains[d] / total) for d in names}
        sizes[names[-1]] += rest - sum(sizes.values())
        return dict(sorted((sizes | self.fixed_docs).items()))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _noise(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    return _unit(rng.standard_normal((n, dim), dtype=np.float32))


def topic_centres(spec: SyntheticSpec) -> np.ndarray:
    """The ``topics x dim`` unit centres (float32) of the run."""
    return _noise(np.random.default_rng([spec.seed, 0]), spec.topics, spec.dim)


def _spread(cosine: float) -> float:
    """Noise scale ``s`` that gives members of a group pairwise cosine ``cosine``."""
    return math.sqrt(1.0 / cosine - 1.0)


def make_shard(spec: SyntheticSpec, centres: np.ndarray, domain_index: int, shard: int, rows: int,
               first_group: int) -> tuple[pa.Table, np.ndarray, pa.Table, dict[str, int]]:  # fmt: skip
    """One shard: (Dataset-1 rows, float32 vectors, truth rows, groups per tier); its groups
    are numbered from ``first_group``."""
    domain = sorted(spec.domains)[domain_index]
    rng = np.random.default_rng([spec.seed, 1, domain_index, shard])
    n_tight = int(rows * spec.tight_fraction) // spec.group_size
    n_loose = 0
    if domain in spec.loose_domains:
        n_loose = int(rows * spec.loose_fraction) // spec.group_size
    grouped = (n_tight + n_loose) * spec.group_size
    singles = rows - grouped + n_tight + n_loose  # every group grows from one base document
    topic = rng.integers(0, spec.topics, singles)
    w = spec.topic_weight
    base = _unit(np.sqrt(w) * centres[topic] + np.sqrt(1 - w) * _noise(rng, singles, spec.dim))
    # the first n_tight + n_loose base documents are replaced by their groups
    seeds = base[: n_tight + n_loose]
    scale = np.repeat(
        np.array([_spread(TIGHT_COSINE)] * n_tight + [_spread(LOOSE_COSINE)] * n_loose, np.float32),
        spec.group_size,
    )[:, None]
    members = _unit(
        np.repeat(seeds, spec.group_size, axis=0) + scale * _noise(rng, grouped, spec.dim)
    )
    vectors = np.concatenate([members, base[n_tight + n_loose :]])
    group = np.full(rows, NO_GROUP, np.int64)
    group[:grouped] = first_group + np.repeat(np.arange(n_tight + n_loose), spec.group_size)
    topics = np.concatenate([np.repeat(topic[: n_tight + n_loose], spec.group_size),
                             topic[n_tight + n_loose :]])  # fmt: skip
    order = rng.permutation(rows)  # group members scattered through the shard
    vectors, group, topics = vectors[order], group[order], topics[order]
    ids = [f"syn-{domain}-{shard:05d}-{i:07d}" for i in range(rows)]
    texts = _texts(rng, group, topics, rows, spec.text_words)
    n_chars = [len(t) for t in texts]
    src_file = f"synthetic/{domain}/part-{shard:05d}"
    table = pa.table(
        {
            S.ID: pa.array(ids, pa.string()),
            S.DOMAIN: pa.array([domain] * rows, pa.string()),
            S.TEXT: pa.array(texts, pa.string()),
            S.SRC_DOMAIN: pa.array([domain] * rows, pa.string()),
            S.SRC_FILE: pa.array([src_file] * rows, pa.string()),
            S.SRC_LINE: pa.array(np.arange(1, rows + 1), pa.int64()),
            S.LANG: pa.array(["ru" if domain.startswith("ru") else "en"] * rows, pa.string()),
            S.LANG_SCORE: pa.array(np.ones(rows), pa.float64()),
            S.LANG_RELIABLE: pa.array(np.ones(rows, bool), pa.bool_()),
            S.N_CHARS: pa.array(n_chars, pa.int64()),
        }
    )
    md5 = [hashlib.md5(t.encode()).hexdigest() for t in texts]
    table = table.append_column(S.MD5, pa.array(md5, pa.string()))
    table = S.conform(table.append_column(S.DEDUP_KEY, pa.array(md5, pa.string())),
                      S.RECORD_SCHEMA)  # fmt: skip
    in_group = group != NO_GROUP
    tier = np.where(group[in_group] - first_group < n_tight, "tight", "loose")
    truth = pa.table(
        {
            S.ID: pa.array(ids, pa.string()).filter(pa.array(in_group)),
            S.DOMAIN: pa.array([domain] * int(in_group.sum()), pa.string()),
            GROUP: pa.array(group[in_group], pa.int64()),
            TIER: pa.array(tier.tolist(), pa.string()),
        },
        schema=TRUTH_SCHEMA,
    )
    return table, vectors, truth, {"tight": n_tight, "loose": n_loose}


def _texts(rng: np.random.Generator, group: np.ndarray, topics: np.ndarray, rows: int,
           words: int) -> list[str]:  # fmt: skip
    """Short distinct texts (a group's members share most words, as near duplicates do)."""
    pick = rng.integers(0, len(_WORDS), (rows, words))
    vocab = np.array(_WORDS)
    out = []
    for i in range(rows):
        head = f"topic {topics[i]}"
        if group[i] != NO_GROUP:
            head += f" group {group[i]}"
        out.append(f"{head}: {' '.join(vocab[pick[i]])} (synthetic document {i})")
    return out


def generate(run: str | Path, spec: SyntheticSpec) -> dict:
    """Write the synthetic Dataset-1, embeddings and truth of ``spec`` into ``run``; a summary.

    Replaces a previous Dataset-1/embeddings of the folder (StageDir.begin clears them)."""
    t0, cpu0 = time.time(), time.process_time()
    run_uri = normalize_uri(str(run))
    storage = storage_for(run_uri)
    ds1, emb = StageDir(storage, run_uri, DATASET_1), StageDir(storage, run_uri, EMBEDDINGS)
    d1_out, emb_out = ds1.begin(), emb.begin()
    truth_dir = join(run_uri, TRUTH)
    if storage.exists(truth_dir):
        storage.delete(truth_dir)
    storage.mkdirs(truth_dir)
    centres = topic_centres(spec)
    sizes = spec.domain_sizes()
    meta = {"model": f"synthetic:{spec.seed}", "prefix": "", "max_seq_length": 0,
            "precision": "synthetic", "fingerprint": spec.fingerprint()}  # fmt: skip
    group, groups = 0, {"tight": 0, "loose": 0}
    shard_no = 0
    for di, domain in enumerate(sorted(sizes)):
        n = sizes[domain]
        shards = max(1, math.ceil(n / spec.shard_docs))
        for k in range(shards):
            rows = n // shards + (1 if k < n % shards else 0)
            if rows == 0:
                continue
            table, vectors, truth, planted = make_shard(spec, centres, di, k, rows, group)
            name = f"domain={domain}/part-{k:05d}.parquet"
            _write(table, join(d1_out, DATA, name))
            shard_table = E.embeddings_table(table.column(S.ID), table.column(S.DOMAIN), vectors,
                                             "float16", meta)  # fmt: skip
            _write(shard_table, join(emb_out, name))
            _write(truth, join(truth_dir, f"part-{shard_no:05d}.parquet"))
            for t, n_groups in planted.items():
                groups[t] += n_groups
                group += n_groups
            shard_no += 1
            log.info("synthetic %s shard %d: %d documents", domain, k, rows)
    _write(S.LEDGER_SCHEMA.empty_table(), join(d1_out, REMOVED, "part-00000.parquet"))
    counts = [Count(d, d, None, None, n) for d, n in sorted(sizes.items())]
    fp = spec.fingerprint()
    d1_manifest = build_manifest(
        counts,
        stage=DATASET_1,
        per_output_domain=by_output_domain(counts),
        inputs={"synthetic": asdict(spec)},
        synthetic=True,
    )
    d1_manifest = ds1.commit(d1_manifest, f"synthetic-{fp}")
    ds1_build = ds1.success()["build"]
    emb_manifest = {
        "stage": EMBEDDINGS,
        "rows": spec.n_docs,
        "per_domain": dict(sorted(sizes.items())),
        "dim": spec.dim,
        "dtype": "float16",
        "model": meta["model"],
        "engine": "synthetic",
        "shards": shard_no,
        "synthetic": True,
        "inputs": {DATASET_1: d1_manifest["fingerprint"]},
    }
    emb.commit(emb_manifest, f"synthetic-emb-{fp}", parents={DATASET_1: ds1_build})
    summary = {
        "documents": spec.n_docs,
        "per_domain": dict(sorted(sizes.items())),
        "shards": shard_no,
        "groups": groups,
        "planted_members": group * spec.group_size,
        "expected_removals": {t: n * (spec.group_size - 1) for t, n in groups.items()},
        "spec": asdict(spec),
        "seconds": round(time.time() - t0, 2),
        "cpu_seconds": round(time.process_time() - cpu0, 2),
    }
    storage.write_text(join(run_uri, PARAMS), json.dumps(summary, indent=1) + "\n")
    return summary


def _write(table: pa.Table, uri: str) -> None:
    fs, path = arrow_filesystem(uri)
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as f:
        pq.write_table(table, f, compression="zstd")


def read_truth(run: str | Path) -> pa.Table:
    """The planted groups of a synthetic run (:data:`TRUTH_SCHEMA`)."""
    fs, path = arrow_filesystem(join(normalize_uri(str(run)), TRUTH))
    return ds.dataset(path, filesystem=fs, format="parquet").to_table()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="write a synthetic Dataset-1 + embeddings (random "
                                "vectors with planted near-duplicate groups) into a run folder")  # fmt: skip
    p.add_argument("run")
    p.add_argument("--docs", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--topics", type=int, default=256)
    p.add_argument("--shard-docs", type=int, default=50_000)
    p.add_argument("--fixed", action="append", default=[], metavar="DOMAIN=DOCS",
                   help="a domain of fixed size whatever --docs (repeatable)")  # fmt: skip
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    fixed = {}
    for item in args.fixed:
        name, _, docs = item.partition("=")
        if not docs.isdigit():
            p.error(f"--fixed {item!r}: expected DOMAIN=DOCS")
        fixed[name] = int(docs)
    spec = SyntheticSpec(args.docs, args.seed, args.dim, topics=args.topics,
                         shard_docs=args.shard_docs, fixed_docs=fixed)  # fmt: skip
    summary = generate(args.run, spec)
    log.info("%s", json.dumps({k: v for k, v in summary.items() if k != "spec"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
