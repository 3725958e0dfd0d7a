"""(d) The Spark job's own work in one process, without Spark: the same task functions, in turn.

Step 1 is :func:`curation.pipeline.dataset1_tasks.ingest_files` over the same task split as the
Spark job on ``--cores`` cores (:func:`curation.pipeline.dataset1.ingest_work`); step 2 is the
exchange's four jobs (:mod:`curation.pipeline.dataset1_exchange`: key rows, first rows of ids,
survivors, writers) over the same chunks, buckets and writer tasks - every task one after
another in this process, each reading and writing its files as a Spark task does. What it costs
is what the job's Python work costs without Spark's start-up, scheduling, workers and JVM, so the
job's core-s per GB less these are Spark's share. The reference preset, as the Spark side; the
kept ids are read from the written Parquet after the clock stops, for the agreement check. Run
in a fresh process: ``python -m bench.dataset1.library_work INPUT OUT_IDS ENGINE CORES``; prints
one JSON line.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def run(folder: Path, ids_out: Path | None, engine: str, cores: int) -> dict:
    import pyarrow.parquet as pq

    from curation import schema as S
    from curation.config import load_config
    from curation.listing import list_input
    from curation.pipeline import dataset1 as d1
    from curation.pipeline import dataset1_exchange as exchange
    from curation.pipeline import dataset1_tasks as tasks
    from curation.run_layout import DATA, REMOVED
    from curation.stages import ingest
    from curation.storage import join, normalize_uri, storage_for

    cfg = load_config("reference", [f"langid.engine={engine}"])
    out = Path(tempfile.mkdtemp(prefix="library-work-", dir=folder.parent))
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        root = normalize_uri(str(folder))
        plan = ingest.plan_inputs(list_input(storage_for(root), root).files, root, cfg.ingest)
        annotated = str(out / "annotated")
        reported = []
        for i, files in enumerate(d1.ingest_work(plan, cfg, cores)):
            for batch in tasks.ingest_files(i, files, annotated, cfg):
                reported += batch.to_pylist()
        listed = d1.chunk_list(reported)
        c1 = time.process_time()
        ex = d1.exchange_for(listed, annotated, str(out / "exchange"), cfg, cores)
        for t in range(ex.writers):
            list(exchange.key_rows(t, ex, cfg))
        for b in range(ex.buckets):
            list(exchange.id_facts(b, ex, cfg))
        for b in range(ex.buckets):
            list(exchange.survivor_facts(b, ex, cfg))
        staging = str(out / "dataset-1")
        counts: Counter[str] = Counter()
        for t in range(ex.writers):
            for batch in exchange.write_task(t, ex, staging, cfg):
                for row in batch.to_pylist():
                    counts[row[S.STAGE] or "kept"] += row["n"]
        for written in (join(staging, DATA), join(staging, REMOVED)):
            tasks.cleanup_temporary(written)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        step1 = c1 - c0
        kept = sorted(
            i for p in sorted((out / "dataset-1" / DATA).glob("domain=*/*.parquet"))
            for i in pq.read_table(p, columns=[S.ID]).column(S.ID).to_pylist()
        )  # fmt: skip
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if ids_out is not None:
        ids_out.write_text("\n".join(kept) + "\n")
    return {
        "docs": sum(c["rows"] for c in listed), "wall_s": wall, "cpu_s": cpu,
        "step1_cpu_s": step1, "step2_cpu_s": cpu - step1, "rows_out": len(kept),
        "removed_by_stage": {k: v for k, v in sorted(counts.items()) if k != "kept"},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


if __name__ == "__main__":
    result = run(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    print(json.dumps(result))
