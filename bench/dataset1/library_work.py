"""(d) The Spark job's own work without Spark: the same task functions, in turn in one process,
or (e) on ``processes`` worker processes with nothing else between them.

Step 1 is :func:`curation.pipeline.dataset1_tasks.ingest_files` over the same task split as the
Spark job on ``--cores`` cores (:func:`curation.pipeline.dataset1.ingest_work`); step 2 is the
exchange's four jobs (:mod:`curation.pipeline.dataset1_exchange`: key rows, first rows of ids,
survivors, writers) over the same chunks, buckets and writer tasks - every task one after
another in this process, each reading and writing its files as a Spark task does. What it costs
is what the job's Python work costs without Spark's start-up, scheduling, workers and JVM, so the
job's core-s per GB less these are Spark's share. The reference preset, as the Spark side; the
kept ids are read from the written Parquet after the clock stops, for the agreement check.

With ``processes`` > 1 the same tasks go, in index order, to a pool of that many processes
forked from a server that imported the library once (``multiprocessing``'s forkserver: no
pickled closures, no JVM, no scheduler), one job after another as Spark runs them: step 1's
ingest tasks, then each exchange job's tasks. The pool's start is on the clock. This is the best
any scheduler can do with the job's work on these cores: it bounds what Spark can reach.

Run in a fresh process: ``python -m bench.dataset1.library_work INPUT OUT_IDS ENGINE CORES
[PROCESSES]``; prints one JSON line.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

_PRELOAD = ["curation.pipeline.dataset1_tasks", "curation.pipeline.dataset1_exchange"]


def _ingest(task: int, files: list, annotated: str, cfg) -> tuple[list[dict], float]:
    """Step 1's task ``task``: its reports and the CPU seconds it took."""
    from curation.pipeline import dataset1_tasks as tasks

    c0 = time.process_time()
    rows = [r for b in tasks.ingest_files(task, files, annotated, cfg) for r in b.to_pylist()]
    return rows, time.process_time() - c0


def _exchange(job: str, task: int, ex, cfg, staging: str) -> tuple[list[dict], float]:
    """Task ``task`` of one of step 2's jobs: the writers' counts (other jobs: none) and its CPU
    seconds."""
    from curation.pipeline import dataset1_exchange as exchange

    c0 = time.process_time()
    rows: list[dict] = []
    if job == "write":
        rows = [r for b in exchange.write_task(task, ex, staging, cfg) for r in b.to_pylist()]
    else:
        fn = {"keys": exchange.key_rows, "ids": exchange.id_facts,
              "survivors": exchange.survivor_facts}[job]  # fmt: skip
        for _ in fn(task, ex, cfg):
            pass
    return rows, time.process_time() - c0


def _starmap(pool, fn, args: list[tuple]) -> list:
    """``fn`` over ``args`` in this process (no pool) or on the pool, tasks handed out in index
    order as workers free up (as Spark's local scheduler does), results in index order."""
    if pool is None:
        return [fn(*a) for a in args]
    return pool.starmap(fn, args, chunksize=1)


def run(folder: Path, ids_out: Path | None, engine: str, cores: int, processes: int = 1) -> dict:
    import pyarrow.parquet as pq

    from curation import schema as S
    from curation.config import load_config
    from curation.listing import list_input
    from curation.pipeline import dataset1 as d1
    from curation.pipeline import dataset1_tasks as tasks
    from curation.run_layout import DATA, REMOVED
    from curation.stages import ingest
    from curation.storage import join, normalize_uri, storage_for

    cfg = load_config("reference", [f"langid.engine={engine}"])
    out = Path(tempfile.mkdtemp(prefix="library-work-", dir=folder.parent))
    pool = None
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        if processes > 1:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            pool = ctx.Pool(processes)
        root = normalize_uri(str(folder))
        plan = ingest.plan_inputs(list_input(storage_for(root), root).files, root, cfg.ingest)
        annotated = str(out / "annotated")
        done = _starmap(pool, _ingest, [(i, files, annotated, cfg) for i, files
                                        in enumerate(d1.ingest_work(plan, cfg, cores))])  # fmt: skip
        reported = [r for rows, _ in done for r in rows]
        task_cpu1 = sum(cpu for _, cpu in done)
        listed = d1.chunk_list(reported)
        c1 = time.process_time()
        ex = d1.exchange_for(listed, annotated, str(out / "exchange"), cfg, cores)
        staging = str(out / "dataset-1")
        task_cpu2 = 0.0
        counts: Counter[str] = Counter()
        for job, n in (("keys", ex.writers), ("ids", ex.buckets), ("survivors", ex.buckets),
                       ("write", ex.writers)):  # fmt: skip
            for rows, cpu in _starmap(pool, _exchange, [(job, t, ex, cfg, staging)
                                                        for t in range(n)]):  # fmt: skip
                task_cpu2 += cpu
                for row in rows:
                    counts[row[S.STAGE] or "kept"] += row["n"]
        for written in (join(staging, DATA), join(staging, REMOVED)):
            tasks.cleanup_temporary(written)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        step1 = c1 - c0
        if pool is not None:  # the tasks ran in the pool: their CPU, and this process's own
            step1, cpu = step1 + task_cpu1, cpu + task_cpu1 + task_cpu2
        kept = sorted(
            i for p in sorted((out / "dataset-1" / DATA).glob("domain=*/*.parquet"))
            for i in pq.read_table(p, columns=[S.ID]).column(S.ID).to_pylist()
        )  # fmt: skip
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        shutil.rmtree(out, ignore_errors=True)
    if ids_out is not None:
        ids_out.write_text("\n".join(kept) + "\n")
    return {
        "docs": sum(c["rows"] for c in listed), "wall_s": wall, "cpu_s": cpu,
        "step1_cpu_s": step1, "step2_cpu_s": cpu - step1, "rows_out": len(kept),
        "removed_by_stage": {k: v for k, v in sorted(counts.items()) if k != "kept"},
        "processes": processes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


if __name__ == "__main__":
    procs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    result = run(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), procs)
    print(json.dumps(result))
