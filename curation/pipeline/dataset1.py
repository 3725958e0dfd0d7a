"""Dataset-1 on Spark: ingest -> language ID -> MD5 exact dedup -> length filter.

Two declared stages, run by :mod:`curation.runner`:

1. ``_work/annotated`` (a cache): every input row (documents and invalid rows) with language, md5
   and length - the expensive Python pass, done once per input and annotation config (the input
   files' paths and sizes are part of its fingerprint);
2. ``dataset-1``: the decisions of the current thresholds over the annotated rows, exact dedup as
   a shuffle, then the kept documents, the removal ledger and the manifest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

from curation import runner
from curation import schema as S
from curation.config import PipelineConfig, config_hash
from curation.errors import CurationError
from curation.manifest import Count, build_manifest, by_output_domain
from curation.run_layout import ANNOTATED, DATA, DATASET_1, REMOVED
from curation.run_lock import RunLock
from curation.runner import Build, Reads, Stage
from curation.spark import adapters
from curation.spark.session import apply_runtime_settings
from curation.stages import ingest
from curation.storage import HadoopStorage, join, normalize_uri

log = logging.getLogger(__name__)

ANNOTATION_VERSION = 1  # bump when annotate_batch changes what it computes
DATASET1_SECTIONS = ("ingest", "langid", "exact_dedup", "length")


class DuplicateIdError(CurationError, ValueError):
    """Input rows share an id and ``ingest.on_duplicate_id`` is ``error``."""


def plan(spark, input_path: str, cfg: PipelineConfig) -> ingest.InputPlan:
    storage = HadoopStorage(spark)
    root = normalize_uri(input_path)
    if not storage.is_dir(root):
        raise ingest.InputLayoutError(f"input folder {input_path} does not exist")
    return ingest.plan_inputs(storage.list_files(root), root, cfg.ingest)


def decisions_fingerprint(cfg: PipelineConfig) -> str:
    """What :func:`curation.stages.dataset1.decide_batch` depends on."""
    return config_hash({"langid": asdict(cfg.langid), "length": asdict(cfg.length)})


def build_annotated(ctx: Build) -> dict:
    """Step 1: parse, annotate and decide every input file into ``_work/annotated``."""
    from pyspark.sql import functions as F

    t0 = time.time()
    spark, cfg, p, staging = ctx.spark, ctx.cfg, ctx.extra["plan"], ctx.out
    sc = spark.sparkContext
    sc.setJobDescription(f"dataset-1 [1/2]: ingest + language ID + md5 of {len(p.files)} files")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "8")  # whole files per batch
    try:
        adapters.ingest_annotated(spark, p, cfg).write.parquet(join(staging, DATA))
    finally:
        spark.conf.set(
            "spark.sql.execution.arrow.maxRecordsPerBatch", str(cfg.spark.arrow_batch_rows)
        )
    sc.setJobDescription("dataset-1 [1/2]: count rows per file")
    rows = (
        spark.read.parquet(join(staging, DATA))
        .groupBy(S.SRC_FILE)
        .agg(F.count("*").alias("rows"), F.count(S.INVALID_REASON).alias("invalid"))
        .collect()
    )
    per_file = {r[S.SRC_FILE]: {"rows": r["rows"], "invalid": r["invalid"]} for r in rows}
    return {
        "stage": ANNOTATED,
        "rows": sum(v["rows"] for v in per_file.values()),
        "decisions": decisions_fingerprint(cfg),
        "files": dict(sorted(per_file.items())),
        "elapsed_s": round(time.time() - t0, 2),
    }


def _check_duplicate_ids(df, cfg: PipelineConfig):
    """Fail on, or quarantine, input rows that share an id (invalid rows never count)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    valid = F.col(S.INVALID_REASON).isNull()
    where = F.concat_ws(":", F.col(S.SRC_FILE), F.col(S.SRC_LINE).cast("string"))
    if cfg.ingest.on_duplicate_id == "error":
        dups = (
            df.filter(valid)
            .groupBy(S.ID)
            .agg(F.count("*").alias("n"), F.sort_array(F.collect_list(where)).alias("at"))
            .filter(F.col("n") > 1)
            .orderBy(S.ID)
            .limit(10)
            .collect()
        )
        if dups:
            examples = "; ".join(f"{r[S.ID]!r} at {', '.join(r['at'][:3])}" for r in dups)
            raise DuplicateIdError(
                f"input ids are not unique, e.g. {examples}. Fix the input, or set "
                "ingest.on_duplicate_id=quarantine to keep the first row of each id (by file, line) "
                "and send the others to the ledger"
            )
        return df
    first = Window.partitionBy(S.ID, valid).orderBy(S.SRC_FILE, S.SRC_LINE)
    df = df.withColumn("_first", F.first(where).over(first)).withColumn(
        "_again", valid & (F.row_number().over(first) > 1)
    )
    again = F.col("_again")
    note = F.concat(where, F.lit(": id "), F.col(S.ID), F.lit(" already used at "), F.col("_first"))
    replaced = {
        S.INVALID_REASON: F.lit(ingest.DUPLICATE_ID),
        S.STAGE: F.lit(S.STAGE_INVALID),
        S.REASON: F.lit(ingest.DUPLICATE_ID),
        S.SCORE: F.lit(None).cast("double"),
        S.DETAIL: note,
        S.TOO_SHORT: F.lit(False),
    }
    return df.select(
        *[
            F.when(again, replaced[c]).otherwise(F.col(c)).alias(c) if c in replaced else F.col(c)
            for c in df.columns
            if c not in ("_first", "_again")
        ]
    )


def _write_by_domain(df, uri: str, storage) -> None:
    """Kept documents -> ``<uri>/domain=<name>/part-*.parquet`` (``domain`` also in the files).

    Written straight from the exact-dedup shuffle: each of its partitions writes one file per
    domain it holds, so the number of writers follows ``spark.shuffle_partitions``.
    """
    from pyspark.sql import functions as F

    tmp = join(uri, "_by_domain")
    df.withColumn("_domain", F.col(S.DOMAIN)).write.partitionBy("_domain").parquet(tmp)
    for folder, is_dir in storage.list_dir(tmp):
        name = folder.rsplit("/", 1)[-1]
        if is_dir and name.startswith("_domain="):
            storage.rename(folder, join(uri, "domain=" + name[len("_domain=") :]))
    storage.delete(tmp)


def build_dataset1(ctx: Build) -> dict:
    """Step 2: exact dedup (one shuffle), then kept documents, ledger and manifest."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    t0 = time.time()
    spark, cfg, p, storage, staging = ctx.spark, ctx.cfg, ctx.extra["plan"], ctx.storage, ctx.out
    ann = ctx.parent(ANNOTATED)
    sc = spark.sparkContext
    sc.setJobDescription("dataset-1 [2/2]: check input ids")
    rows = spark.read.parquet(ann.path(DATA))
    if ann.manifest().get("decisions") != decisions_fingerprint(cfg):
        log.info("thresholds changed since %s was written: deciding again", ann.final)
        rows = adapters.redecided(rows, cfg)
    rows = _check_duplicate_ids(rows, cfg)
    decided = adapters.with_exact_dedup(rows, cfg).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        sc.setJobDescription("dataset-1 [2/2]: exact dedup, write kept documents")
        kept = adapters.select_schema(decided.filter(F.col(S.STAGE).isNull()), S.RECORD_SCHEMA)
        _write_by_domain(kept, join(staging, DATA), storage)
        sc.setJobDescription("dataset-1 [2/2]: write the removal ledger")
        ledger = adapters.select_schema(decided.filter(F.col(S.STAGE).isNotNull()), S.LEDGER_SCHEMA)
        ledger.write.parquet(join(staging, REMOVED))
        sc.setJobDescription("dataset-1 [2/2]: count")
        counted = decided.groupBy(S.SRC_DOMAIN, S.DOMAIN, S.STAGE, S.REASON).count().collect()
    finally:
        decided.unpersist()
    counts = [
        Count(r[S.SRC_DOMAIN], r[S.DOMAIN], r[S.STAGE], r[S.REASON], r["count"]) for r in counted
    ]
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
        },
        elapsed_s=round(time.time() - t0, 2),
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
    description="Dataset-1: language ID, exact dedup, length filter",
)


def run(spark, input_path: str, run_path: str, cfg: PipelineConfig) -> dict:
    """Build ``<run>/dataset-1`` from ``input_path`` (skipped when already finished)."""
    storage = HadoopStorage(spark)
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
