"""(a) The plain single-process loop: gzip + json + pycld2 + md5 + len, no writes.

What a data engineer writes first: every file decompressed whole, every line parsed with the
standard ``json``, the language detected by pycld2 on the first ``langid.max_chars`` characters
(cleaned as the library cleans them: the same answers), ``hashlib.md5``, ``len``; then the
reference decisions - language filter and routing of ``cc``, exact dedup per output domain with a
dict (the smallest id of a text survives), length < 150 - kept in memory. The kept ids are written after the
clock stops, for the agreement check. Run in a fresh process:
``python -m bench.dataset1.plain_loop INPUT OUT_IDS``; prints one JSON line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

from bench.dataset1.inputs import input_files


def run(folder: Path, ids_out: Path | None) -> dict:
    import pycld2

    from curation.config import load_config
    from curation.stages.langid import clean_for_detection, normalize_code

    cfg = load_config("reference")
    lcfg, min_chars = cfg.langid, cfg.length.min_chars
    keep = set(lcfg.keep)
    t0, c0 = time.perf_counter(), time.process_time()
    groups: dict[tuple[str, str], list] = {}  # (output domain, md5) -> [smallest id, length]
    removed = {"langid": 0, "exact_dedup": 0, "length": 0}
    docs = text_bytes = 0
    for path in input_files(folder):
        src = path.parent.name
        filtered = lcfg.filters(src)
        template = lcfg.route.get(src)
        for line in gzip.decompress(path.read_bytes()).split(b"\n"):
            if not line.strip():
                continue
            rec = json.loads(line)
            text, doc_id = rec["text"], rec["id"]
            raw = clean_for_detection(text, lcfg.max_chars).encode("utf-8")
            reliable, _, details = pycld2.detect(raw, bestEffort=False)
            if not reliable:
                _, _, details = pycld2.detect(raw, bestEffort=True)
            lang = normalize_code(details[0][1])
            score = details[0][2] / 100.0 if lang != "un" else 0.0
            encoded = text.encode("utf-8")
            md5 = hashlib.md5(encoded).hexdigest()
            n_chars = len(text)
            docs += 1
            text_bytes += len(encoded)
            domain = src
            if filtered:
                if score < lcfg.min_score or lang not in keep:
                    removed["langid"] += 1
                    continue
                if template is not None:
                    domain = template.replace("{lang}", lang)
            key = (domain, md5)
            group = groups.get(key)
            if group is None:
                groups[key] = [doc_id, n_chars]
            else:
                removed["exact_dedup"] += 1
                group[0] = min(group[0], doc_id)  # the smallest id survives, as in the library
    kept = [first for first, n_chars in groups.values() if n_chars >= min_chars]
    removed["length"] = len(groups) - len(kept)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if ids_out is not None:
        ids_out.write_text("\n".join(sorted(kept)) + "\n")
    return {
        "docs": docs, "text_bytes": text_bytes, "wall_s": wall, "cpu_s": cpu,
        "rows_out": len(kept), "removed_by_stage": removed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


if __name__ == "__main__":
    result = run(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(json.dumps(result))
