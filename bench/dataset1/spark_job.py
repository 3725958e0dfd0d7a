"""(c) The Spark job: ``spark-submit --master local[N] jobs/dedup.py``, timed from launch to
exit, with Spark's event log (job time line, per-stage task metrics) and a /proc sampler (CPU
seconds of every process of the run - JVM, Python driver, Python workers - which other load on
the machine does not inflate)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.machine_load import CpuSampler, is_python_worker, machine_busy_s

# job descriptions (setJobDescription) -> phase
PHASES = {"[1/2]: ingest": "step1", "[2/2]": "step2"}


class SparkSubmitSampler(CpuSampler):
    """A ``spark-submit`` tree: the root is the JVM, its Python children the driver and workers."""

    def _kind(self, pid: int, ppid: int) -> str:
        if pid == self.root:
            return "jvm"
        cmd = self.cmdline(pid)
        if cmd is None:
            return "other"
        if is_python_worker(cmd):
            return "py_workers"
        if b"python" in cmd.split(b" ")[0]:
            return "py_driver"
        return "other"


def parse_event_log(path: Path) -> dict[str, Any]:
    """Start and end of every phase (epoch seconds) and its summed task metrics."""
    marks: dict[str, float] = {}
    phase_of_stage: dict[int, str] = {}
    metrics: dict[str, dict[str, float]] = {}
    names = {
        "internal.metrics.executorRunTime": ("task_s", 1e3),
        "internal.metrics.shuffle.write.bytesWritten": ("shuffle_bytes", 1),
        "internal.metrics.memoryBytesSpilled": ("spill_memory_bytes", 1),
        "internal.metrics.diskBytesSpilled": ("spill_disk_bytes", 1),
        "internal.metrics.peakExecutionMemory": ("peak_execution_memory", 1),
        "data sent to Python workers": ("to_python_bytes", 1),
        "data returned from Python workers": ("from_python_bytes", 1),
    }
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            kind = e["Event"]
            if kind == "SparkListenerApplicationEnd":
                marks["app_end"] = e["Timestamp"] / 1e3
            elif kind == "SparkListenerJobStart":
                desc = (e.get("Properties") or {}).get("spark.job.description") or ""
                phase = next((p for needle, p in PHASES.items() if needle in desc), "other")
                t = e["Submission Time"] / 1e3
                marks.setdefault("first_job", t)
                marks.setdefault(f"{phase}_start", t)
                for sid in e.get("Stage IDs", []):
                    phase_of_stage[sid] = phase
            elif kind == "SparkListenerStageCompleted":
                info = e["Stage Info"]
                m = metrics.setdefault(phase_of_stage.get(info["Stage ID"], "other"), {})
                for acc in info.get("Accumulables", []):
                    spec = names.get(acc.get("Name"))
                    if spec:
                        key, div = spec
                        if key == "peak_execution_memory":
                            m[key] = max(m.get(key, 0.0), float(acc["Value"]))
                        else:
                            m[key] = m.get(key, 0.0) + float(acc["Value"]) / div
    return {"marks": marks, "metrics": metrics}


def run(folder: Path, work: Path, label: str, args: Any) -> dict[str, Any]:
    """Time one ``spark-submit jobs/dedup.py`` over ``folder``; its kept ids go to
    ``<work>/spark-kept-<label>.txt``."""
    repo = Path(args.repo).resolve()
    run_dir, events = work / "spark-run", work / "eventlogs" / label
    for p in (run_dir, events):
        shutil.rmtree(p, ignore_errors=True)
    events.mkdir(parents=True)
    (work / "logs").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYSPARK_PYTHON"] = sys.executable
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env.setdefault("SPARK_CONF_DIR", str(repo / "curation" / "spark" / "conf"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
    cmd = [str(Path(sys.executable).parent / "spark-submit"), "--master", f"local[{args.cores}]"]
    if args.driver_memory:
        cmd += ["--driver-memory", args.driver_memory]
    for conf in ("spark.eventLog.enabled=true", f"spark.eventLog.dir={events.as_uri()}",
                 "spark.eventLog.compress=false", "spark.eventLog.rolling.enabled=false",
                 "spark.ui.showConsoleProgress=false",
                 *args.conf):  # fmt: skip
        cmd += ["--conf", conf]
    cmd += [str(repo / "jobs" / "dedup.py"), "--input", str(folder), "--output", str(run_dir),
            "--config", "reference", "--set", f"langid.engine={args.engine}"]  # fmt: skip
    for item in args.set:
        cmd += ["--set", item]
    log_path = work / "logs" / f"spark-{label}.log"
    busy0, t0, launch = machine_busy_s(), time.perf_counter(), time.time()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=repo, stdout=log, stderr=log)
        sampler = SparkSubmitSampler(proc.pid)
        sampler.start()
        proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    busy = machine_busy_s() - busy0
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise SystemExit(f"spark-submit failed (rc {proc.returncode}); log {log_path}:\n{tail}")
    manifest = json.loads((run_dir / "dataset-1" / "_MANIFEST.json").read_text())
    import pyarrow.dataset as ds

    kept = ds.dataset(run_dir / "dataset-1" / "data", format="parquet").to_table(columns=["id"])
    ids = work / f"spark-kept-{label}.txt"
    ids.write_text("\n".join(sorted(kept.column("id").to_pylist())) + "\n")
    event_files = [p for p in events.iterdir() if p.is_file()]
    timeline = parse_event_log(event_files[0]) if event_files else {"marks": {}, "metrics": {}}
    marks = timeline["marks"]
    bounds = {
        "startup": (launch, marks.get("first_job")),
        "step1": (marks.get("step1_start"), marks.get("step2_start")),
        "step2": (marks.get("step2_start"), marks.get("app_end")),
        "shutdown": (marks.get("app_end"), None),
    }
    phases = {}
    for name, (start, end) in bounds.items():
        if start is None:
            continue
        a, b = sampler.at(start), sampler.at(end)
        phases[name] = {
            "wall_s": (end or (launch + wall)) - start,
            "cpu_s": {k: v - a.get(k, 0.0) for k, v in b.items()},
        }
    cpu = sum(sampler.totals().values())
    out = {
        "wall_s": wall, "cpu_s": cpu, "others_cores": max(0.0, busy - cpu) / wall,
        "rows_in": manifest["rows_in"], "rows_out": manifest["rows_out"],
        "removed_by_stage": manifest["removed_by_stage"], "phases": phases,
        "metrics": timeline["metrics"], "rss_peak_mb": sampler.rss_peak_mb,
        "kept_ids": str(ids), "log": str(log_path),
    }  # fmt: skip
    if not args.keep_run:
        shutil.rmtree(run_dir, ignore_errors=True)
    return out
