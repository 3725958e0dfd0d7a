"""The benchmark input: the shared corpus's ``cc`` documents of at least 150 characters (what
fuzzy dedup sees in Dataset-1, after the length filter), replicated ``factor`` times.

Copy 0 is every original document as it is. Copy ``k >= 1`` of document ``d`` (id ``d-c<k>``) is,
for a fraction ``near_rate`` of the documents (chosen by a hash of ``d`` and ``k``), a planted
near-duplicate of ``d``: its text with every ``m``-th word replaced by ``edited`` (``m`` from
40 to 120, also by hash; a 5-gram Jaccard of about ``(m - 5) / (m + 5)``, 0.78-0.92 on long
documents) and a line ``updated <date>`` appended; for the other documents it is the original's
words in a shuffled order (same words, same length, no shared 5-grams: not a near-duplicate). So
the corpus's own near-duplicates are in every size, and copies add near-duplicates at the known
rate. The planted pairs are listed in ``planted.jsonl`` (``id``, ``copy_of``); every side reads
the same ``part-NNNNN.jsonl`` files (uncompressed, ids sorted across parts, so the smallest id of
a group is also the first document in file order).
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path
from typing import Any

import xxhash

FORMAT_VERSION = 1
MIN_CHARS = 150


def originals(shared: Path, base_docs: int) -> list[dict[str, str]]:
    """The ``cc`` documents of at least :data:`MIN_CHARS` characters, sorted by id; the first
    ``base_docs`` of them when positive."""
    rows = []
    for path in sorted((shared / "corpus" / "cc").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if len(rec["text"]) >= MIN_CHARS:
                    rows.append({"id": rec["id"], "text": rec["text"]})
    if not rows:
        raise SystemExit(f"no corpus/cc/*.jsonl.gz documents under {shared} (set --shared)")
    rows.sort(key=lambda r: r["id"])
    return rows[:base_docs] if base_docs > 0 else rows


def _draw(doc_id: str, k: int) -> int:
    return xxhash.xxh64_intdigest(f"{doc_id}\0{k}".encode())


def copy_of(rec: dict[str, str], k: int, near_rate: float) -> tuple[dict[str, str], bool]:
    """Copy ``k`` of ``rec`` and whether it is a planted near-duplicate."""
    h = _draw(rec["id"], k)
    words = rec["text"].split()
    if (h % 10_000) < near_rate * 10_000:
        m = 40 + (h >> 16) % 81
        edited = ["edited" if i % m == m - 1 else w for i, w in enumerate(words)]
        day = 1 + (h >> 32) % 28
        text = " ".join(edited) + f"\nupdated 2024-03-{day:02d}"
        return {"id": f"{rec['id']}-c{k}", "text": text}, True
    random.Random(h).shuffle(words)
    return {"id": f"{rec['id']}-c{k}", "text": " ".join(words)}, False


def build(shared: Path, work: Path, factor: int, base_docs: int, near_rate: float,
          parts: int) -> dict[str, Any]:  # fmt: skip
    """Write (or reuse) ``<work>/fuzzy-input-<factor>x``; returns its description."""
    params = {"format": FORMAT_VERSION, "factor": factor, "base_docs": base_docs,
              "near_rate": near_rate, "parts": parts, "shared": str(shared)}  # fmt: skip
    folder = work / f"fuzzy-input-{factor}x"
    meta_file = folder / "_bench_input.json"
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        if meta["params"] == params:
            return meta
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    docs, planted = [], []
    for rec in originals(shared, base_docs):
        docs.append(rec)
        for k in range(1, factor):
            copy, near = copy_of(rec, k, near_rate)
            docs.append(copy)
            if near:
                planted.append({"id": copy["id"], "copy_of": rec["id"]})
    docs.sort(key=lambda r: r["id"])
    size = -(-len(docs) // parts)
    for p in range(parts):
        with open(folder / "data" / f"part-{p:05d}.jsonl", "w", encoding="utf-8") as fh:
            for rec in docs[p * size : (p + 1) * size]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(folder / "planted.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(p) + "\n" for p in planted)
    meta = {"params": params, "path": str(folder / "data"), "planted": str(folder / "planted.jsonl"),
            "docs": len(docs), "planted_pairs": len(planted),
            "text_bytes": sum(len(r["text"].encode("utf-8")) for r in docs)}  # fmt: skip
    meta_file.write_text(json.dumps(meta, indent=1))
    return meta
