"""Stage 4: one vector per Dataset-1 document into ``<run>/embeddings/`` (a resumable stage).

Shards are aligned with the Dataset-1 data files (:mod:`curation.formats.embeddings`) and each
is written atomically (temporary file + rename) straight into ``<run>/embeddings/``, so the stage
resumes shard by shard: a shard computed for the current fingerprint and Dataset-1 build is kept,
a missing one (or one of another fingerprint) is computed. The runner (:mod:`curation.runner`)
finishes the stage with ``_MANIFEST.json`` and then ``_SUCCESS``, as every other stage.

The fingerprint covers Dataset-1's and the ``embed`` section's result fields, plus what the
embedder itself says shapes its vectors here (:meth:`curation.embedders.Embedder.fingerprint`:
the *resolved* precision - never ``auto`` -, the effective character budget, the package version
of a builtin encoder); batch sizes, threads and the device are tuning fields and are left out.

Two engines, one per-shard function (:func:`curation.stages.embed.embed_shard`):

* local (``spark=None``): this process, a progress bar in documents per second;
* Spark: one task per shard (``sc.parallelize(shards, len(shards))``), one model per Python
  worker (loaded lazily, cached in the worker), progress logged by the driver. Tasks read and
  write with pyarrow file systems, so executors need access to the run path (local or shared
  file system, S3).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, replace

from curation import runner
from curation.config import EmbedConfig, PipelineConfig
from curation.device import resolve_device
from curation.embedders import get_embedder
from curation.errors import CurationError
from curation.formats import embeddings as E
from curation.manifest import ConservationError
from curation.run_layout import DATA, DATASET_1, EMBEDDINGS
from curation.runner import Build, Stage
from curation.stages import embed as stage_embed
from curation.storage import Storage, join, normalize_uri, storage_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shard:
    domain: str
    rel: str  # "domain=<name>/<file>.parquet", the same under dataset-1/data and embeddings
    src: str  # URI of the Dataset-1 file
    dst: str  # URI of the embeddings shard
    size: int  # bytes of the Dataset-1 file


def list_shards(storage: Storage, run_uri: str) -> list[Shard]:
    """The Dataset-1 data files (``data/domain=*/*.parquet``), sorted, with their targets."""
    root = join(run_uri, DATASET_1, DATA)
    shards = []
    for entry in storage.list_files(root):
        folder, name = entry.path.rsplit("/", 2)[-2:]
        if not folder.startswith("domain=") or name.startswith((".", "_")):
            continue
        if not name.endswith(".parquet"):
            continue
        rel = f"{folder}/{name}"
        dst = join(run_uri, EMBEDDINGS, rel)
        shards.append(Shard(folder.removeprefix("domain="), rel, entry.path, dst, entry.size))
    return sorted(shards, key=lambda s: s.rel)


def _inputs(ctx: Build) -> dict:
    """What the config cannot say: the embedder's own fingerprint on this machine (the resolved
    precision, the effective character budget, a builtin encoder's package version)."""
    cfg = ctx.cfg.embed
    device = resolve_device(cfg.device)
    return {"embedder": get_embedder(cfg, device).fingerprint(), "format": E.FORMAT_VERSION}


def build(ctx: Build) -> dict:
    """Embed every Dataset-1 shard not yet embedded for this fingerprint (here or on Spark)."""
    t0 = time.time()
    cfg, storage, spark = ctx.cfg, ctx.storage, ctx.spark
    ds1 = ctx.parent(DATASET_1)
    ds1_manifest = ds1.manifest()
    shards = list_shards(storage, ctx.run)
    key = f"{ctx.fingerprint}:{ds1.success().get('build', '')}"  # valid shards: this fp and input
    _remove_leftovers(storage, ctx.out, {s.rel for s in shards})
    log.info("embeddings of %d Dataset-1 shards with %s", len(shards), cfg.embed.model)
    t1 = time.time()
    if spark is None:
        results = _run_local(shards, cfg.embed, key)
    else:
        results = _run_spark(spark, shards, cfg.embed, key)
    timing = {"embed_wall_s": time.time() - t1, "elapsed_s": time.time() - t0}
    manifest = _manifest(shards, results, cfg, ds1_manifest, spark is not None, timing)
    log.info(
        "%s: %d documents, %d shards computed (%.1f docs/s), %d reused",
        ctx.out,
        manifest["rows"],
        manifest["computed_shards"],
        manifest["docs_per_s"],
        manifest["reused_shards"],
    )
    return manifest


STAGE = Stage(
    EMBEDDINGS,
    build,
    kind="output",
    parents=(DATASET_1,),
    reads=("embed",),
    inputs=_inputs,
    resumable=True,
    description="embeddings of every Dataset-1 document",
)


def run(run_path: str, cfg: PipelineConfig, spark=None) -> dict:  # noqa: ANN001
    """Build ``<run>/embeddings`` from ``<run>/dataset-1`` (here, or on Spark when ``spark``)."""
    run_uri = normalize_uri(run_path)
    return runner.run([STAGE], run_uri, cfg, storage_for(run_uri, spark), spark=spark)[EMBEDDINGS]


def _remove_leftovers(storage: Storage, folder: str, expected: set[str]) -> None:
    """Before resuming: temporary files of killed writers and shards of files Dataset-1 no longer
    has (shards of another fingerprint are recomputed in place)."""
    if not storage.exists(folder):
        return
    for entry in storage.list_files(folder):
        parent, name = entry.path.rsplit("/", 2)[-2:]
        rel = f"{parent}/{name}"
        stale = name.endswith(".tmp") or (name.endswith(".parquet") and rel not in expected)
        if stale:
            log.info("removing leftover %s", entry.path)
            storage.delete(entry.path)


def _shard_result(shard: Shard, rows: int, computed: bool, seconds: float) -> dict:
    info = stage_embed.shard_info(shard.dst)
    if info is None or info[0] != rows:
        raise RuntimeError(f"{shard.dst} was not written correctly")
    meta = info[1]
    return {
        "rel": shard.rel,
        "rows": rows,
        "computed": computed,
        "seconds": seconds,
        "dim": int(meta["dim"]),
        "precision": meta.get("precision", ""),
    }


def _is_done(shard: Shard, fp: str) -> bool:
    info = stage_embed.shard_info(shard.dst)
    return info is not None and info[1].get("fingerprint", "") == fp


# --- local engine ---------------------------------------------------------------------------------


def _run_local(shards: list[Shard], cfg: EmbedConfig, fp: str) -> list[dict]:
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    from curation.device import resolve_device

    device = resolve_device(cfg.device)
    todo = [s for s in shards if not _is_done(s, fp)]
    docs = 0
    for s in todo:
        fs, path = stage_embed._fs(s.src)
        with fs.open_input_file(path) as f:
            docs += pq.ParquetFile(f).metadata.num_rows
    log.info(
        "%d shards (%d documents) to embed on %s, %d already done",
        len(todo),
        docs,
        device,
        len(shards) - len(todo),
    )
    embedder = get_embedder(cfg, device)
    if todo:
        embedder.load()  # fail before the loop, and outside the timing
    todo_rels = {s.rel for s in todo}
    results = []
    with tqdm(total=docs, unit="docs", desc="embeddings", disable=None, smoothing=0.1) as bar:
        for s in shards:
            t = time.time()
            rows = stage_embed.embed_shard(
                s.src, s.dst, cfg, device, fingerprint=fp, progress=bar.update, embedder=embedder
            )
            result = _shard_result(s, rows, s.rel in todo_rels, time.time() - t)
            results.append(result | {"device": device})
    return results


# --- Spark engine ---------------------------------------------------------------------------------


class ExecutorMismatchError(CurationError, RuntimeError):
    """An executor would compute vectors other than those the driver's fingerprint promises."""


def _spark_task(shard: Shard, cfg: EmbedConfig, fp: str, expected: dict) -> dict:
    """One shard on an executor: the model is loaded once per Python worker and cached."""
    device = resolve_device(cfg.device)
    t = time.time()
    computed = not _is_done(shard, fp)
    embedder = get_embedder(cfg, device)
    if computed and embedder.fingerprint() != expected:
        raise ExecutorMismatchError(
            f"an executor embeds with {embedder.fingerprint()} on {device}, the driver "
            f"resolved {expected}: set embed.precision (and embed.device) explicitly"
        )
    rows = stage_embed.embed_shard(
        shard.src, shard.dst, cfg, device, fingerprint=fp, embedder=embedder
    )
    return _shard_result(shard, rows, computed, time.time() - t) | {"device": device}


def _run_spark(spark, shards: list[Shard], cfg: EmbedConfig, fp: str) -> list[dict]:
    if not shards:
        return []
    expected = get_embedder(cfg, resolve_device(cfg.device)).fingerprint()
    sc = spark.sparkContext
    if cfg.threads == 0:  # one task per spark.task.cpus cores: don't oversubscribe them
        cfg = replace(cfg, threads=int(sc.getConf().get("spark.task.cpus", "1")))
    group = f"embeddings-{int(time.time() * 1000)}"
    sc.setJobGroup(group, f"embeddings: {len(shards)} shards with {cfg.model}")
    watcher = _SparkProgress(sc, group, len(shards))
    watcher.start()
    try:  # a ModelLoadError in a task reaches the user as one line (curation.errors)
        results = (
            sc.parallelize(shards, len(shards))
            .map(lambda s, cfg=cfg, fp=fp, want=expected: _spark_task(s, cfg, fp, want))
            .collect()
        )
    finally:
        watcher.stop()
        for key in ("spark.jobGroup.id", "spark.job.description"):
            sc.setLocalProperty(key, None)
    return results


class _SparkProgress(threading.Thread):
    """Logs 'k/n shards done' while a Spark job group runs (executors' logs are elsewhere)."""

    def __init__(self, sc, group: str, total: int, interval: float = 15.0) -> None:
        super().__init__(daemon=True, name="embeddings-progress")
        self._tracker = sc.statusTracker()
        self._group, self._total, self._interval = group, total, interval
        self._done = threading.Event()
        self._t0 = time.time()

    def run(self) -> None:
        while not self._done.wait(self._interval):
            try:
                finished = 0
                for job in self._tracker.getJobIdsForGroup(self._group):
                    info = self._tracker.getJobInfo(job)
                    for sid in info.stageIds if info else []:
                        stage = self._tracker.getStageInfo(sid)
                        finished += stage.numCompletedTasks if stage else 0
                log.info(
                    "embeddings: %d/%d shards done after %.0f s",
                    finished,
                    self._total,
                    time.time() - self._t0,
                )
            except Exception:  # progress is best effort
                log.debug("progress poll failed", exc_info=True)

    def stop(self) -> None:
        self._done.set()


# --- manifest -------------------------------------------------------------------------------------


def _manifest(
    shards: list[Shard],
    results: list[dict],
    cfg: PipelineConfig,
    ds1_manifest: dict,
    on_spark: bool,
    timing: dict[str, float],
) -> dict:
    by_rel = {r["rel"]: r for r in results}
    per_domain: dict[str, int] = {}
    for s in shards:
        per_domain[s.domain] = per_domain.get(s.domain, 0) + by_rel[s.rel]["rows"]
    rows = sum(per_domain.values())
    expected = ds1_manifest.get("rows_out")
    if expected is not None and rows != expected:
        raise ConservationError(f"embeddings hold {rows} documents, Dataset-1 has {expected}")
    outputs = ds1_manifest.get("outputs") or {}
    wrong = {d: (n, outputs.get(d, 0)) for d, n in per_domain.items() if n != outputs.get(d, n)}
    if wrong:
        raise ConservationError(f"embeddings vs Dataset-1 documents per domain differ: {wrong}")
    computed = [r for r in results if r["computed"]]
    docs = sum(r["rows"] for r in computed)
    # local: the shards' own time (no model loading); Spark: the job's wall time
    wall = timing["embed_wall_s"] if on_spark else sum(r["seconds"] for r in computed)
    dims = {r["dim"] for r in results}
    return {
        "stage": EMBEDDINGS,
        "rows": rows,
        "per_domain": dict(sorted(per_domain.items())),
        "dim": dims.pop() if len(dims) == 1 else sorted(dims) or None,
        "dtype": cfg.embed.store_dtype,
        "model": cfg.embed.model,
        "prefix": cfg.embed.prefix,
        "max_seq_length": cfg.embed.max_seq_length,
        "precision": sorted({r["precision"] for r in results}),
        "devices": sorted({r["device"] for r in results if "device" in r}),
        "engine": "spark" if on_spark else "local",
        "shards": len(shards),
        "computed_shards": len(computed),
        "reused_shards": len(results) - len(computed),
        "computed_docs": docs,
        "task_seconds": round(sum(r["seconds"] for r in computed), 2),
        "embed_wall_s": round(timing["embed_wall_s"], 2),
        "docs_per_s": round(docs / wall, 2) if docs and wall > 0 else 0.0,
        "elapsed_s": round(timing["elapsed_s"], 2),
        "inputs": {"dataset-1": ds1_manifest["fingerprint"]},
        "config": asdict(cfg.embed),
    }
