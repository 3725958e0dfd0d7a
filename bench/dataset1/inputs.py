"""The benchmark input: the shared corpus replicated until its text reaches a size.

Copy ``k`` (k >= 1) of every document has its id suffixed ``-r<k>`` and a last line ``#<k>``
appended to its text (digits and ``#`` only: nothing a language detector reads as a word), so no
copy is an exact duplicate of another and the corpus's own duplicate rate (about 7%) holds at
every size. Copy 0 is the original bytes. Copies are built once under ``<work>/replicas`` and
hard-linked into ``<work>/input-<size>/<domain>/part-NNNNN.jsonl.gz``; a folder whose
``_bench_input.json`` matches the parameters is reused.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import hashlib
import json
import os
import shutil
import sys
import zlib
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2  # bump when the replicas change for the same parameters
GB = 1e9


def source_files(shared: Path) -> list[Path]:
    """The corpus shards ``corpus/<domain>/*.jsonl.gz`` in a fixed order (domain, name)."""
    files = sorted((shared / "corpus").glob("*/*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no corpus/<domain>/*.jsonl.gz under {shared} (set --shared)")
    return files


def _file_stats(path: Path) -> dict[str, int]:
    raw = gzip.decompress(path.read_bytes())
    docs = text_bytes = 0
    for line in raw.split(b"\n"):
        if line.strip():
            docs += 1
            text_bytes += len(json.loads(line)["text"].encode("utf-8"))
    return {"docs": docs, "text_bytes": text_bytes, "jsonl_bytes": len(raw)}


def replica(raw: bytes, k: int) -> bytes:
    """JSONL of copy ``k``: ids suffixed ``-r<k>``, texts ending with a line ``#<k>``."""
    out = []
    for line in raw.split(b"\n"):
        if line.strip():
            rec = json.loads(line)
            rec["id"] = f"{rec['id']}-r{k}"
            rec["text"] = f"{rec['text']}\n#{k}"
            line = json.dumps(rec, ensure_ascii=False).encode("utf-8")
        out.append(line)
    return b"\n".join(out)


def _build_replica_file(src: str, dst: str, k: int) -> str:
    tmp = Path(dst + ".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if k == 0:
        shutil.copyfile(src, tmp)
    else:
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
        data = replica(gzip.decompress(Path(src).read_bytes()), k)
        tmp.write_bytes(comp.compress(data) + comp.flush())
    os.replace(tmp, dst)
    return dst


def build_input(shared: Path, work: Path, size_gb: float, jobs: int) -> dict[str, Any]:
    """``<work>/input-<size>``: whole copies of the corpus, then files of one more copy (in a
    fixed order) until the text reaches ``size_gb`` GB; its description (docs, bytes, copies)."""
    files = source_files(shared)
    listing = [(f.parent.name, f.name, f.stat().st_size) for f in files]
    source = hashlib.sha256(json.dumps([FORMAT_VERSION, listing]).encode()).hexdigest()[:16]
    target = int(size_gb * GB)
    folder = work / f"input-{size_gb:g}"
    marker = folder / "_bench_input.json"
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if meta.get("source") == source and meta.get("target_bytes") == target:
            return meta
    pool = work / "replicas"
    pool_marker = pool / "_source.json"
    if pool_marker.is_file() and json.loads(pool_marker.read_text())["source"] == source:
        stats = json.loads(pool_marker.read_text())["files"]
    else:
        shutil.rmtree(pool, ignore_errors=True)
        pool.mkdir(parents=True)
        with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
            found = list(ex.map(_file_stats, files))
        stats = {f"{f.parent.name}/{f.name}": s for f, s in zip(files, found, strict=True)}
        pool_marker.write_text(json.dumps({"source": source, "files": stats}))
    chosen: list[tuple[int, Path]] = []
    text, k = 0, 0
    while text < target:
        for f in files:
            chosen.append((k, f))
            # a copy's texts are longer by "\n#<k>"
            extra = (len(str(k)) + 2) * stats[f"{f.parent.name}/{f.name}"]["docs"] if k else 0
            text += stats[f"{f.parent.name}/{f.name}"]["text_bytes"] + extra
            if text >= target:
                break
        k += 1
    todo = [
        (str(f), str(pool / f"r{k}" / f.parent.name / f.name), k)
        for k, f in chosen
        if not (pool / f"r{k}" / f.parent.name / f.name).is_file()
    ]
    if todo:
        print(f"building {len(todo)} replica files in {pool} ...", file=sys.stderr, flush=True)
        with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
            list(ex.map(_build_replica_file, *zip(*todo, strict=True)))
    shutil.rmtree(folder, ignore_errors=True)
    index: dict[str, int] = {}
    totals = {"docs": 0, "text_bytes": 0, "gz_bytes": 0, "files": 0}
    for k, f in chosen:
        domain = f.parent.name
        i = index[domain] = index.get(domain, -1) + 1
        src = pool / f"r{k}" / domain / f.name
        dst = folder / domain / f"part-{i:05d}.jsonl.gz"
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
        s = stats[f"{domain}/{f.name}"]
        totals["docs"] += s["docs"]
        totals["text_bytes"] += s["text_bytes"] + ((len(str(k)) + 2) * s["docs"] if k else 0)
        totals["gz_bytes"] += src.stat().st_size
        totals["files"] += 1
    meta = {"path": str(folder), "source": source, "target_gb": size_gb, "target_bytes": target,
            "copies": len({r for r, _ in chosen}), **totals}  # fmt: skip
    marker.write_text(json.dumps(meta, indent=2))
    return meta


def input_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.jsonl.gz"))
