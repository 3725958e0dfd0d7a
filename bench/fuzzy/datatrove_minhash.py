"""(b) datatrove 0.10.1's four MinHash steps on the benchmark input - run by the datatrove venv's
Python (``runs/bench/datatrove-venv``, made by :func:`bench.dataset1.datatrove_peer.ensure_venv`),
never imported by the project.

    python datatrove_minhash.py INPUT WORK WORKERS NGRAM BANDS ROWS

Shingles as fuzzy dedup's ``word`` rule: words are maximal runs of Unicode letters, marks, digits
and ``_`` of the lower-cased text (datatrove's own text simplification and word tokenizer are
replaced by this, so both sides hash the same word n-grams); ``BANDS`` buckets of ``ROWS`` hashes
each. Steps (each a LocalPipelineExecutor with ``WORKERS`` workers): 1 signatures (one task per
input file), 2 buckets (one task per bucket), 3 cluster (one task, cluster ids saved), 4 filter
(one task per input file; kept documents to Parquet, removed ones to JSONL). datatrove links every
candidate pair (no verification) and keeps the first document of the bigger half at each union.

Prints one JSON line: seconds per step, removed count; writes WORK/groups.jsonl (one line per
cluster of two or more documents: the sorted ids) and WORK/removed_ids.txt.
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import regex
from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import minhash
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
from datatrove.utils.text import ngrams

WORD = regex.compile(r"[\p{L}\p{M}\p{N}_]+")
# the signature step loads its (spaCy) word tokenizer in __init__; these shingles do not use it
minhash.load_word_tokenizer = lambda _language: None


class WordSignature(MinhashDedupSignature):
    """datatrove's signature step with fuzzy dedup's word shingles."""

    def get_shingles(self, text: str) -> np.ndarray:
        # encoded here: xxhash 4 (what pip picks for datatrove 0.10.1) hashes bytes only, where
        # xxhash 3 encoded a str as UTF-8 itself
        words = WORD.findall(text.lower())
        grams = ngrams(words, self.config.n_grams) if len(words) >= self.config.n_grams else [words]
        return np.fromiter(
            {self._hash_func(" ".join(g).encode()) for g in grams if g}, dtype=np.uint64
        ).reshape((-1, 1))


def cluster_record(_writer, doc: Document) -> dict:
    return {"id": doc.id, "cluster": doc.metadata.get("minhash_cluster_id", -1)}


def main() -> None:
    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    workers, ngram, bands, rows = (int(x) for x in sys.argv[3:7])
    files = len(list(src.glob("*.jsonl")))
    cfg = MinhashConfig(n_grams=ngram, num_buckets=bands, hashes_per_bucket=rows)

    def reader():
        return JsonlReader(str(src), glob_pattern="*.jsonl", compression=None,
                           file_progress=False, doc_progress=False)  # fmt: skip

    steps = {
        "1 signatures": LocalPipelineExecutor(
            pipeline=[reader(), WordSignature(output_folder=str(work / "sigs"), config=cfg)],
            tasks=files, workers=workers, logging_dir=str(work / "logs1"),
        ),
        "2 buckets": LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=cfg)],
            tasks=bands, workers=workers, logging_dir=str(work / "logs2"),
        ),
        "3 cluster": LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=cfg,
                                          save_cluster_id=True)],
            tasks=1, workers=1, logging_dir=str(work / "logs3"),
        ),
        "4 filter": LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupFilter(str(work / "remove"), load_cluster_ids=True,
                                   exclusion_writer=JsonlWriter(str(work / "removed"),
                                                                compression=None,
                                                                adapter=cluster_record)),
                ParquetWriter(str(work / "out"), output_filename="${rank}.parquet",
                              compression="zstd"),
            ],
            tasks=files, workers=workers, logging_dir=str(work / "logs4"),
        ),
    }  # fmt: skip
    times = {}
    for name, step in steps.items():
        t0 = time.perf_counter()
        step.run()
        times[name] = time.perf_counter() - t0
    # what the filter step wrote, read back only to compare (not timed)
    removed = []
    for path in sorted((work / "removed").glob("*.jsonl")):
        removed += [json.loads(line) for line in path.read_text().splitlines() if line]
    kept = 0
    groups = defaultdict(list)
    for path in sorted((work / "out").glob("*.parquet")):
        import pyarrow.parquet as pq

        t = pq.read_table(path, columns=["id", "metadata"]).to_pylist()
        kept += len(t)
        for row in t:
            cid = (row["metadata"] or {}).get("minhash_cluster_id", -1)
            if cid is not None and cid >= 0:
                groups[cid].append(row["id"])
    for r in removed:
        groups[r["cluster"]].append(r["id"])
    with open(work / "groups.jsonl", "w") as fh:
        for members in groups.values():
            if len(members) > 1:
                fh.write(json.dumps(sorted(members)) + "\n")
    (work / "removed_ids.txt").write_text("".join(r["id"] + "\n" for r in removed))
    print(json.dumps({"steps_s": times, "seconds": sum(times.values()), "rows_out": kept,
                      "removed": len(removed)}))  # fmt: skip


if __name__ == "__main__":
    main()
