"""Benchmark of the Dataset-1 Spark job against a plain single-process Python baseline.

    make bench-dataset1                        # sizes 0.25,0.5,1.0 GB, 3 repeats, local[2]
    .venv/bin/python bench/bench_dataset1.py --sizes 0.1 --repeats 1     # smoke check

For every size the shared corpus (``$CURATION_SHARED_DATA/corpus``) is replicated until its text
reaches the size (UTF-8 bytes of the ``text`` fields, 1 GB = 1e9 bytes); replica ``k`` gets ids
suffixed ``-r<k>`` and identical texts, so exact dedup removes every replica after the first.
Then, for each repeat, in turn:

* **baseline**: one Python process over the same files - gzip, ``json.loads``, language ID with the
  same engine and text cleaning (:func:`curation.stages.langid.clean_for_detection`), ``hashlib.md5``,
  ``len``, the same decisions (language filter and routing, exact dedup per output domain with a
  dict, length < 150) and one Parquet file of the kept documents;
* **spark**: the whole ``spark-submit jobs/dedup.py`` command, ``local[cores]``, with Spark's event
  log switched on; the log gives the time line (start, the two steps, shutdown) and per-stage
  metrics (task time, Python worker time, Arrow bytes to and from Python, shuffle bytes).

A third, in-process measurement (no Spark) runs the library's own per-file functions
(:func:`curation.stages.ingest.read_file` + :func:`curation.stages.dataset1.annotate_batch`, then
``decide_batch``) over one replica, to split the Python worker time into "the library's Python
work" and "Arrow transfer / worker overhead".

Results: a Markdown table on stdout and ``<work>/results/bench-dataset1.{json,md}``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import gzip
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from machine_load import machine_busy_s, wait_idle

from curation.spark.session import QUICK_JIT

REPO = Path(__file__).resolve().parents[1]
FORMAT_VERSION = 1  # bump when the replicated input changes for the same parameters
GB = 1e9
MB = 1e6


# --- input -----------------------------------------------------------------------------------------


def source_files(shared: Path) -> list[Path]:
    """The corpus shards ``corpus/<domain>/*.jsonl.gz`` in a fixed order (domain, name)."""
    corpus = shared / "corpus"
    files = sorted(corpus.glob("*/*.jsonl.gz"))
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


def _with_replica_ids(raw: bytes, k: int) -> bytes:
    """JSONL with every ``id`` suffixed ``-r<k>``; the rest of each line is byte-identical."""
    out = []
    head = b'{"id": "'
    suffix = f"-r{k}".encode()
    for line in raw.split(b"\n"):
        if not line.strip():
            out.append(line)
            continue
        end = line.find(b'"', len(head)) if line.startswith(head) else -1
        if end > 0 and b"\\" not in line[len(head) : end]:
            out.append(line[:end] + suffix + line[end:])
        else:  # not the usual layout: re-serialise the record
            rec = json.loads(line)
            rec["id"] = f"{rec['id']}-r{k}"
            out.append(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
    return b"\n".join(out)


def _build_replica_file(src: str, dst: str, k: int) -> str:
    """Write replica ``k`` of ``src`` to ``dst`` (gzip level 6; replica 0 is a byte copy)."""
    tmp = Path(dst + ".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if k == 0:
        shutil.copyfile(src, tmp)
    else:
        data = _with_replica_ids(gzip.decompress(Path(src).read_bytes()), k)
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
        tmp.write_bytes(comp.compress(data) + comp.flush())
    os.replace(tmp, dst)
    return dst


def _source_fingerprint(files: list[Path]) -> str:
    listing = [(f.parent.name, f.name, f.stat().st_size) for f in files]
    return hashlib.sha256(json.dumps([FORMAT_VERSION, listing]).encode()).hexdigest()[:16]


def build_input(shared: Path, work: Path, size_gb: float, jobs: int) -> dict[str, Any]:
    """``<work>/input-<size>/<domain>/part-XXXXX.jsonl.gz``: whole replicas of the corpus, then
    files of one more replica (in the fixed order) until the text reaches ``size_gb`` GB.

    Replica files live once in ``<work>/replicas/r<k>/`` and are hard-linked into every input
    folder. A folder whose ``_bench_input.json`` matches the parameters is reused as is."""
    files = source_files(shared)
    fingerprint = _source_fingerprint(files)
    target = int(size_gb * GB)
    folder = work / f"input-{size_gb:g}"
    marker = folder / "_bench_input.json"
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if meta.get("source") == fingerprint and meta.get("target_bytes") == target:
            return meta

    pool = work / "replicas"
    pool_marker = pool / "_source.json"
    stats_by_file: dict[str, dict[str, int]]
    if pool_marker.is_file() and json.loads(pool_marker.read_text())["source"] == fingerprint:
        stats_by_file = json.loads(pool_marker.read_text())["files"]
    else:
        shutil.rmtree(pool, ignore_errors=True)
        pool.mkdir(parents=True)
        with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
            stats = list(ex.map(_file_stats, files))
        stats_by_file = {f"{f.parent.name}/{f.name}": s for f, s in zip(files, stats, strict=True)}
        pool_marker.write_text(json.dumps({"source": fingerprint, "files": stats_by_file}))

    # which (replica, file) pairs make up this size
    chosen: list[tuple[int, Path]] = []
    text = 0
    k = 0
    while text < target:
        for f in files:
            chosen.append((k, f))
            text += stats_by_file[f"{f.parent.name}/{f.name}"]["text_bytes"]
            if text >= target:
                break
        k += 1

    todo = []
    for k, f in chosen:
        dst = pool / f"r{k}" / f.parent.name / f.name
        if not dst.is_file():
            todo.append((str(f), str(dst), k))
    if todo:
        print(f"building {len(todo)} replica files in {pool} ...", file=sys.stderr, flush=True)
        with concurrent.futures.ProcessPoolExecutor(jobs) as ex:
            list(ex.map(_build_replica_file, *zip(*todo, strict=True)))

    shutil.rmtree(folder, ignore_errors=True)
    per_domain_index: dict[str, int] = {}
    totals = {"docs": 0, "text_bytes": 0, "jsonl_bytes": 0, "gz_bytes": 0, "files": 0}
    for k, f in chosen:
        domain = f.parent.name
        i = per_domain_index.get(domain, 0)
        per_domain_index[domain] = i + 1
        src = pool / f"r{k}" / domain / f.name
        dst = folder / domain / f"part-{i:05d}.jsonl.gz"
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
        s = stats_by_file[f"{domain}/{f.name}"]
        totals["docs"] += s["docs"]
        totals["text_bytes"] += s["text_bytes"]
        totals["jsonl_bytes"] += s["jsonl_bytes"]
        totals["gz_bytes"] += src.stat().st_size
        totals["files"] += 1
    meta = {
        "path": str(folder),
        "source": fingerprint,
        "target_gb": size_gb,
        "target_bytes": target,
        "replicas": len({r for r, _ in chosen}),
        "whole_replicas": len(chosen) // len(files),
        **totals,
    }
    marker.write_text(json.dumps(meta, indent=2))
    return meta


def input_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*/*.jsonl.gz"))


# --- the plain single-process baseline -------------------------------------------------------------


class _Timer:
    """Accumulates perf_counter time per named step."""

    def __init__(self) -> None:
        self.t: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.t[name] = self.t.get(name, 0.0) + seconds


def _detector(engine: str) -> Callable[[str], tuple[str, float]]:
    """text (already cleaned) -> (ISO code, score), as the library's engines decide them."""
    from curation.stages.langid import normalize_code

    if engine == "cld2":
        import pycld2

        def detect(text: str) -> tuple[str, float]:
            raw = text.encode("utf-8")
            reliable, _, details = pycld2.detect(raw, bestEffort=False)
            if not reliable:
                _, _, details = pycld2.detect(raw, bestEffort=True)
            _, code, percent, _ = details[0]
            lang = normalize_code(code)
            return (lang, percent / 100.0) if lang != "un" else ("un", 0.0)

        return detect
    if engine == "polyglot":
        import logging

        from polyglot.detect import Detector

        logging.getLogger("polyglot.detect.base").setLevel(logging.ERROR)

        def detect(text: str) -> tuple[str, float]:
            det = Detector(text, quiet=True)
            lang = normalize_code(det.language.code)
            return (lang, det.language.confidence / 100.0) if lang != "un" else ("un", 0.0)

        return detect
    raise SystemExit(f"engine {engine!r}: the baseline knows cld2 and polyglot")


def run_baseline(folder: Path, engine: str, parser: str, out: Path | None) -> dict[str, Any]:
    """The three steps (language ID, md5, length) plus the same decisions, one process."""
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.config import load_config
    from curation.stages.langid import clean_for_detection

    t_start = time.perf_counter()
    cpu_start = time.process_time()
    cfg = load_config("reference", [f"langid.engine={engine}"])
    lcfg = cfg.langid
    loads = json.loads if parser == "json" else orjson.loads
    detect = _detector(engine)
    keep = set(lcfg.keep)
    min_chars = cfg.length.min_chars
    clock = time.perf_counter
    tm = _Timer()

    seen: dict[tuple[str, str], str] = {}  # (output domain, md5) -> first id
    kept: dict[str, list] = {
        k: []
        for k in ("id", "domain", "text", "src_domain", "lang", "lang_score", "n_chars", "md5")
    }
    removed = {"langid": 0, "exact_dedup": 0, "length": 0}
    docs = text_bytes = 0
    for path in input_files(folder):
        src = path.parent.name
        filtered = lcfg.filters(src)
        template = lcfg.route.get(src)
        t0 = clock()
        raw = gzip.decompress(path.read_bytes())
        t1 = clock()
        tm.add("read+gunzip", t1 - t0)
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            t0 = clock()
            rec = loads(line)
            text = rec["text"]
            doc_id = rec["id"]
            t1 = clock()
            clean = clean_for_detection(text, lcfg.max_chars)
            lang, score = ("un", 0.0) if not clean or clean.isspace() else detect(clean)
            t2 = clock()
            encoded = text.encode("utf-8")
            md5 = hashlib.md5(encoded).hexdigest()
            t3 = clock()
            n_chars = len(text)
            docs += 1
            text_bytes += len(encoded)
            domain = src
            if filtered:
                if score < lcfg.min_score or lang not in keep:
                    removed["langid"] += 1
                    t4 = clock()
                    tm.add("parse", t1 - t0)
                    tm.add("langid", t2 - t1)
                    tm.add("md5", t3 - t2)
                    tm.add("len+decide+dedup", t4 - t3)
                    continue
                if template is not None:
                    domain = template.replace("{lang}", lang)
            key = (domain, md5)
            if key in seen:
                removed["exact_dedup"] += 1
            else:
                seen[key] = doc_id
                if n_chars < min_chars:
                    removed["length"] += 1
                else:
                    kept["id"].append(doc_id)
                    kept["domain"].append(domain)
                    kept["text"].append(text)
                    kept["src_domain"].append(src)
                    kept["lang"].append(lang)
                    kept["lang_score"].append(score)
                    kept["n_chars"].append(n_chars)
                    kept["md5"].append(md5)
            t4 = clock()
            tm.add("parse", t1 - t0)
            tm.add("langid", t2 - t1)
            tm.add("md5", t3 - t2)
            tm.add("len+decide+dedup", t4 - t3)
    t_process = time.perf_counter() - t_start
    t0 = clock()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(kept), out, compression="zstd")
    tm.add("write", clock() - t0)
    outputs: dict[str, int] = {}
    for d in kept["domain"]:
        outputs[d] = outputs.get(d, 0) + 1
    wall = time.perf_counter() - t_start
    return {
        "parser": parser,
        "engine": engine,
        "docs": docs,
        "text_bytes": text_bytes,
        "wall_s": wall,
        "wall_no_write_s": t_process,
        "cpu_s": time.process_time() - cpu_start,
        "steps_s": tm.t,
        "rows_out": len(kept["id"]),
        "removed_by_stage": removed,
        "outputs": dict(sorted(outputs.items())),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "written_bytes": out.stat().st_size if out is not None and out.exists() else 0,
    }


# --- the library's Python work, in process (no Spark) ---------------------------------------------


def run_library(folder: Path, engine: str) -> dict[str, Any]:
    """Per-document cost of the library functions the Spark workers call, and of Arrow IPC
    (what a worker does to ship a batch back) - measured in one process over ``folder``."""
    import pyarrow as pa

    from curation import schema as S
    from curation.config import load_config
    from curation.stages import ingest
    from curation.stages.dataset1 import annotate_batch, decide_batch
    from curation.stages.langid import get_engine

    cfg = load_config("reference", [f"langid.engine={engine}"])
    get_engine(engine)  # load outside the timings (a worker loads it once)
    files = input_files(folder)
    blobs = [(p, p.read_bytes()) for p in files]
    cpu = time.process_time
    t_read = t_ann = t_ipc_ann = t_ipc_in = t_decide = 0.0
    ipc_bytes = docs = 0
    for path, data in blobs:
        rel = f"{path.parent.name}/{path.name}"
        f = ingest.InputFile(path.as_uri(), rel, path.parent.name, len(data))
        t0 = cpu()
        tables = list(ingest.read_file(data, f, cfg.ingest))
        t1 = cpu()
        annotated = [annotate_batch(t, cfg) for t in tables]
        t2 = cpu()
        t_read += t1 - t0
        t_ann += t2 - t1
        for table in annotated:
            docs += table.num_rows
            # what a step-1 worker sends back (and a step-2 worker receives and sends back)
            t0 = cpu()
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as w:
                for b in table.to_batches():
                    w.write_batch(b)
            buf = sink.getvalue()
            t1 = cpu()
            back = pa.ipc.open_stream(buf).read_all()
            t2 = cpu()
            decided = decide_batch(S.conform(back, S.ANNOTATED_SCHEMA), cfg)
            t3 = cpu()
            t_ipc_ann += t1 - t0
            t_ipc_in += t2 - t1
            t_decide += t3 - t2
            ipc_bytes += buf.size
            del decided
    return {
        "docs": docs,
        "files": len(files),
        "read_file_s": t_read,
        "annotate_batch_s": t_ann,
        "arrow_ipc_write_s": t_ipc_ann,
        "arrow_ipc_read_s": t_ipc_in,
        "decide_batch_s": t_decide,
        "arrow_ipc_bytes": ipc_bytes,
    }


# --- the Spark job ---------------------------------------------------------------------------------


def spark_env(repo: Path) -> dict[str, str]:
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["PYSPARK_PYTHON"] = sys.executable
    env["SPARK_LOCAL_IP"] = env.get("SPARK_LOCAL_IP", "127.0.0.1")
    for conf in (repo / "curation" / "spark" / "conf", repo / "conf" / "spark"):
        if conf.is_dir():  # the package's quiet log4j settings (as `make` uses them)
            env.setdefault("SPARK_CONF_DIR", str(conf))
            break
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    return env


class CpuSampler(threading.Thread):
    """Samples, from ``/proc``, the CPU time of a process tree: spark-submit's JVM, the Python
    driver, and the pyspark daemon with its workers. CPU time is what contention does not inflate,
    so it shows where the work goes even on a busy machine."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (category, last seen CPU seconds)
        self.kinds: dict[int, str] = {}
        self.series: list[tuple[float, dict[str, float]]] = []
        self.tick = os.sysconf("SC_CLK_TCK")

    def _kind(self, pid: int, ppid: int) -> str:
        if pid == self.root:
            return "jvm"
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            return "other"
        if b"pyspark.daemon" in cmd:
            return "py_daemon" if ppid == self.root else "py_workers"
        if b"python" in cmd.split(b" ")[0]:
            return "py_driver"
        return "other"

    def scan(self) -> None:
        children: dict[int, list[int]] = {}
        stats: dict[int, tuple[int, float]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                raw = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2 :].split()
            ppid = int(fields[1])
            cpu = (int(fields[11]) + int(fields[12])) / self.tick
            stats[int(name)] = (ppid, cpu)
            children.setdefault(ppid, []).append(int(name))
        todo = [self.root]
        while todo:
            pid = todo.pop()
            if pid not in stats:
                continue
            ppid, cpu = stats[pid]
            kind = self.kinds.get(pid)
            if kind is None:
                kind = self.kinds[pid] = self._kind(pid, ppid)
            self.cpu[pid] = (kind, cpu)
            todo.extend(children.get(pid, []))
            if pid == self.root:
                self._threads(pid)
        self.series.append((time.time(), self.totals()))

    def _threads(self, pid: int) -> None:
        """JVM CPU per thread kind (JIT, GC, task threads, ...): ``jvm/<name>`` entries."""
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return
        for tid in tids:
            try:
                raw = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw[raw.rindex(")") + 2 :].split()
            cpu = (int(fields[11]) + int(fields[12])) / self.tick
            name = "jvm/" + "".join(c for c in comm if not c.isdigit()).rstrip(" #-")
            self.cpu[-int(tid)] = (name, cpu)  # negative keys: threads, not processes

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind, cpu in self.cpu.values():
            out[kind] = out.get(kind, 0.0) + cpu
        return out

    def at(self, t: float) -> dict[str, float]:
        """Cumulative CPU per kind at time ``t`` (the last sample at or before it)."""
        best: dict[str, float] = {}
        for ts, tot in self.series:
            if ts > t:
                break
            best = tot
        return best

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan()
            self.stop.wait(self.interval)


def run_spark(
    folder: Path, work: Path, label: str, args: argparse.Namespace, keep_run: bool
) -> dict[str, Any]:
    """Time one ``spark-submit jobs/dedup.py`` and read its event log."""
    repo = Path(args.repo).resolve()
    run_dir = work / "spark-run"
    events = work / "eventlogs" / label
    logs = work / "logs"
    for p in (run_dir, events):
        shutil.rmtree(p, ignore_errors=True)
    events.mkdir(parents=True)
    logs.mkdir(parents=True, exist_ok=True)
    submit = Path(sys.executable).parent / "spark-submit"
    cmd = [
        str(submit),
        "--master",
        f"local[{args.cores}]",
        "--driver-memory",
        args.driver_memory,
        "--driver-java-options",
        QUICK_JIT,  # as `make dataset-1` runs it
        "--conf",
        "spark.eventLog.enabled=true",
        "--conf",
        f"spark.eventLog.dir={events.as_uri()}",
        "--conf",
        "spark.eventLog.compress=false",
        "--conf",
        "spark.eventLog.rolling.enabled=false",
        "--conf",
        "spark.ui.showConsoleProgress=false",
    ]
    for item in args.conf:
        cmd += ["--conf", item]
    cmd += [
        str(repo / "jobs" / "dedup.py"),
        "--input",
        str(folder),
        "--output",
        str(run_dir),
        "--config",
        args.config,
        "--set",
        f"langid.engine={args.engine}",
    ]
    for item in args.set:
        cmd += ["--set", item]
    log_path = logs / f"spark-{label}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0 = machine_busy_s()
    launch = time.time()
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=spark_env(repo), cwd=repo, stdout=log, stderr=log)
        sampler = CpuSampler(proc.pid)
        sampler.start()
        proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    busy = machine_busy_s() - busy0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise SystemExit(f"spark-submit failed (rc {proc.returncode}); log {log_path}:\n{tail}")
    manifest = json.loads((run_dir / "dataset-1" / "_MANIFEST.json").read_text())
    out_bytes = {
        name: _du(run_dir / sub)
        for name, sub in (
            ("annotated", "_work/annotated"),
            ("kept", "dataset-1/data"),
            ("removed", "dataset-1/removed"),
        )
    }
    event_files = [p for p in events.iterdir() if p.is_file()]
    timeline = parse_event_log(event_files[0], launch) if event_files else {}
    marks = timeline.get("marks", {})
    bounds = [
        ("startup", launch, marks.get("first_job")),
        ("step1", marks.get("first_job"), marks.get("step2_start")),
        ("step2", marks.get("step2_start"), marks.get("app_end")),
        ("shutdown", marks.get("app_end"), None),
    ]
    cpu_phases: dict[str, dict[str, float]] = {}
    for name, start, end in bounds:
        if start is None:
            continue
        a = sampler.at(start)
        b = sampler.at(end) if end is not None else sampler.totals()
        cpu_phases[name] = {k: v - a.get(k, 0.0) for k, v in b.items()}
    cpu_phases["total"] = sampler.totals()
    if not keep_run:
        shutil.rmtree(run_dir, ignore_errors=True)
    rusage_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # the Python workers are not always reaped by the JVM, so rusage misses them: use /proc
    cpu = sum(v for k, v in sampler.totals().items() if not k.startswith("jvm/"))
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_rusage_s": rusage_cpu,
        "others_cores": max(0.0, busy - cpu) / wall,
        "rows_in": manifest["rows_in"],
        "rows_out": manifest["rows_out"],
        "removed_by_stage": manifest["removed_by_stage"],
        "outputs": manifest["outputs"],
        "output_bytes": out_bytes,
        "cpu_by_process": cpu_phases,
        "log": str(log_path),
        **timeline,
    }


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


# metrics kept per stage: event-log name -> (our key, divisor to seconds or 1 for counts/bytes)
_STAGE_METRICS = {
    "internal.metrics.executorRunTime": ("run_s", 1e3),
    "internal.metrics.executorCpuTime": ("jvm_cpu_s", 1e9),
    "internal.metrics.jvmGCTime": ("gc_s", 1e3),
    "internal.metrics.executorDeserializeTime": ("deserialize_s", 1e3),
    "internal.metrics.input.bytesRead": ("input_bytes", 1),
    "internal.metrics.output.bytesWritten": ("output_bytes", 1),
    "internal.metrics.shuffle.write.bytesWritten": ("shuffle_write_bytes", 1),
    "internal.metrics.shuffle.write.writeTime": ("shuffle_write_s", 1e9),
    "internal.metrics.shuffle.read.localBytesRead": ("shuffle_read_bytes", 1),
    "internal.metrics.shuffle.read.fetchWaitTime": ("shuffle_fetch_wait_s", 1e3),
    "internal.metrics.memoryBytesSpilled": ("spill_memory_bytes", 1),
    "internal.metrics.diskBytesSpilled": ("spill_disk_bytes", 1),
    "time to start Python workers": ("py_start_s", 1e3),
    "time to initialize Python workers": ("py_init_s", 1e3),
    "time to run Python workers": ("py_run_s", 1e3),
    "time to execute Python code": ("py_exec_s", 1e3),
    "data sent to Python workers": ("py_sent_bytes", 1),
    "data returned from Python workers": ("py_returned_bytes", 1),
}
GROUPS = {
    "ingest": "[1/2]: ingest",
    "count_files": "[1/2]: count rows",
    "check_ids": "[2/2]: check input ids",
    "decide_dedup_write": "[2/2]: exact dedup",
    "ledger": "[2/2]: write the removal ledger",
    "count": "[2/2]: count",
}


def _group_of(description: str | None) -> str:
    for name, needle in GROUPS.items():
        if description and needle in description:
            return name
    return "other"


def parse_event_log(path: Path, launch: float) -> dict[str, Any]:
    """Time line (seconds from launch) and per-job-group metrics of one Spark application."""
    app_start = app_end = None
    job_group: dict[int, str] = {}
    job_times: dict[int, list[float]] = {}
    stage_group: dict[int, str] = {}
    groups: dict[str, dict[str, float]] = {}
    stages: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            kind = e["Event"]
            if kind == "SparkListenerApplicationStart":
                app_start = e["Timestamp"] / 1e3
            elif kind == "SparkListenerApplicationEnd":
                app_end = e["Timestamp"] / 1e3
            elif kind == "SparkListenerJobStart":
                desc = (e.get("Properties") or {}).get("spark.job.description")
                job_group[e["Job ID"]] = g = _group_of(desc)
                job_times[e["Job ID"]] = [e["Submission Time"] / 1e3, 0.0]
                for sid in e.get("Stage IDs", []):
                    stage_group[sid] = g
            elif kind == "SparkListenerJobEnd":
                job_times[e["Job ID"]][1] = e["Completion Time"] / 1e3
            elif kind == "SparkListenerStageCompleted":
                info = e["Stage Info"]
                g = stage_group.get(info["Stage ID"], "other")
                m: dict[str, Any] = {
                    "stage": info["Stage ID"],
                    "group": g,
                    "name": info["Stage Name"][:50],
                    "tasks": info["Number of Tasks"],
                    "wall_s": (info["Completion Time"] - info["Submission Time"]) / 1e3,
                }
                for acc in info.get("Accumulables", []):
                    spec = _STAGE_METRICS.get(acc.get("Name"))
                    if spec is None:
                        continue
                    key, div = spec
                    m[key] = m.get(key, 0) + float(acc["Value"]) / div
                stages.append(m)
                agg = groups.setdefault(g, {})
                for key, value in m.items():
                    if isinstance(value, float | int) and key not in ("stage",):
                        agg[key] = agg.get(key, 0) + value
    for g in groups.values():
        g["jobs_wall_s"] = 0.0
        g["jobs"] = 0
    for jid, (start, end) in job_times.items():
        g = groups.setdefault(job_group[jid], {"jobs_wall_s": 0.0, "jobs": 0})
        g["jobs_wall_s"] += max(0.0, end - start)
        g["jobs"] += 1
    starts = {g: min(job_times[j][0] for j in job_times if job_group[j] == g) for g in groups}
    first_job = min((t[0] for t in job_times.values()), default=None)
    step2_start = min(
        (starts[g] for g in starts if g in ("check_ids", "decide_dedup_write")), default=None
    )
    timeline = {
        "jvm_driver_start_s": (app_start - launch) if app_start else None,
        "context_and_planning_s": (first_job - app_start) if first_job and app_start else None,
        "step1_s": (step2_start - first_job) if step2_start and first_job else None,
        "step2_s": (app_end - step2_start) if app_end and step2_start else None,
        "until_app_end_s": (app_end - launch) if app_end else None,
    }
    marks = {"app_start": app_start, "first_job": first_job, "step2_start": step2_start}
    marks["app_end"] = app_end
    return {"timeline": timeline, "groups": groups, "stages": stages, "marks": marks}


# --- orchestration ---------------------------------------------------------------------------------


def _self_cmd(*extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *extra]


def _run_json(cmd: list[str], repo: Path) -> dict[str, Any]:
    """Run a helper mode of this script in a fresh process; it prints one JSON line."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0 = machine_busy_s()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    busy = machine_busy_s() - busy0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["process_cpu_s"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    result["others_cores"] = max(0.0, busy - result["process_cpu_s"]) / wall
    return result


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _fmt(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def summarize_size(entry: dict[str, Any], cores: int, lib: dict[str, Any] | None) -> dict[str, Any]:
    """Medians over repeats, ratios and the time breakdown of one size."""
    inp = entry["input"]
    docs, mbytes = inp["docs"], inp["text_bytes"] / MB
    runs = entry["runs"]
    base = [r["baseline"] for r in runs if r.get("baseline")]
    spark = [r["spark"] for r in runs if r.get("spark")]
    s: dict[str, Any] = {"docs": docs, "text_mb": mbytes, "gb": inp["text_bytes"] / GB}
    if base:
        s["baseline_wall_s"] = _median(b["process_wall_s"] for b in base)
        s["baseline_inner_s"] = _median(b["wall_s"] for b in base)
        s["baseline_no_write_s"] = _median(b["wall_no_write_s"] for b in base)
        s["baseline_cpu_s"] = _median(b["process_cpu_s"] for b in base)
        s["baseline_others_cores"] = _median(b.get("others_cores") for b in base)
        s["baseline_steps_s"] = {
            k: _median(b["steps_s"].get(k) for b in base) for k in base[0]["steps_s"]
        }
        s["baseline_spread_s"] = [
            min(b["process_wall_s"] for b in base),
            max(b["process_wall_s"] for b in base),
        ]
    if entry.get("baseline_orjson"):
        s["baseline_orjson_wall_s"] = entry["baseline_orjson"]["process_wall_s"]
    if spark:
        s["spark_wall_s"] = _median(r["wall_s"] for r in spark)
        s["spark_cpu_s"] = _median(r["cpu_s"] for r in spark)
        s["spark_others_cores"] = _median(r.get("others_cores") for r in spark)
        s["spark_spread_s"] = [min(r["wall_s"] for r in spark), max(r["wall_s"] for r in spark)]
        start = _median(
            (r["timeline"]["jvm_driver_start_s"] or 0)
            + (r["timeline"]["context_and_planning_s"] or 0)
            for r in spark
        )
        s["spark_startup_s"] = start
        s["spark_no_start_s"] = _median(
            r["wall_s"]
            - (r["timeline"]["jvm_driver_start_s"] or 0)
            - (r["timeline"]["context_and_planning_s"] or 0)
            for r in spark
        )
        s["breakdown"] = breakdown(spark, cores, lib, docs)
    if base and spark:
        pairs = [
            r["baseline"]["process_wall_s"] / r["spark"]["wall_s"]
            for r in runs
            if r.get("baseline") and r.get("spark")
        ]
        s["speedup_paired_median"] = _median(pairs)
        s["speedup"] = s["baseline_wall_s"] / s["spark_wall_s"]
        s["speedup_no_start"] = s["baseline_wall_s"] / s["spark_no_start_s"]
        s["per_core"] = s["speedup"] / cores
        s["per_core_no_start"] = s["speedup_no_start"] / cores
        s["speedup_vs_no_write"] = s["baseline_no_write_s"] / s["spark_wall_s"]
        b0, s0 = base[0], spark[0]
        s["check"] = (
            "ok"
            if b0["rows_out"] == s0["rows_out"] and b0["removed_by_stage"] == s0["removed_by_stage"]
            else f"MISMATCH baseline {b0['removed_by_stage']} out {b0['rows_out']} vs spark "
            f"{s0['removed_by_stage']} out {s0['rows_out']}"
        )
    return s


def breakdown(
    spark: list[dict[str, Any]], cores: int, lib: dict[str, Any] | None, docs: int
) -> dict[str, Any]:
    """Median wall seconds per phase, and core-seconds per kind of work inside the phases."""

    def med_t(key: str) -> float | None:
        return _median(r["timeline"].get(key) for r in spark)

    def med_g(group: str, key: str) -> float:
        return _median(r["groups"].get(group, {}).get(key, 0.0) for r in spark) or 0.0

    wall = _median(r["wall_s"] for r in spark) or 0.0
    phases = {
        "JVM + Python driver start (launch -> SparkContext)": med_t("jvm_driver_start_s"),
        "SparkContext init + input listing + plan": med_t("context_and_planning_s"),
        "step 1 total (ingest+annotate, write _work/annotated, count)": med_t("step1_s"),
        "  job: ingest + langid + md5 -> annotated Parquet": med_g("ingest", "jobs_wall_s"),
        "  job: count rows per file": med_g("count_files", "jobs_wall_s"),
        "step 2 total (decide, dedup, writes, counts)": med_t("step2_s"),
        "  job: check input ids": med_g("check_ids", "jobs_wall_s"),
        "  job: exact dedup (window shuffle) + write kept": med_g(
            "decide_dedup_write", "jobs_wall_s"
        ),
        "  job: write removal ledger": med_g("ledger", "jobs_wall_s"),
        "  job: count": med_g("count", "jobs_wall_s"),
        "shutdown (app end -> process exit)": _median(
            r["wall_s"] - r["timeline"]["until_app_end_s"]
            for r in spark
            if r["timeline"].get("until_app_end_s")
        ),
        "total wall": wall,
    }
    # core-seconds (sums over tasks) of step 1's ingest stage
    ing_run = med_g("ingest", "run_s")
    ing_py_run = med_g("ingest", "py_run_s")
    ing_py_exec = med_g("ingest", "py_exec_s")
    ing_py_boot = med_g("ingest", "py_start_s") + med_g("ingest", "py_init_s")
    udf_est = None
    arrow_est = None
    if lib and lib.get("docs"):
        per_doc = (lib["read_file_s"] + lib["annotate_batch_s"]) / lib["docs"]
        udf_est = per_doc * docs
        arrow_est = max(0.0, ing_py_exec - udf_est)
    s2_groups = ("check_ids", "decide_dedup_write", "ledger", "count")
    s2_run = sum(med_g(g, "run_s") for g in s2_groups)
    s2_py = sum(med_g(g, "py_exec_s") for g in s2_groups)
    decide_est = None
    if lib and lib.get("docs"):
        decide_est = lib["decide_batch_s"] / lib["docs"] * docs
    core = {
        "step 1 task time (all tasks)": ing_run,
        "  Python worker start + init": ing_py_boot,
        "  Python: library read_file+annotate_batch (in-process estimate)": udf_est,
        "  Python: Arrow transfer + worker overhead + waiting (py exec - estimate)": arrow_est,
        "  Python worker time as Spark measures it (exec)": ing_py_exec,
        "  JVM side: read files, Arrow->rows, Parquet+zstd write (run - py run)": max(
            0.0, ing_run - ing_py_run
        ),
        "  JVM thread CPU": med_g("ingest", "jvm_cpu_s"),
        "  JVM GC": med_g("ingest", "gc_s"),
        "step 2 task time (all tasks)": s2_run,
        "  Python decide pass (py exec, full rows incl. text both ways)": s2_py,
        "    of which decide_batch itself (in-process estimate)": decide_est,
        "  shuffle write time": sum(med_g(g, "shuffle_write_s") for g in s2_groups),
        "  shuffle fetch wait": sum(med_g(g, "shuffle_fetch_wait_s") for g in s2_groups),
        "  JVM CPU (scan, window sort, writes, persist)": sum(
            med_g(g, "jvm_cpu_s") for g in s2_groups
        ),
        "  JVM GC (step 2)": sum(med_g(g, "gc_s") for g in s2_groups),
    }
    volumes = {
        "step 1: bytes to Python (file contents)": med_g("ingest", "py_sent_bytes"),
        "step 1: bytes from Python (Arrow, annotated rows)": med_g("ingest", "py_returned_bytes"),
        "step 1: annotated Parquet written": med_g("ingest", "output_bytes"),
        "step 2: bytes to Python (decide)": sum(med_g(g, "py_sent_bytes") for g in s2_groups),
        "step 2: bytes from Python (decide)": sum(med_g(g, "py_returned_bytes") for g in s2_groups),
        "step 2: shuffle bytes written": sum(med_g(g, "shuffle_write_bytes") for g in s2_groups),
        "step 2: Parquet bytes read": sum(med_g(g, "input_bytes") for g in s2_groups),
        "step 2: Parquet bytes written": sum(med_g(g, "output_bytes") for g in s2_groups),
        "step 2: spilled to disk": sum(med_g(g, "spill_disk_bytes") for g in s2_groups),
    }
    cpu: dict[str, dict[str, float | None]] = {}
    for phase in ("startup", "step1", "step2", "shutdown", "total"):
        cpu[phase] = {}
        for kind in ("jvm", "py_driver", "py_python_workers", "other"):
            kinds = ("py_daemon", "py_workers") if kind == "py_python_workers" else (kind,)
            cpu[phase][kind] = _median(
                sum(r.get("cpu_by_process", {}).get(phase, {}).get(k, 0.0) for k in kinds)
                for r in spark
                if r.get("cpu_by_process")
            )
    py1 = cpu["step1"].get("py_python_workers")
    if py1 is not None and udf_est is not None:
        core["  Python workers' CPU in step 1 (from /proc)"] = py1
        core["  of which beyond the library estimate: Arrow (de)serialisation, worker overhead"] = (
            py1 - udf_est
        )
    threads: dict[str, dict[str, float | None]] = {}
    names = {
        k
        for r in spark
        for k in r.get("cpu_by_process", {}).get("total", {})
        if k.startswith("jvm/")
    }
    for name in names:
        threads[name[4:]] = {
            phase: _median(r["cpu_by_process"].get(phase, {}).get(name, 0.0) for r in spark)
            for phase in ("startup", "step1", "step2", "total")
        }
    return {
        "jvm_threads_cpu_s": threads,
        "phases_wall_s": phases,
        "core_s": core,
        "bytes": volumes,
        "cpu_s": cpu,
        "udf_estimate_s": udf_est,
        "cores": cores,
    }


def markdown(results: dict[str, Any]) -> str:
    cores = results["meta"]["cores"]
    lines = [
        f"# Dataset-1 benchmark: local[{cores}] vs one Python process",
        "",
        f"{results['meta']['date']}, engine `{results['meta']['engine']}`, "
        f"runs per size {results['meta']['repeats']}, medians; machine: "
        f"{results['meta']['cpus']} CPUs, load before/after {results['meta']['load_before']} / "
        f"{results['meta'].get('load_after', '?')}.",
        "Input: the shared corpus replicated (ids suffixed `-r<k>`, texts identical: exact dedup "
        "removes every replica after the first). MB = 1e6 bytes of UTF-8 text.",
        "",
        "## Throughput (median wall; min-max in brackets)",
        "",
        "| size | docs | text MB | baseline s | baseline docs/s | baseline MB/s | "
        "Spark wall s | Spark docs/s | Spark MB/s | Spark excl. start s | docs/s | MB/s |",
        "|" + "---|" * 12,
    ]
    ratio_lines = [
        "",
        f"## Ratios (Spark throughput / baseline throughput; per core = that / {cores})",
        "",
        "| size | Spark/baseline | per core | per core excl. start | per core vs baseline "
        "without its write | CPU-s Spark / baseline | others' load (cores) baseline / Spark "
        "| output check |",
        "|" + "---|" * 8,
    ]
    for e in results["sizes"]:
        s = e["summary"]
        bw, sw, sn = s.get("baseline_wall_s"), s.get("spark_wall_s"), s.get("spark_no_start_s")
        docs, mb = s["docs"], s["text_mb"]

        def rate(n: float, t: float | None) -> str:
            return _fmt(n / t, 0 if n > 1e4 else 1) if t else "-"

        def spread(key: str, s: dict[str, Any] = s) -> str:
            lo_hi = s.get(key)
            return f" ({lo_hi[0]:.1f}-{lo_hi[1]:.1f})" if lo_hi else ""

        lines.append(
            f"| {s['gb']:.2f} GB | {docs:,} | {mb:,.0f} | {_fmt(bw)}{spread('baseline_spread_s')} | "
            f"{rate(docs, bw)} | {rate(mb, bw)} | {_fmt(sw)}{spread('spark_spread_s')} | "
            f"{rate(docs, sw)} | {rate(mb, sw)} | {_fmt(sn)} | {rate(docs, sn)} | {rate(mb, sn)} |"
        )
        nw = s.get("speedup_vs_no_write")
        cpu_ratio = (
            s["spark_cpu_s"] / s["baseline_cpu_s"]
            if s.get("spark_cpu_s") and s.get("baseline_cpu_s")
            else None
        )
        ratio_lines.append(
            f"| {s['gb']:.2f} GB | {_fmt(s.get('speedup'), 2)}x | {_fmt(s.get('per_core'), 2)}x | "
            f"{_fmt(s.get('per_core_no_start'), 2)}x | {_fmt(nw / cores if nw else None, 2)}x | "
            f"{_fmt(cpu_ratio, 2)} | {_fmt(s.get('baseline_others_cores'), 2)} / "
            f"{_fmt(s.get('spark_others_cores'), 2)} | {s.get('check', '-')} |"
        )
    lines += ratio_lines
    sized = [e["summary"] for e in results["sizes"] if e["summary"].get("spark_wall_s")]
    if sized:
        lines += [
            "",
            "## Scaling (seconds per GB of text)",
            "",
            "| size | Spark s/GB | Spark excl. start s/GB | baseline s/GB | Spark marginal s/GB "
            "(vs previous size) | baseline marginal s/GB |",
            "|---|---|---|---|---|---|",
        ]
        prev = None
        for s in sized:
            marg = margb = "-"
            if prev is not None and s["gb"] > prev["gb"]:
                marg = _fmt((s["spark_wall_s"] - prev["spark_wall_s"]) / (s["gb"] - prev["gb"]))
                if s.get("baseline_wall_s") and prev.get("baseline_wall_s"):
                    margb = _fmt(
                        (s["baseline_wall_s"] - prev["baseline_wall_s"]) / (s["gb"] - prev["gb"])
                    )
            lines.append(
                f"| {s['gb']:.2f} GB | {_fmt(s['spark_wall_s'] / s['gb'])} | "
                f"{_fmt(s['spark_no_start_s'] / s['gb'])} | "
                f"{_fmt(s['baseline_wall_s'] / s['gb']) if s.get('baseline_wall_s') else '-'} | "
                f"{marg} | {margb} |"
            )
            prev = s
        fit = results.get("fit")
        if fit:
            lines += [
                "",
                f"Least-squares fit over sizes: Spark wall = {fit['spark_a']:.1f} s + "
                f"{fit['spark_b']:.1f} s/GB; baseline = {fit['base_a']:.1f} s + {fit['base_b']:.1f} s/GB.",
            ]
    for e in results["sizes"]:
        s = e["summary"]
        b = s.get("breakdown")
        if not b:
            continue
        lines += ["", f"## Where the time goes: {s['gb']:.2f} GB (medians)", ""]
        lines += ["| phase (wall) | s | share |", "|---|---|---|"]
        total = b["phases_wall_s"]["total wall"] or 1.0
        for k, v in b["phases_wall_s"].items():
            lines.append(
                f"| {k} | {_fmt(v)} | {_fmt(100 * v / total, 0) + '%' if v is not None else '-'} |"
            )
        lines += [
            "",
            f"| work inside the tasks | core-seconds (sum over tasks; {cores} cores) |",
            "|---|---|",
        ]
        for k, v in b["core_s"].items():
            lines.append(f"| {k} | {_fmt(v)} |")
        cpu = b.get("cpu_s")
        if cpu and cpu.get("total", {}).get("jvm") is not None:
            names = {
                "jvm": "JVM (task threads, Python-runner threads, JIT, GC)",
                "py_driver": "Python driver",
                "py_python_workers": "Python daemon + workers",
                "other": "other (launcher)",
            }
            phases = ("startup", "step1", "step2", "shutdown", "total")
            lines += [
                "",
                "| CPU-seconds by process (from /proc) | start-up | step 1 | step 2 | shutdown "
                "| total |",
                "|---|---|---|---|---|---|",
            ]
            for kind, label in names.items():
                lines.append(
                    f"| {label} | " + " | ".join(_fmt(cpu[p].get(kind)) for p in phases) + " |"
                )
            sums = [sum(v or 0.0 for v in cpu[p].values()) for p in phases]
            lines.append("| all | " + " | ".join(_fmt(v) for v in sums) + " |")
            if s.get("baseline_cpu_s"):
                lines.append(
                    f"| baseline process, for comparison | | | | | {_fmt(s['baseline_cpu_s'])} |"
                )
            if b.get("udf_estimate_s"):
                lines.append(
                    "| library read_file+annotate_batch for these docs (in-process estimate) | | "
                    f"{_fmt(b['udf_estimate_s'])} | | | |"
                )
        threads = b.get("jvm_threads_cpu_s") or {}
        if threads:
            top = sorted(threads.items(), key=lambda kv: -(kv[1].get("total") or 0.0))
            lines += [
                "",
                "| JVM CPU-seconds by thread (live threads; top 12) | start-up | step 1 | step 2 "
                "| total |",
                "|---|---|---|---|---|",
            ]
            for name, v in top[:12]:
                lines.append(
                    f"| `{name}` | "
                    + " | ".join(_fmt(v.get(p)) for p in ("startup", "step1", "step2", "total"))
                    + " |"
                )
        lines += ["", "| data volume | MB |", "|---|---|"]
        for k, v in b["bytes"].items():
            lines.append(f"| {k} | {_fmt(v / MB if v is not None else None)} |")
        if s.get("baseline_steps_s"):
            lines += ["", "| baseline step (one process) | s |", "|---|---|"]
            for k, v in s["baseline_steps_s"].items():
                lines.append(f"| {k} | {_fmt(v, 2)} |")
            if s.get("baseline_orjson_wall_s"):
                lines.append(
                    f"| whole run with orjson instead of json (1 run) | {_fmt(s['baseline_orjson_wall_s'], 2)} |"
                )
    lib = results.get("library")
    if lib:
        n = lib["docs"]
        lines += [
            "",
            f"## Library Python work in one process, no Spark ({n:,} docs, median of "
            f"{lib.get('repeats', 1)})",
            "",
            "| function | s | us/doc |",
            "|---|---|---|",
        ]
        for k in (
            "read_file_s",
            "annotate_batch_s",
            "arrow_ipc_write_s",
            "arrow_ipc_read_s",
            "decide_batch_s",
        ):
            lines.append(f"| {k[:-2]} | {lib[k]:.2f} | {1e6 * lib[k] / n:.1f} |")
    return "\n".join(lines) + "\n"


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares t = a + b * gb."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return None
    b = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx
    return my - b * mx, b


def main(argv: list[str] | None = None) -> int:
    from curation.config import load_config

    default_shared = os.environ.get("CURATION_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cores", type=int, default=2, help="local[N] for Spark (default 2)")
    ap.add_argument("--sizes", default="0.25,0.5,1.0", help="GB of text, comma-separated")
    ap.add_argument(
        "--engine",
        choices=["cld2", "polyglot"],
        default=None,
        help="language-ID engine (default: the reference preset's)",
    )
    ap.add_argument(
        "--repeats",
        default="3",
        help="runs per size: one number, or one per size (e.g. 1,1,3)",
    )
    ap.add_argument("--work-dir", default=str(REPO / "runs" / "bench"))
    ap.add_argument("--shared", default=default_shared)
    ap.add_argument("--config", default="reference", help="preset of the Spark job")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="K=V",
        help="config override for the Spark job (repeatable)",
    )
    ap.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="K=V",
        help="extra spark-submit --conf (repeatable)",
    )
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--repo", default=str(REPO), help="repository whose jobs/ and curation/ run")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--no-orjson", action="store_true", help="skip the one orjson baseline run")
    ap.add_argument("--no-library", action="store_true", help="skip the in-process library measure")
    ap.add_argument("--keep-run", action="store_true", help="keep the last Spark run folder")
    ap.add_argument("--build-only", action="store_true", help="only build the inputs, exit")
    ap.add_argument("--label", default="", help="suffix of the result files")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        metavar="S",
        help="before each measured run, wait up to S seconds for other load to go (default 120)",
    )
    ap.add_argument("--render", metavar="JSON", help="print the Markdown of a results file, exit")
    # helper modes (run in a fresh process by the benchmark itself)
    ap.add_argument("--_baseline", metavar="INPUT", help=argparse.SUPPRESS)
    ap.add_argument("--_library", metavar="INPUT", help=argparse.SUPPRESS)
    ap.add_argument("--_parser", default="json", help=argparse.SUPPRESS)
    ap.add_argument("--_out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.engine is None:
        args.engine = load_config("reference").langid.engine

    if args.render:
        results = json.loads(Path(args.render).read_text())
        for entry in results["sizes"]:
            entry["summary"] = summarize_size(
                entry, results["meta"]["cores"], results.get("library")
            )
        print(markdown(results))
        return 0
    if args._baseline:
        out = Path(args._out) if args._out else None
        print(json.dumps(run_baseline(Path(args._baseline), args.engine, args._parser, out)))
        return 0
    if args._library:
        print(json.dumps(run_library(Path(args._library), args.engine)))
        return 0

    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    shared = Path(args.shared).resolve()
    sizes = [float(x) for x in args.sizes.split(",") if x.strip()]
    reps = [int(x) for x in str(args.repeats).split(",") if x.strip()]
    if len(reps) == 1:
        reps = reps * len(sizes)
    if len(reps) != len(sizes):
        raise SystemExit("--repeats: give one number, or one per size")
    repo = Path(args.repo).resolve()
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": args.cores,
            "cpus": os.cpu_count(),
            "engine": args.engine,
            "repeats": reps,
            "sizes": sizes,
            "python": platform.python_version(),
            "load_before": _load(),
            "argv": sys.argv[1:],
        },
        "sizes": [],
    }
    try:
        import pyspark

        results["meta"]["pyspark"] = pyspark.__version__
    except ImportError:
        pass

    inputs = [build_input(shared, work, size, max(1, args.cores)) for size in sizes]
    for meta in inputs:
        print(
            f"input {meta['path']}: {meta['files']} files, {meta['docs']:,} docs, "
            f"{meta['text_bytes'] / MB:,.0f} MB text, {meta['gz_bytes'] / MB:,.0f} MB gz",
            file=sys.stderr,
        )

    if args.build_only:
        return 0
    lib = None
    if not args.no_library:
        corpus = shared / "corpus"  # = replica 0
        lib_runs = [
            _run_json(_self_cmd("--_library", str(corpus), "--engine", args.engine), repo)
            for _ in range(3)
        ]
        lib = {
            k: _median(r[k] for r in lib_runs)
            for k in lib_runs[0]
            if isinstance(lib_runs[0][k], float | int)
        }
        lib["repeats"] = len(lib_runs)
        results["library"] = lib
        print(
            f"library in-process: {json.dumps({k: round(v, 3) for k, v in lib.items()})}",
            file=sys.stderr,
        )

    for size, meta, repeats in zip(sizes, inputs, reps, strict=True):
        folder = Path(meta["path"])
        entry: dict[str, Any] = {"target_gb": size, "input": meta, "runs": []}
        for rep in range(repeats):
            run: dict[str, Any] = {"repeat": rep, "load_before": _load()}
            if not args.skip_baseline:
                run["busy_before_baseline"] = wait_idle(args.wait_idle)
                run["baseline"] = _run_json(
                    _self_cmd(
                        "--_baseline",
                        str(folder),
                        "--engine",
                        args.engine,
                        "--_out",
                        str(work / "baseline-out" / "kept.parquet"),
                    ),
                    repo,
                )
                b = run["baseline"]
                print(
                    f"[{size:g} GB #{rep}] baseline {b['process_wall_s']:.1f} s "
                    f"({b['docs'] / b['process_wall_s']:,.0f} docs/s; others' load "
                    f"{b['others_cores']:.2f} cores)",
                    file=sys.stderr,
                    flush=True,
                )
            if not args.skip_spark:
                label = f"{size:g}-{rep}{args.label}"
                keep = args.keep_run and rep == repeats - 1
                run["busy_before_spark"] = wait_idle(args.wait_idle)
                run["spark"] = r = run_spark(folder, work, label, args, keep)
                print(
                    f"[{size:g} GB #{rep}] spark {r['wall_s']:.1f} s "
                    f"({r['rows_in'] / r['wall_s']:,.0f} docs/s; others' load "
                    f"{r['others_cores']:.2f} cores), timeline "
                    f"{ {k: round(v, 1) for k, v in r['timeline'].items() if v is not None} }",
                    file=sys.stderr,
                    flush=True,
                )
            entry["runs"].append(run)
        if not args.skip_baseline and not args.no_orjson:
            wait_idle(args.wait_idle)
            entry["baseline_orjson"] = _run_json(
                _self_cmd(
                    "--_baseline",
                    str(folder),
                    "--engine",
                    args.engine,
                    "--_parser",
                    "orjson",
                    "--_out",
                    str(work / "baseline-out" / "kept-orjson.parquet"),
                ),
                repo,
            )
        entry["summary"] = summarize_size(entry, args.cores, lib)
        results["sizes"].append(entry)
    results["meta"]["load_after"] = _load()

    pts_s = [
        (e["summary"]["gb"], e["summary"]["spark_wall_s"])
        for e in results["sizes"]
        if e["summary"].get("spark_wall_s")
    ]
    pts_b = [
        (e["summary"]["gb"], e["summary"]["baseline_wall_s"])
        for e in results["sizes"]
        if e["summary"].get("baseline_wall_s")
    ]
    fs, fb = fit_line(pts_s), fit_line(pts_b)
    if fs and fb:
        results["fit"] = {"spark_a": fs[0], "spark_b": fs[1], "base_a": fb[0], "base_b": fb[1]}

    md = markdown(results)
    out_dir = work / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"bench-dataset1{args.label}"
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, default=str))
    (out_dir / f"{name}.md").write_text(md)
    print(md)
    print(f"results: {out_dir / (name + '.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
