"""Dataset-1 on Spark: ingest -> language ID -> MD5 exact dedup -> length filter -> (fuzzy dedup).

Two declared stages, run by :mod:`curation.runner`:

1. ``_work/annotated`` (a cache): every input row (documents and invalid rows) with language, md5
   and length - the expensive Python pass, done once per input and annotation config (the input
   files' paths and sizes are part of its fingerprint). Python tasks read the input files and
   write it as Parquet *chunks* (:func:`curation.pipeline.dataset1_tasks.ingest_files`); its
   manifest lists them.
2. ``dataset-1``: the group facts (first row of every id, survivor of every exact-dedup group)
   computed by Python tasks that exchange key rows as files, Spark only scheduling them
   (:mod:`curation.pipeline.dataset1_exchange`); with ``fuzzy_dedup.enabled`` also the
   near-duplicate components among the rows the other rules keep (:mod:`curation.spark.fuzzy`:
   Python tasks read texts from the chunks and Spark shuffles only MinHash band keys). Writer
   tasks merge the facts with the chunks, apply :func:`curation.stages.dataset1.decide` - the
   whole keep/remove table - and write the kept documents and the removal ledger; their counts
   are the manifest.

Texts never travel through the JVM or a shuffle, and no step holds a whole file or partition, so
memory per task is a function of the configuration (README, "Memory"), not of the input.
"""

from __future__ import annotations

import logging
import math
import time

from curation import runner
from curation import schema as S
from curation.config import PipelineConfig
from curation.errors import CurationError
from curation.listing import list_input
from curation.manifest import Count, build_manifest, by_output_domain
from curation.pipeline import dataset1_exchange as exchange
from curation.pipeline import dataset1_tasks as tasks
from curation.run_layout import ANNOTATED, DATA, DATASET_1, REMOVED
from curation.run_lock import RunLock
from curation.runner import Build, Reads, Stage
from curation.spark import adapters
from curation.spark.session import apply_runtime_settings
from curation.stages import ingest
from curation.storage import join, normalize_uri, storage_for

log = logging.getLogger(__name__)

FUZZY_WORK = "_fuzzy"  # fuzzy dedup's intermediate results inside the staging folder (deleted)
EXCHANGE_WORK = "_exchange"  # the key rows and facts step 2 exchanges (deleted)

ANNOTATION_VERSION = 3  # bump when ingest, annotate_batch or _work/annotated's chunk layout change
DATASET1_SECTIONS = ("ingest", "langid", "exact_dedup", "length", "fuzzy_dedup")


class DuplicateIdError(CurationError, ValueError):
    """Input rows share an id and ``ingest.on_duplicate_id`` is ``error``."""


def plan(spark, input_path: str, cfg: PipelineConfig) -> ingest.InputPlan:
    root = normalize_uri(input_path)
    storage = storage_for(root, spark)
    if not storage.is_dir(root):
        raise ingest.InputLayoutError(f"input folder {input_path} does not exist")
    listing = list_input(storage, root)
    p = ingest.plan_inputs(listing.files, root, cfg.ingest)
    p.not_followed = listing.not_followed
    return p


def ingest_work(p: ingest.InputPlan, cfg: PipelineConfig, parallelism: int) -> list[list]:
    """The input files of every step-1 task: about ``spark.ingest_partition_bytes`` each (at
    least two tasks per core while there are files to share out; a bigger file is a task of its
    own), the largest files placed first on the least loaded task; each task's files in path
    order (so its chunks hold rows in the order Spark sorts file names)."""
    total = p.total_bytes
    n = max(math.ceil(total / cfg.spark.ingest_partition_bytes), min(len(p.files), 2 * parallelism))
    n = max(1, min(n, len(p.files)))
    loads = [0] * n
    work: list[list] = [[] for _ in range(n)]
    for f in sorted(p.files, key=lambda f: (-f.size, f.rel_path)):
        t = min(range(n), key=lambda i: (loads[i], i))
        work[t].append(f)
        loads[t] += max(f.size, 1)
    return [sorted(w, key=lambda f: f.rel_path) for w in work if w]


def build_annotated(ctx: Build) -> dict:
    """Step 1: ingest and annotate every input file into chunks of ``_work/annotated/data``."""
    t0 = time.time()
    spark, cfg, p = ctx.spark, ctx.cfg, ctx.extra["plan"]
    work = ingest_work(p, cfg, spark.sparkContext.defaultParallelism)
    spark.sparkContext.setJobDescription(
        f"dataset-1 [1/2]: ingest + language ID + md5 of {len(p.files)} files ({len(work)} tasks)"
    )
    data = ctx.path(DATA)
    reported = adapters.run_ingest(spark, work, data, cfg)
    tasks.cleanup_temporary(data)
    files: dict[str, dict] = {}
    for r in reported:
        f = files.setdefault(r[S.SRC_FILE], {"rows": 0, "invalid": 0})
        f["rows"] += r["rows"]
        f["invalid"] += r["invalid"]
    return {
        "stage": ANNOTATED,
        "rows": sum(f["rows"] for f in files.values()),
        "files": dict(sorted(files.items())),
        "chunks": chunk_list(reported),
        "elapsed_s": round(time.time() - t0, 2),
    }


def chunk_list(reported: list[dict]) -> list[dict]:
    """The chunks of step 1's reports (:data:`~curation.pipeline.dataset1_tasks.CHUNK_SCHEMA`
    rows, one per chunk and input file): name, source domain, rows and characters, by name."""
    chunks: dict[str, dict] = {}
    for r in reported:
        c = chunks.setdefault(r["name"], {"name": r["name"], S.SRC_DOMAIN: r[S.SRC_DOMAIN],
                                          "rows": 0, "chars": 0})  # fmt: skip
        c["rows"] += r["rows"]
        c["chars"] += r["chars"]
    return [chunks[k] for k in sorted(chunks)]


def place_chunks(chunks: list[dict], n: int) -> list[int]:
    """The writer task (< ``n``) of every chunk: each source domain's chunks, largest first, on
    the least loaded task, so that every task holds a share of every large domain (and writes
    one part file of it)."""
    loads = [0] * n
    placement = [0] * len(chunks)
    by_domain: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_domain.setdefault(c[S.SRC_DOMAIN], []).append(i)
    for domain in sorted(by_domain):
        used: set[int] = set()
        for i in sorted(by_domain[domain], key=lambda i: (-chunks[i]["chars"], i)):
            free = [t for t in range(n) if t not in used] or list(range(n))
            t = min(free, key=lambda t: (loads[t], t))
            placement[i] = t
            used.add(t)
            loads[t] += max(chunks[i]["chars"], 1)
    return placement


def exchange_for(chunks: list[dict], annotated: str, work: str, cfg: PipelineConfig,
                 parallelism: int) -> exchange.Exchange:  # fmt: skip
    """Step 2's exchange over ``chunks`` (:func:`chunk_list`) in ``annotated`` on
    ``parallelism`` cores, its files under ``work``: as many id buckets, key buckets and writer
    tasks as :func:`~curation.pipeline.dataset1_exchange.task_count` says, the chunks placed by
    :func:`place_chunks`."""
    n = exchange.task_count(sum(c["rows"] for c in chunks), cfg, parallelism)
    return exchange.Exchange(
        annotated=annotated, chunks=[c["name"] for c in chunks], rows=[c["rows"] for c in chunks],
        task_of_chunk=place_chunks(chunks, n), writers=n, buckets=n, work=work,
    )  # fmt: skip


def build_dataset1(ctx: Build) -> dict:
    """Step 2: the group facts (the exchange; fuzzy dedup's facts when enabled), then the
    writers: kept documents, ledger, counts. Under ``on_duplicate_id=error`` repeated ids fail
    the stage before anything is written."""
    t0 = time.time()
    spark, cfg, p, staging = ctx.spark, ctx.cfg, ctx.extra["plan"], ctx.out
    ann = ctx.parent(ANNOTATED)
    chunks = ann.manifest().get("chunks", [])
    ex = exchange_for(chunks, ann.path(DATA), join(staging, EXCHANGE_WORK), cfg,
                      spark.sparkContext.defaultParallelism)  # fmt: skip
    examples = adapters.exchange_facts(spark, ex, cfg)
    if cfg.ingest.on_duplicate_id == "error":
        _fail_on_duplicate_ids(exchange.duplicate_ids(examples))  # before writing anything
    fuzzy: dict = {}
    work = join(staging, FUZZY_WORK)
    if cfg.fuzzy_dedup.enabled:
        facts = adapters.exchange_fact_rows(spark, ex, join(work, "facts"))
        facts, result = adapters.near_facts(facts, ex.chunks, ann.path(DATA), work, cfg)
        fuzzy["fuzzy_dedup"] = {**result.stats(), "removed": result.removed}
        spark.sparkContext.setJobDescription("dataset-1 [2/2]: write kept documents and the ledger")
        counted = adapters.run_writers(facts, ex.writers, ex.chunks, ann.path(DATA), staging, cfg)
    else:
        counted = adapters.exchange_writers(spark, ex, staging, cfg)
    for folder in (join(staging, DATA), join(staging, REMOVED)):
        tasks.cleanup_temporary(folder)
    for folder in (work, ex.work):
        if ctx.storage.exists(folder):
            ctx.storage.delete(folder)
    counts = [Count(r[S.SRC_DOMAIN], r[S.DOMAIN], r[S.STAGE], r[S.REASON], r["n"]) for r in counted]
    return build_manifest(
        counts,
        stage=DATASET_1,
        per_domain_key=S.SRC_DOMAIN,
        per_output_domain=by_output_domain(counts),
        inputs={
            "root": p.root,
            "files": len(p.files),
            "bytes": p.total_bytes,
            "skipped_files": p.skipped,
            "ignored": p.ignored[:100],
            "not_followed": p.not_followed[:100],
        },
        elapsed_s=round(time.time() - t0, 2),
        **fuzzy,
    )


def _fail_on_duplicate_ids(dups) -> None:
    """Raise :class:`DuplicateIdError` naming the examples of ``dups`` (if any)."""
    if dups.examples:
        examples = "; ".join(f"{i!r} at {', '.join(at)}" for i, at in dups.examples)
        raise DuplicateIdError(
            f"input ids are not unique, e.g. {examples}. Fix the input, or set "
            "ingest.on_duplicate_id=quarantine to keep the first row of each id (by file, line) "
            "and send the others to the ledger"
        )


def _input_files(ctx: Build) -> list:
    """The input files (path relative to the input root, source domain, size): what the
    annotations are a function of besides the config."""
    return [(f.rel_path, f.src_domain, f.size) for f in ctx.extra["plan"].files]


ANNOTATED_STAGE = Stage(
    ANNOTATED,
    build_annotated,
    kind="cache",
    reads=(
        "ingest",
        Reads("langid", only=("engine", "max_chars")),
        Reads("exact_dedup", only=("normalize",)),
    ),
    version=ANNOTATION_VERSION,
    inputs=_input_files,
    description="every input row annotated (language, md5, length)",
)
DATASET1_STAGE = Stage(
    DATASET_1,
    build_dataset1,
    kind="dataset",
    parents=(ANNOTATED,),
    reads=DATASET1_SECTIONS,
    description="Dataset-1: language ID, exact dedup, length filter, fuzzy dedup",
)


def run(spark, input_path: str, run_path: str, cfg: PipelineConfig) -> dict:
    """Build ``<run>/dataset-1`` from ``input_path`` (skipped when already finished)."""
    storage = storage_for(normalize_uri(run_path), spark)
    run_uri = normalize_uri(run_path)
    apply_runtime_settings(spark, cfg.spark)
    p = plan(spark, input_path, cfg)
    log.info(
        "input %s: %d files, %.1f MB, domains %s",
        p.root,
        len(p.files),
        p.total_bytes / 1e6,
        p.domains,
    )
    with RunLock(storage, run_uri, job=DATASET_1):
        manifests = runner.run(
            [ANNOTATED_STAGE, DATASET1_STAGE], run_uri, cfg, storage, spark=spark,
            extra={"plan": p},
        )  # fmt: skip
        if not cfg.run.keep_annotated and storage.exists(join(run_uri, ANNOTATED)):
            storage.delete(join(run_uri, ANNOTATED))
    return manifests[DATASET_1]
