"""The Dataset-1 benchmark's sides without Spark (``bench.dataset1.library_work``): the Spark
job's task functions run in turn in one process, or on a pool of two, must decide what the plain
loop decides, on a slice of the shared corpus with planted exact copies - else their core-s are
not the job's work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bench.dataset1 import library_work, plain_loop

LINES_PER_FILE = 120


def _slice(shared: Path, out: Path) -> int:
    """The first lines of every shared shard, each domain's first document copied again under a
    new id (an exact duplicate) and a short document added; returns the documents written."""
    docs = 0
    for src in sorted((shared / "corpus").glob("*/*.jsonl.gz")):
        lines = gzip.decompress(src.read_bytes()).split(b"\n")
        recs = [json.loads(x) for x in lines if x.strip()][:LINES_PER_FILE]
        if src.name == "part-00000.jsonl.gz":
            recs.append({"id": f"copy-of-{recs[0]['id']}", "text": recs[0]["text"]})
            recs.append({"id": f"short-{src.parent.name}", "text": "Too short to keep."})
        dst = out / src.parent.name / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n"
        dst.write_bytes(gzip.compress(body.encode("utf-8")))
        docs += len(recs)
    return docs


@pytest.mark.parametrize("processes", [1, 2])
def test_the_sides_without_spark_keep_what_the_plain_loop_keeps(shared_data, tmp_path, processes):
    folder = tmp_path / "input"
    docs = _slice(shared_data, folder)
    loop = plain_loop.run(folder, tmp_path / "loop.txt")
    work = library_work.run(folder, tmp_path / "work.txt", "cld2", 2, processes)

    assert work["docs"] == loop["docs"] == docs
    kept = (tmp_path / "work.txt").read_text().split()
    assert kept == (tmp_path / "loop.txt").read_text().split()
    assert len(kept) == work["rows_out"] == loop["rows_out"]
    assert work["removed_by_stage"] == {k: v for k, v in loop["removed_by_stage"].items() if v}
    assert all(loop["removed_by_stage"][k] > 0 for k in ("langid", "exact_dedup", "length"))
    assert len(kept) + sum(work["removed_by_stage"].values()) == docs
    assert 0 < work["step1_cpu_s"] <= work["cpu_s"]
    # step 1 does the loop's work (language ID dominates): with a pool, the tasks' CPU is counted
    assert work["step1_cpu_s"] > 0.5 * loop["cpu_s"] and work["step2_cpu_s"] > 0
    assert not any(p.name.startswith("library-work-") for p in tmp_path.iterdir())  # cleaned up
