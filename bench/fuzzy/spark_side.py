"""(a) Our stage: :func:`curation.spark.fuzzy.near_duplicates` on Spark ``local[CORES]`` (the
project's venv), from the JSONL parts to the kept documents in Parquet, as datatrove's steps do.

    python -m bench.fuzzy.spark_side INPUT WORK CORES NGRAM BANDS ROWS THRESHOLD SHINGLE

``seconds`` is the stage's own time, as it runs inside Dataset-1's application: from the session
being up *and warm* to the kept documents written. Before the clock starts, two small jobs that
have nothing to do with the input (``warm_s``): a 1,000-row Parquet write, which loads the classes
and JIT-compiles the planner paths every first query of a fresh JVM pays (about 3 s here), and an
identity ``mapInArrow`` over 1,000 rows in ``CORES`` tasks, which starts Spark's Python daemon and
its workers (about 3 s: the daemon, each worker's fork and imports, the JVM's Arrow classes). In
Dataset-1 the stage runs after language ID and exact dedup, in a JVM that has planned and run
those, and right after a Python pass over the same application's workers (the rows that reach
it). What the stage's own code loads in a worker (the compiled MinHash kernels, the code point
tables) is not warmed: the stage pays it. The JVM's start is in the wall time the driver
measures around this process, not here. ``job_s``: seconds of the Spark jobs
by job description (the profile: which step costs what), from the Spark UI's REST API. The parsed
input is persisted (``MEMORY_AND_DISK``): three jobs read it (band keys, the candidates' texts,
the kept documents), and parsing the JSON again for each would be a cost of this harness, not of
the stage (Dataset-1 reads its Parquet chunks). Prints one JSON line; writes WORK/groups.jsonl
(survivor + its removed members, sorted) and WORK/removed_ids.txt.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from curation import schema as S
from curation.config import FuzzyDedupConfig, SparkConfig
from curation.spark.fuzzy import near_duplicates
from curation.spark.session import get_spark


def main() -> None:
    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    cores, n, bands, rows = (int(x) for x in sys.argv[3:7])
    threshold, shingle = float(sys.argv[7]), sys.argv[8]
    cfg = FuzzyDedupConfig(enabled=True, shingle=shingle, ngram=n, bands=bands, rows=rows,
                           threshold=threshold)  # fmt: skip
    spark = get_spark(SparkConfig(master=f"local[{cores}]", app_name="bench-fuzzy",
                                  shuffle_partitions=2 * cores))  # fmt: skip
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    t_warm = time.perf_counter()
    spark.sparkContext.setJobDescription("bench: JVM warm-up (not timed)")
    spark.range(1000).selectExpr("id", "cast(id as string) as s").write.parquet(
        str(work / "warm-up")
    )
    ids = spark.range(0, 1000, 1, cores)

    def identity(batches):
        yield from batches

    ids.mapInArrow(identity, ids.schema).write.parquet(str(work / "warm-up-python"))
    warm_s = time.perf_counter() - t_warm
    t0 = time.perf_counter()
    docs = (
        spark.read.schema(f"{S.ID} string, {S.TEXT} string")
        .json(str(src))
        .withColumn(S.DOMAIN, F.lit("cc"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    result = near_duplicates(docs, cfg, str(work / "fuzzy"))
    removals = spark.read.parquet(result.removals)
    spark.sparkContext.setJobDescription("bench: kept documents")
    docs.join(removals.select(S.ID), on=S.ID, how="left_anti").write.parquet(str(work / "out"))
    seconds = time.perf_counter() - t0
    job_s = job_seconds(spark)
    job_s.pop("bench: JVM warm-up (not timed)", None)
    spark.stop()
    rows_ = pq.read_table(str(work / "fuzzy" / "removals"), columns=[S.ID, S.DUPLICATE_OF])
    groups = defaultdict(set)
    for doc, survivor in zip(rows_[S.ID].to_pylist(), rows_[S.DUPLICATE_OF].to_pylist(),
                             strict=True):  # fmt: skip
        groups[survivor].update((doc, survivor))
    with open(work / "groups.jsonl", "w") as fh:
        fh.writelines(json.dumps(sorted(g)) + "\n" for g in groups.values())
    (work / "removed_ids.txt").write_text("".join(i + "\n" for i in rows_[S.ID].to_pylist()))
    print(json.dumps({"seconds": seconds, "removed": result.removed, **result.stats(),
                      "warm_s": round(warm_s, 2), "job_s": job_s}))  # fmt: skip


def job_seconds(spark) -> dict[str, float]:
    """Seconds of the session's finished Spark jobs, summed by job description (the UI's REST
    API; empty when the UI is off)."""
    url = spark.sparkContext.uiWebUrl
    if not url:
        return {}
    app = spark.sparkContext.applicationId
    with urllib.request.urlopen(f"{url}/api/v1/applications/{app}/jobs?status=succeeded") as fh:
        jobs = json.load(fh)

    def at(stamp: str) -> float:
        return datetime.strptime(
            stamp.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z"
        ).timestamp()

    out: dict[str, float] = defaultdict(float)
    for job in jobs:
        span = at(job["completionTime"]) - at(job["submissionTime"])
        out[job.get("description") or job["name"]] += span
    return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


if __name__ == "__main__":
    main()
