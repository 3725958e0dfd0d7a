"""Configuration: one frozen dataclass per stage, loaded from YAML presets, overridable per key.

A preset is a YAML mapping of sections (``ingest:``, ``langid:`` ...), each the fields of one stage's
dataclass. ``extends: <preset>`` inherits another preset (a packaged name such as ``reference`` or a
path) and overrides it key by key. Command-line overrides are ``section.key=value`` strings whose
value is parsed as YAML (``langid.keep=[ru,en,uk]``, ``length.min_chars=200``).

Every section is validated on construction: unknown keys and wrong types are errors that name the
key, never silently ignored. YAML is always read with ``yaml.safe_load``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from curation.domains import validate_domain_name
from curation.errors import CurationError
from curation.schema import NEAR_COUNT


class ConfigError(CurationError, ValueError):
    """A preset or override that does not describe a valid configuration."""


CHANGES_RESULTS = "changes_results"
"""Field metadata key: False on fields declared with :func:`tuning`."""


def tuning(
    default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING
) -> Any:
    """Declare a config field that changes only speed, memory or display - never a stage's result
    (batch sizes, worker counts, devices whose results are defined to be equal, sizes of
    inspection samples). Such a field never enters a stage fingerprint (:mod:`curation.runner`):
    changing it neither refuses nor redoes a finished stage. Every other field is a result field."""
    return field(
        default=default, default_factory=default_factory, metadata={CHANGES_RESULTS: False}
    )


def changes_results(f: dataclasses.Field) -> bool:
    """Whether a config field can change a stage's result (everything not declared as tuning)."""
    return bool(f.metadata.get(CHANGES_RESULTS, True))


def result_values(section: Any) -> dict[str, Any]:
    """The result fields of a config section (a stage dataclass) as plain JSON-able values.

    A section switched off (a result field ``enabled`` that is False) is only ``{"enabled":
    False}``: its other fields cannot change a result then, so neither their values nor new
    fields added to the section in a later version change the fingerprint of a stage that reads
    it (a finished run stays reusable)."""
    values = {
        f.name: _plain(getattr(section, f.name))
        for f in dataclasses.fields(section)
        if changes_results(f)
    }
    if values.get("enabled") is False:
        return {"enabled": False}
    return values


# --- stage sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestConfig:
    """How input files become documents (stage 0)."""

    text_field: str = "text"
    """JSONL/Parquet field holding the document text."""
    id_field: str = "id"
    """Field holding a given id; when absent, the id is xxh3-128 of ``<file>:<line>``."""
    domain: str | None = None
    """Treat the whole input folder as this one domain instead of one domain per sub-folder."""
    domain_map: dict[str, str] = field(default_factory=dict)
    """Folder name -> domain name, for folders whose names should not be the domain."""
    txt_unit: Literal["file", "line"] = "file"
    """A ``.txt`` file is one document (``file``) or one document per non-blank line (``line``)."""
    on_duplicate_id: Literal["error", "quarantine"] = "error"
    """Two input rows with one id: fail the job (``error``), or keep the first by (file, line) and
    send the others to the ledger as ``invalid``/``duplicate_id`` (``quarantine``)."""
    max_invalid_chars: int = 2000
    """How much of an invalid row's raw input is kept in the ledger's ``text``."""
    batch_rows: int = tuning(4096)
    """Rows per Arrow batch handed back from a file reader (and per row group of
    ``_work/annotated``)."""
    batch_chars: int = tuning(16_000_000)
    """Characters of text per Arrow batch, at most (a longer document is a batch of its own):
    with ``batch_rows``, what bounds a Python worker's memory (see README, "Memory")."""

    def __post_init__(self) -> None:
        if self.domain is not None:
            validate_domain_name(self.domain, what="ingest.domain")
        for folder, name in self.domain_map.items():
            validate_domain_name(name, what=f"ingest.domain_map[{folder!r}]")
        _positive(self, "max_invalid_chars", "batch_rows", "batch_chars")


@dataclass(frozen=True)
class LangIdConfig:
    """Language identification and routing (stage 1)."""

    engine: Literal["polyglot", "cld2", "fasttext"] = "polyglot"
    keep: tuple[str, ...] = ("ru", "en")
    """Languages kept in the filtered domains."""
    min_score: float = 0.5
    """Below this score a detection is unreliable and the document is removed. The score is, for
    ``polyglot``/``cld2``, the share of the text CLD2 assigns to the top language (near 1 for any
    one-language text, so it mostly catches mixed and very short texts); for ``fasttext``, the
    model's probability of the top label."""
    require_reliable: bool = False
    """Also remove documents the engine itself flags as unreliable (CLD2's ``isReliable``)."""
    domains: tuple[str, ...] = ("cc",)
    """Source domains filtered and routed by language; ``["*"]`` = all. Other domains are only
    annotated (lang, lang_score) and pass through whatever their language."""
    route: dict[str, str] = field(default_factory=lambda: {"cc": "{lang}-CC"})
    """Source domain -> output domain template, ``{lang}`` being the detected language."""
    max_chars: int = 20000
    """Detection looks at most at this many characters of a document (its beginning)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ConfigError(f"langid.min_score must be in [0, 1], got {self.min_score}")
        if not self.keep:
            raise ConfigError("langid.keep must name at least one language")
        for src, template in self.route.items():
            if "{lang}" not in template:
                raise ConfigError(f"langid.route[{src!r}] = {template!r} lacks '{{lang}}'")
            validate_domain_name(template.replace("{lang}", "xx"), what=f"langid.route[{src!r}]")
        _positive(self, "max_chars")

    def filters(self, src_domain: str) -> bool:
        """Whether documents of ``src_domain`` are filtered (and routed) by language."""
        return "*" in self.domains or src_domain in self.domains


@dataclass(frozen=True)
class ExactDedupConfig:
    """MD5 exact deduplication (stage 2)."""

    scope: Literal["domain", "global"] = "domain"
    """Group duplicates within each domain (the reference) or across all domains."""
    normalize: Literal["none", "whitespace", "nfkc_casefold"] = "none"
    """Key on the exact bytes (``none``, the reference), on whitespace-collapsed text, or on
    NFKC-normalised, case-folded, whitespace-collapsed text."""


@dataclass(frozen=True)
class LengthConfig:
    """Length filter (stage 3)."""

    min_chars: int = 150
    """Documents with fewer Unicode characters than this are removed."""

    def __post_init__(self) -> None:
        if self.min_chars < 0:
            raise ConfigError(f"length.min_chars must be >= 0, got {self.min_chars}")


@dataclass(frozen=True)
class FuzzyDedupConfig:
    """Near-duplicate removal with MinHash LSH (Dataset-1, after the length filter; off in the
    reference preset, on in ``extended``). See :mod:`curation.stages.minhash` for the shingles, the hashing and the curve
    of the probability that a pair of Jaccard ``J`` becomes a candidate:
    ``1 - (1 - J**rows)**bands``."""

    enabled: bool = False
    shingle: Literal["word", "char"] = "word"
    """``word``: n-grams of words (maximal runs of Unicode letters, marks, digits and ``_``,
    lower-cased: Russian, English and code identifiers alike); ``char``: n-grams of characters
    of the lower-cased text with whitespace runs collapsed to one space."""
    ngram: int = 5
    """Words (or characters) per shingle."""
    bands: int = 20
    rows: int = 5
    """MinHash permutations = bands x rows; two documents are candidates when all ``rows``
    values of at least one band agree."""
    threshold: float = 0.8
    """Candidates whose true Jaccard similarity of shingle sets is at least this are linked."""
    verify: bool = True
    """Check every candidate pair's true Jaccard (``False``: every candidate pair is linked, as
    datatrove and NeMo Curator do; LSH false positives then remove documents)."""
    seed: int = 1234
    """Seed of the MinHash permutations."""
    scope: Literal["domain", "global"] = "domain"
    """Near-duplicates within each domain (as exact dedup's default) or across all domains."""
    all_pairs_up_to: int = 32
    """Candidate pairs of a bucket (documents sharing a band key): every two members when it
    holds at most this many documents (up to ``n(n-1)/2`` pairs), else each member with the
    bucket's smallest id only (``n - 1``). Every pair comes from a bucket, so with all pairs a
    member that fails verification against the smallest id is still tried against the others."""
    driver_graph_max_pairs: int = tuning(500_000)
    """Up to this many linked pairs, the Spark engine collects them (two ids and a Jaccard) and
    finds the components with a union-find in the driver's Python: one collect instead of a
    Spark job per round of the DataFrame components and the joins that name each member's
    survivor and neighbour. Measured at 500,000 pairs of 20-character ids: 11 s and 330 MB of
    the driver's memory at the peak (about 700 bytes a pair). Above it (or at 0) everything
    stays on Spark. Both give the same rows (tested); this bounds the driver's memory, whatever
    the input's size."""

    def __post_init__(self) -> None:
        _positive(self, "ngram", "bands", "rows", "all_pairs_up_to")
        if self.driver_graph_max_pairs < 0:
            raise ConfigError(
                "fuzzy_dedup.driver_graph_max_pairs must be >= 0 (0: components on Spark), "
                f"got {self.driver_graph_max_pairs}"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"fuzzy_dedup.threshold must be in (0, 1], got {self.threshold}")
        if self.bands * self.rows > 1024:
            raise ConfigError(
                f"fuzzy_dedup.bands x rows must be at most 1024, got {self.bands * self.rows}"
            )


@dataclass(frozen=True)
class EmbedConfig:
    """Sentence embeddings of every Dataset-1 document (stage 4)."""

    model: str = "intfloat/e5-large-v2"
    """A sentence-transformers model: a Hugging Face name (needs the model in the local cache:
    no download at run time) or a local folder; or a model shipped in a Python package:
    ``builtin:use-multilingual-v3`` (Universal Sentence Encoder multilingual, Russian and English
    alike, numpy on CPU) or ``builtin:all-MiniLM-L6-v2`` (English). See curation.embedders."""
    prefix: str = "passage: "
    """Prepended to every document (E5 models expect ``passage: ``; empty for other models)."""
    max_seq_length: int = 512
    """Tokens per document the model sees; longer documents are cut (token-based models)."""
    max_chars: int = 0
    """Characters per document kept before tokenization (0 = 16 x max_seq_length): bounds the
    work and memory per document whatever its size. A model without a token limit
    (builtin:use-multilingual-v3) sees exactly these characters."""
    batch_size: int = tuning(32)
    """Documents per forward pass on CPU; ``gpu_batch_size`` on a GPU."""
    gpu_batch_size: int = tuning(256)
    device: str = tuning("auto")
    """``auto`` (cuda if present, else cpu), ``cpu``, ``cuda``, ``cuda:N``."""
    precision: Literal["auto", "fp32", "fp16", "bf16", "int8"] = "auto"
    """Inference precision: ``auto`` = on a GPU bf16 (compute capability 8.0+, unless the
    checkpoint is stored in fp16: then fp16; older GPUs fp16), on a CPU bf16 where it has native
    bf16 (AVX512-BF16 / AMX), else fp32. The resolved precision enters the fingerprint. ``int8``
    (dynamically quantised linear layers, CPU only) is fast but moves cosines by up to 0.2: not
    for a similarity threshold."""
    store_dtype: Literal["float16", "float32"] = "float16"
    """How vectors are stored on disk (``<run>/embeddings``)."""
    trust_remote_code: bool = False
    threads: int = tuning(0)
    """torch CPU threads (0 = torch's default, one per core)."""

    def __post_init__(self) -> None:
        _positive(self, "max_seq_length", "batch_size", "gpu_batch_size")
        if self.max_chars < 0:
            raise ConfigError(f"embed.max_chars must be >= 0, got {self.max_chars}")
        if not (self.device in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", self.device)):
            raise ConfigError(
                f"embed.device must be auto, cpu, cuda or cuda:N, got {self.device!r}"
            )
        if self.threads < 0:
            raise ConfigError(f"embed.threads must be >= 0, got {self.threads}")


@dataclass(frozen=True)
class KMeansConfig:
    """Clustering of the embeddings with faiss spherical k-means (stage 5, step 1)."""

    n_clusters: int = 0
    """Number of clusters; 0 = derived: round(documents / target_cluster_size), at least 1."""
    target_cluster_size: int = 227
    """Mean documents per cluster when n_clusters is 0 (reference: 2.5M sample / 11,000)."""
    sample_size: int = 2_500_000
    """Documents k-means trains on (all if fewer): those with the smallest xxh64(id), so the
    sample never depends on partitioning or order."""
    iterations: int = 25
    seed: int = 1234
    init: Literal["random", "kmeans++", "afk-mc2"] = "random"
    """Centroid initialisation: faiss's random sample (the reference), or k-means++ / AFK-MC2
    (better separated planted groups, a few seconds more per 100k documents)."""
    device: str = tuning("auto")

    def __post_init__(self) -> None:
        _positive(self, "target_cluster_size", "sample_size", "iterations")
        if self.n_clusters < 0:
            raise ConfigError(f"kmeans.n_clusters must be >= 0, got {self.n_clusters}")


@dataclass(frozen=True)
class SemDedupConfig:
    """The duplicate rule, shared by k-means and HDBSCAN clusters (stages 5-6): within each cluster,
    and across cluster boundaries when ``cross_clusters`` > 0."""

    eps: float = 0.1
    """Remove a document when its similarity to a document farther from the centroid in its
    cluster exceeds 1 - eps (used when target_removal is null)."""
    target_removal: float | None = 0.30
    """Calibrate eps so that this fraction of the documents is removed (reference: 30%)."""
    cross_clusters: int = 0
    """The cross-boundary pass (0 = off, the reference): each document is also compared with the
    documents of up to this many of its nearest other clusters (at most 8), so that a duplicate
    pair split by a cluster boundary is still found. One total order over all documents (distance
    to the own centroid descending, then id) decides which of a pair is kept; see
    :mod:`curation.stages.semdedup_cross`."""
    cross_margin: float = 0.1
    """A document visits a nearby cluster only when its cosine to that cluster's centroid is at
    most this much below its cosine to its own centroid."""
    cross_member_margin: float | None = None
    """Of a visited cluster, compare the visitor only with the members that are themselves within
    this margin of the visitor's cluster (their cosine to its centroid at most this much below
    the one to their own, and it among their 8 nearest); null = with every member."""
    tile_size: int = tuning(0)
    """Rows and columns of one block of the similarity matrix: memory is O(tile_size^2). 0 = the
    device's default: 2048 on CPU, 8192 on CUDA (curation.stages.semdedup.tile_for)."""
    device: str = tuning("auto")

    def __post_init__(self) -> None:
        if not 0.0 <= self.eps <= 2.0:
            raise ConfigError(f"eps must be in [0, 2], got {self.eps}")
        if self.target_removal is not None and not 0.0 <= self.target_removal < 1.0:
            raise ConfigError(f"target_removal must be in [0, 1), got {self.target_removal}")
        if not 0 <= self.cross_clusters <= NEAR_COUNT:
            raise ConfigError(
                f"semdedup.cross_clusters must be in [0, {NEAR_COUNT}] (the nearest clusters a "
                f"clustering stores per document), got {self.cross_clusters}"
            )
        if not 0.0 <= self.cross_margin <= 2.0:
            raise ConfigError(f"semdedup.cross_margin must be in [0, 2], got {self.cross_margin}")
        if self.cross_member_margin is not None and not 0.0 <= self.cross_member_margin <= 2.0:
            raise ConfigError(
                f"semdedup.cross_member_margin must be null or in [0, 2], "
                f"got {self.cross_member_margin}"
            )
        if self.tile_size < 0:
            raise ConfigError(
                f"semdedup.tile_size must be >= 0 (0 = per device), got {self.tile_size}"
            )


@dataclass(frozen=True)
class HdbscanConfig:
    """SemDedup with UMAP + HDBSCAN clusters on the small domains (stage 6, Dataset-3)."""

    domains: tuple[str, ...] = ("arxiv", "lemma", "algebraic-stack")
    """Dataset-2 domains clustered this way; every other domain passes to Dataset-3 unchanged."""
    group_by: Literal["all", "domain"] = "all"
    """One UMAP + HDBSCAN over all listed domains together, or one per domain."""
    umap_components: int = 2
    umap_neighbors: int = 15
    umap_min_dist: float = 0.0
    umap_metric: str = "cosine"
    umap_init: Literal["pca", "spectral", "random"] = "pca"
    """UMAP's initial layout. ``pca`` (default) is reproducible; umap-learn's ``spectral`` (its own
    default) gave a different layout on every run for graphs of 20k+ documents here, even with
    a fixed seed and one thread. cuML gets ``spectral`` for ``pca`` (it has no PCA start)."""
    min_cluster_size: int = 10
    min_samples: int = 0
    """HDBSCAN min_samples; 0 = the same as min_cluster_size (the library's default)."""
    cluster_selection_method: Literal["eom", "leaf"] = "eom"
    target_clusters: int = 0
    """If > 0, min_cluster_size is searched so that HDBSCAN finds about this many clusters
    (reference: 764); see curation.stages.cluster_hdbscan."""
    eps: float = 0.1
    target_removal: float | None = None
    """Calibrate eps to remove this fraction of the clustered documents (reference: a further
    7.4%); null = use eps."""
    calibrate_per: Literal["all", "domain"] = "all"
    """One eps for all clustered domains, or one per domain (each calibrated to the target)."""
    seed: int = 42
    device: str = tuning("auto")
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``; the backend it resolves to (cuML or
    umap-learn + hdbscan) enters the clustering fingerprint, since their results differ."""
    inspect_sample: int = tuning(2000)
    """2-D UMAP coordinates are saved for every clustered document and for this many documents
    (a hash sample) of the other domains."""
    representatives: int = tuning(3)
    """Documents nearest each cluster's centroid saved for inspection."""
    max_documents: int = tuning(2_000_000)
    """UMAP + HDBSCAN runs on one node (the Spark driver, or this process): refuse to gather more
    clustered documents than this. Memory of that step: about ``max_documents x dim x 4`` bytes
    of vectors plus UMAP's k-NN graph (``x umap_neighbors x 12``), e.g. 2M x 1024-d: ~9 GB."""

    def __post_init__(self) -> None:
        _positive(self, "umap_components", "umap_neighbors", "min_cluster_size")
        _positive(self, "max_documents")
        if self.min_samples < 0 or self.target_clusters < 0 or self.inspect_sample < 0:
            raise ConfigError("hdbscan.min_samples, target_clusters, inspect_sample must be >= 0")
        if not 0.0 <= self.eps <= 2.0:
            raise ConfigError(f"hdbscan.eps must be in [0, 2], got {self.eps}")
        if self.target_removal is not None and not 0.0 <= self.target_removal < 1.0:
            raise ConfigError(
                f"hdbscan.target_removal must be in [0, 1), got {self.target_removal}"
            )
        for d in self.domains:
            validate_domain_name(d, what="hdbscan.domains")


@dataclass(frozen=True)
class TokensConfig:
    """Token-ready output (stage 7)."""

    dataset: Literal["dataset-1", "dataset-2", "dataset-3"] = "dataset-3"
    """The run's dataset that is tokenized; nothing outside the run folder can be named."""
    tokenizer: str = "train"
    """``train`` (byte-level BPE trained on a sample of the dataset), a local tokenizer folder or
    tokenizer.json, or a Hugging Face name available offline."""
    vocab_size: int = 40000
    train_sample_bytes: int = 200_000_000
    """Text the tokenizer is trained on: a hash sample of the documents up to this many bytes."""
    context_length: int = 4096
    mode: Literal["pad", "pack"] = "pad"
    """``pad``: each document cut into context_length pieces, the last padded with <pad> (loss
    mask 0 there); ``pack``: documents joined with <eos> and cut into full sequences."""
    seed: int = 1234
    shard_sequences: int = 65536
    """Sequences per shard file."""
    mixture: dict[str, float] = field(default_factory=dict)
    """Domain -> sampling weight; empty = proportional to each domain's tokens."""
    compare: tuple[str, ...] = ()
    """Other tokenizers (paths/names) reported next to the chosen one in the efficiency table."""
    workers: int = tuning(0)
    """Processes tokenizing in parallel (local engine); 0 = one per core."""
    order_buckets: int = tuning(1024)
    """Spark engine: runs the shuffle order is cut into to place documents (a power of two). The
    driver holds one row per domain and bucket; the output never depends on it."""

    def __post_init__(self) -> None:
        _positive(self, "vocab_size", "train_sample_bytes", "context_length", "shard_sequences")
        datasets = typing.get_args(typing.get_type_hints(TokensConfig)["dataset"])
        if self.dataset not in datasets:
            raise ConfigError(
                f"tokens.dataset must be one of {list(datasets)}, got {self.dataset!r}"
            )
        if self.workers < 0:
            raise ConfigError(f"tokens.workers must be >= 0, got {self.workers}")
        b = self.order_buckets
        if b < 1 or b > 1 << 20 or b & (b - 1):
            raise ConfigError(f"tokens.order_buckets must be a power of two up to 2**20, got {b}")
        for domain, weight in self.mixture.items():
            validate_domain_name(domain, what="tokens.mixture")
            if weight < 0:
                raise ConfigError(f"tokens.mixture[{domain!r}] must be >= 0, got {weight}")


SPARK_CONF_ALLOWED = (
    "spark.driver.memory", "spark.driver.memoryOverhead", "spark.driver.cores",
    "spark.driver.maxResultSize", "spark.executor.memory", "spark.executor.memoryOverhead",
    "spark.executor.pyspark.memory", "spark.executor.cores", "spark.executor.instances",
    "spark.cores.max", "spark.task.cpus", "spark.task.maxFailures", "spark.default.parallelism",
    "spark.python.worker.memory", "spark.python.worker.reuse",
    "spark.memory.*", "spark.dynamicAllocation.*", "spark.speculation", "spark.speculation.*",
    "spark.locality.wait", "spark.locality.wait.*", "spark.network.timeout",
    "spark.executor.heartbeatInterval", "spark.rpc.message.maxSize", "spark.rpc.askTimeout",
    "spark.local.dir", "spark.ui.port", "spark.ui.enabled", "spark.ui.showConsoleProgress",
    "spark.eventLog.enabled", "spark.eventLog.dir", "spark.eventLog.compress",
    "spark.shuffle.compress", "spark.shuffle.spill.compress", "spark.shuffle.file.buffer",
    "spark.shuffle.service.enabled", "spark.reducer.maxSizeInFlight",
    "spark.sql.shuffle.partitions", "spark.sql.files.*", "spark.sql.adaptive.*",
    "spark.sql.execution.arrow.*", "spark.sql.parquet.*", "spark.sql.autoBroadcastJoinThreshold",
    "spark.hadoop.fs.s3a.*", "spark.hadoop.fs.gs.*", "spark.hadoop.fs.azure.*",
    "spark.hadoop.fs.defaultFS", "spark.hadoop.dfs.*",
)  # fmt: skip
"""Keys (``fnmatch`` patterns) ``spark.conf`` may set. A preset is data (it may come from a
colleague or a shared folder), so it may tune Spark but never choose what runs: not the Python
executable (``spark.pyspark.python``), JVM options, jars, class paths, environment variables,
plugins, listeners or extensions - those go on the ``spark-submit`` command line."""


@dataclass(frozen=True)
class SparkConfig:
    """The Spark session (only speed and memory: no field changes a result). ``master`` empty =
    what ``spark-submit --master`` set, else local[*]."""

    master: str | None = tuning(None)
    app_name: str = tuning("curation")
    shuffle_partitions: int = tuning(8)
    """Partitions of every shuffle and the tasks of Dataset-1's exchange (there at most two per
    core, more where ``exchange_rows`` needs them), and so the Parquet files written per domain
    of a dataset."""
    ingest_partition_bytes: int = tuning(16 * 1024 * 1024)
    """Compressed input bytes per ingest task (smaller = more, better balanced tasks)."""
    chunk_chars: int = tuning(32_000_000)
    """Characters of text per chunk of ``_work/annotated`` (Dataset-1): the unit of work that
    step 2's writer tasks share out (smaller: better balanced tasks, more files)."""
    arrow_batch_rows: int = tuning(2048)
    exchange_rows: int = tuning(250_000)
    """Dataset-1 step 2: the most key rows one task of its exchange holds - one id or dedup-key
    bucket, or the facts of one writer task (130-170 MB above the interpreter measured at the
    default); there are ``max(min(shuffle_partitions, 2 x cores), ceil(rows / exchange_rows))``
    of each."""
    driver_memory: str = tuning("4g")
    quick_jit: bool = tuning(True)
    """Local masters started from Python: JIT-compile with C1 only (``-XX:TieredStopAtLevel=1``).
    Less compile CPU for jobs of minutes on few cores (measured: -11% wall, 1 GB on 2 cores;
    Dataset-1's JVM core-s -43% at 0.25 GB); ``make`` passes the same flag to ``spark-submit``,
    and so does ``curation/spark/conf/spark-defaults.conf`` for any ``spark-submit`` run with
    ``SPARK_CONF_DIR`` pointing there (a running JVM ignores this key). Cluster executors are
    not affected."""
    conf: dict[str, str] = tuning(default_factory=dict)
    """Other Spark settings: only keys matching :data:`SPARK_CONF_ALLOWED` (resources, memory,
    parallelism, shuffle, SQL tuning, UI, event logs, storage access). Keys that change what code
    runs belong on the ``spark-submit`` command line (``--conf``), not in a preset."""

    def __post_init__(self) -> None:
        _positive(self, "shuffle_partitions", "ingest_partition_bytes")
        _positive(self, "arrow_batch_rows", "chunk_chars", "exchange_rows")
        for key in self.conf:
            if not any(fnmatch.fnmatchcase(key, pattern) for pattern in SPARK_CONF_ALLOWED):
                raise ConfigError(
                    f"spark.conf key {key!r} is not allowed: a preset may set only resource, "
                    "memory, parallelism, shuffle, SQL-tuning, UI, event-log and storage-access "
                    "keys (curation.config.SPARK_CONF_ALLOWED); keys that change what code runs "
                    "(Python, JVM options, jars, class paths, plugins) go on the spark-submit "
                    "command line (--conf) or in spark-defaults.conf"
                )


@dataclass(frozen=True)
class RunConfig:
    """What a run keeps and redoes (no field changes a result)."""

    force: bool = tuning(False)
    """Recompute stages even when a finished result with the same config exists."""
    keep_annotated: bool = tuning(True)
    """Keep ``_work/annotated`` (every ingested row with language, md5 and length) after Dataset-1,
    so that changing a threshold does not recompute language ID."""
    annotated_compression: Literal["auto", "zstd", "none"] = tuning("auto")
    """How ``_work/annotated``'s chunks are compressed: ``zstd`` (level 1) or ``none`` (5x faster
    to write and faster to read back, 2.5x the bytes; measured on 1 GB of the shared corpus on 2
    cores, the Dataset-1 job -4% wall and about 3 core-s per GB fewer). ``auto``: ``none`` when
    the chunks are deleted at the end of Dataset-1 (``keep_annotated`` false), so the larger
    files live only while the job runs; ``zstd`` when they are kept."""


@dataclass(frozen=True)
class PipelineConfig:
    """All sections of one run's configuration."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    langid: LangIdConfig = field(default_factory=LangIdConfig)
    exact_dedup: ExactDedupConfig = field(default_factory=ExactDedupConfig)
    length: LengthConfig = field(default_factory=LengthConfig)
    fuzzy_dedup: FuzzyDedupConfig = field(default_factory=FuzzyDedupConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    kmeans: KMeansConfig = field(default_factory=KMeansConfig)
    semdedup: SemDedupConfig = field(default_factory=SemDedupConfig)
    hdbscan: HdbscanConfig = field(default_factory=HdbscanConfig)
    tokens: TokensConfig = field(default_factory=TokensConfig)
    spark: SparkConfig = field(default_factory=SparkConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


# --- loading -------------------------------------------------------------------------------------

PRESET_PACKAGE = "curation.presets"


def preset_names() -> list[str]:
    """Names of the presets shipped with the package."""
    files = resources.files(PRESET_PACKAGE).iterdir()
    return sorted(p.name[: -len(".yaml")] for p in files if p.name.endswith(".yaml"))


def _read_preset(ref: str | Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The merged mapping of a preset (name or path), following ``extends``."""
    ref = str(ref)
    if ref in seen:
        raise ConfigError(f"preset {ref!r} extends itself: {' -> '.join(seen + (ref,))}")
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"config file {ref!r} does not exist")
        text = path.read_text(encoding="utf-8")
    else:
        res = resources.files(PRESET_PACKAGE) / f"{ref}.yaml"
        if not res.is_file():
            raise ConfigError(f"no preset named {ref!r}; packaged presets: {preset_names()}")
        text = res.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {ref!r} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"config {ref!r} must be a mapping of sections, got {type(data).__name__}"
        )
    parent = data.pop("extends", None)
    if parent is None:
        return data
    return _merge(_read_preset(parent, seen + (ref,)), data)


def parse_override(item: str) -> tuple[list[str], Any]:
    """``"langid.keep=[ru,en]"`` -> (["langid", "keep"], ["ru", "en"])."""
    key, sep, raw = item.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+", key):
        raise ConfigError(f"override {item!r} must look like section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {item!r}: value is not valid YAML: {exc}") from None
    return key.split("."), value


def load_config(preset: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()):
    """Build the :class:`PipelineConfig` of a preset (default: ``reference``) plus overrides."""
    data = _read_preset(preset or "reference")
    for item in overrides:
        keys, value = parse_override(item)
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {k!r} is not a section")
        node[keys[-1]] = value
    return from_dict(PipelineConfig, data)


def from_dict(cls: type, data: Any, where: str = ""):
    """Construct dataclass ``cls`` from a plain mapping, checking keys and types."""
    if isinstance(data, cls):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(_join(where, k) for k in unknown)}; "
            f"valid keys: {', '.join(sorted(names))}"
        )
    kwargs = {k: _coerce(hints[k], v, _join(where, k)) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where or cls.__name__}: {exc}") from None


def config_hash(section: Any) -> str:
    """A short stable hash of a config section (or any JSON-able value)."""
    if dataclasses.is_dataclass(section):
        section = dataclasses.asdict(section)
    blob = json.dumps(_plain(section), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --- helpers -------------------------------------------------------------------------------------


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        if getattr(obj, name) <= 0:
            raise ConfigError(f"{name} must be > 0, got {getattr(obj, name)}")


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _coerce(tp: Any, value: Any, where: str) -> Any:
    """Check ``value`` against type hint ``tp``; convert lists to tuples and ints to floats."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(
            errors[0] if len(errors) == 1 else f"{where}: {value!r} fits no type of {tp}"
        )
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where} must be one of {list(args)}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return tuple(_coerce(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping, got {value!r}")
        return {
            _coerce(args[0], k, f"{where} key"): _coerce(args[1], v, f"{where}[{k!r}]")
            for k, v in value.items()
        }
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if tp in (int, float, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ConfigError(f"{where} must be {tp.__name__}, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported config type {tp}")
