"""(b) The Dataset-1 work as a datatrove 0.10.1 pipeline - run by the datatrove venv's Python
(``runs/bench/datatrove-venv``), never imported by the project.

    python datatrove_pipeline.py INPUT WORK TASKS

Three executors, each ``TASKS`` tasks on ``TASKS`` workers:

1. JSONL reader (gzip) -> :class:`Cld2Filter` (pycld2, strict then best effort, on the first
   20,000 characters cleaned as the library cleans them; ``cc`` filtered to ru/en with score >=
   0.5 and routed to ``<lang>-CC``) -> the documents written uncompressed (JSONL) for step 3, so
   language ID runs once -> exact-dedup signatures of (output domain, text);
2. ``ExactFindDedups``; the survivor of a group is the document with the highest priority: 65535
   minus the first 16 bits of the id's hex part (datatrove's priority is 16-bit), i.e. the
   smallest id - ties inside those 16 bits fall to datatrove's order;
3. JSONL reader of step 1's output -> ``ExactDedupFilter`` -> length filter (>= 150 characters)
   -> Parquet (zstd).

Prints one JSON line: seconds per step, and the kept ids (sorted) written to WORK/kept_ids.txt.
"""

import json
import re
import sys
import time
from pathlib import Path

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.exact_dedup import (
    ExactDedupConfig,
    ExactDedupFilter,
    ExactDedupSignature,
    ExactFindDedups,
)
from datatrove.pipeline.filters import LambdaFilter
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import JsonlReader, ParquetReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

MAX_CHARS, MIN_SCORE, KEEP, MIN_CHARS = 20000, 0.5, {"ru", "en"}, 150
_BAD_BMP = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_WS_CONTROLS = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")


def clean(text: str) -> str:
    """curation.stages.langid.clean_for_detection, BMP part (the corpus has no astral
    noncharacters)."""
    text = text[:MAX_CHARS]
    if _BAD_BMP.search(text) is not None:
        text = _BAD_BMP.sub("", _WS_CONTROLS.sub(" ", text))
    return text


class Cld2Filter(BaseFilter):
    """The library's language rule: only ``cc`` is filtered and routed."""

    name = "cld2 language filter"

    def filter(self, doc: Document) -> bool:
        import pycld2

        src = doc.metadata["file_path"].rsplit("/", 2)[-2] if "file_path" in doc.metadata else ""
        doc.metadata["domain"] = src
        if src != "cc":
            return True
        raw = clean(doc.text).encode("utf-8")
        reliable, _, details = pycld2.detect(raw, bestEffort=False)
        if not reliable:
            _, _, details = pycld2.detect(raw, bestEffort=True)
        code = details[0][1].split("-")[0].lower()
        score = details[0][2] / 100.0
        if code in ("un", "xx", "") or score < MIN_SCORE or code not in KEEP:
            return False
        doc.metadata["domain"] = f"{code}-CC"
        return True


def content(doc: Document) -> bytes:  # datatrove reads this annotation: no __future__ import
    return (doc.metadata["domain"] + "\0" + doc.text).encode("utf-8")


def priority(doc: Document) -> int:
    hex_part = doc.id.split("-")[1]
    return max(1, 65535 - int(hex_part[:4], 16))


def record(_writer, doc: Document) -> dict:
    """What a Dataset-1 document holds that the corpus gives (its other fields vary per row)."""
    return {"id": doc.id, "domain": doc.metadata["domain"], "text": doc.text}


def main() -> None:
    src, work, tasks = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    dedup = ExactDedupConfig(content_getter=content, document_priority=priority)
    times = {}
    step1 = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(src), glob_pattern="*/*.jsonl.gz", compression="gzip",
                        default_metadata={}, file_progress=False, doc_progress=False),
            Cld2Filter(),
            JsonlWriter(str(work / "langid"), output_filename="${rank}.jsonl", compression=None),
            ExactDedupSignature(output_folder=str(work / "sigs"), config=dedup),
        ],
        tasks=tasks, workers=tasks, logging_dir=str(work / "logs1"),
    )  # fmt: skip
    step2 = LocalPipelineExecutor(
        pipeline=[ExactFindDedups(str(work / "sigs"), str(work / "dups"), config=dedup)],
        tasks=1, workers=1, logging_dir=str(work / "logs2"),
    )  # fmt: skip
    step3 = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(work / "langid"), glob_pattern="*.jsonl", compression=None,
                        file_progress=False, doc_progress=False),
            ExactDedupFilter(str(work / "dups"), config=dedup),
            LambdaFilter(lambda doc: len(doc.text) >= MIN_CHARS),
            ParquetWriter(str(work / "out"), output_filename="${rank}.parquet", compression="zstd",
                          adapter=record),
        ],
        tasks=tasks, workers=tasks, logging_dir=str(work / "logs3"),
    )  # fmt: skip
    for name, step in (("1 read+langid+signatures", step1), ("2 find duplicates", step2),
                       ("3 filter+length+parquet", step3)):  # fmt: skip
        t0 = time.perf_counter()
        step.run()
        times[name] = time.perf_counter() - t0
    kept = sorted(
        doc.id
        for doc in ParquetReader(str(work / "out"), file_progress=False, doc_progress=False)()
    )
    (work / "kept_ids.txt").write_text("\n".join(kept) + "\n")
    print(json.dumps({"steps_s": times, "rows_out": len(kept)}))


if __name__ == "__main__":
    main()
