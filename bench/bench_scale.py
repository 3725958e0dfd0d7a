"""``make bench-scale``: Dataset-2 and Dataset-3 at corpus scale on synthetic runs (issue 11).

    python bench/bench_scale.py --docs 250000,1000000 --engine spark --out bench/results/bench-scale.json

For every N: a synthetic run (:mod:`curation.demo.synthetic_run`: **random 384-d float16 vectors,
not a model's**, with planted near-duplicate groups of known membership) is written once under
``--work`` (reused while its parameters are the same); then, for every engine, Dataset-2 (k-means
SemDedup) and Dataset-3 (UMAP + HDBSCAN SemDedup on the small domain) each run in a child process
(``--engine spark``: a local[2] session, ``--driver-memory`` as ``make``; ``local``: in-process)
while a /proc sampler follows the child's process tree: the **driver's peak RSS** is the Python
driver plus the JVM (in local mode the JVM also hosts the executors' memory; Python workers are
counted apart). The machine's other load is recorded per run (busy cores that are not ours).

Each result row: ``engine``, ``docs``, ``driver_peak_rss_mb``, ``wall_s``, ``removed`` (Dataset-2 +
Dataset-3) and per stage the same, the planted groups found, a digest of the removed ids (equal
digests = the same documents removed by both engines) and the machine load. The token stage is
not timed here: ``make bench-tokens`` times it, and tests/test_scale_synthetic.py runs it on Spark
under a few-MB ``spark.driver.maxResultSize``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine_load import REPO, CpuSampler, is_python_worker, machine_busy_s, wait_idle  # noqa: E402

log = logging.getLogger(__name__)

STAGES = {"dataset-2": "kmeans", "dataset-3": "hdbscan"}
SMALL_DOMAIN = "arxiv"  # the synthetic run's loose domain: UMAP + HDBSCAN's input
DERIVED = ("clusters", "dataset-2", "dataset-3", "tokens", "_staging", "_lock", "_events")
SETTINGS = [
    "kmeans.sample_size=50000",  # the driver's k-means sample: fixed, whatever N
    "kmeans.target_cluster_size=1000",
    "kmeans.iterations=10",
    "semdedup.target_removal=null",
    "semdedup.eps=0.03",  # between the synthetic tiers: tight groups only
    f"hdbscan.domains=[{SMALL_DOMAIN}]",
    "hdbscan.target_clusters=0",
    "hdbscan.min_cluster_size=10",
    "hdbscan.target_removal=null",
    "hdbscan.eps=0.12",  # loose groups of the small domain too
    "hdbscan.inspect_sample=2000",
    "spark.shuffle_partitions=8",
]


class DriverSampler(CpuSampler):
    """The child's tree: the child itself is the Python driver, ``java`` the JVM."""

    def _kind(self, pid: int, ppid: int) -> str:
        kind = self._classify(pid)
        if kind != "other":  # a pid first seen as a launcher script may exec the JVM later
            self.kinds[pid] = kind
        return kind

    def _classify(self, pid: int) -> str:
        if pid == self.root:
            return "py_driver"
        cmd = self.cmdline(pid)
        if cmd is None:
            return "other"
        if is_python_worker(cmd):
            return "py_workers"
        if cmd.split(b" ")[0].endswith(b"java") or self.comm(pid) == "java":
            return "jvm"
        return "other"


def _child(run: str, engine: str, dataset: str, settings: list[str]) -> None:
    """One stage in this process (the sampled child)."""
    from curation.config import load_config
    from curation.logs import setup_logging
    from curation.pipeline import semdedup

    setup_logging()
    cfg = load_config("reference", settings)
    spark = None
    if engine == "spark":
        from curation.spark.session import get_spark

        spark = get_spark(cfg.spark)
    semdedup.run(run, cfg, STAGES[dataset], spark)
    if spark is not None:
        spark.stop()


def prepare(work: Path, docs: int, seed: int, small_docs: int) -> tuple[Path, dict]:
    """The synthetic run of ``docs`` documents (generated once, its derived stages removed);
    the small domain (Dataset-3's) holds ``small_docs`` documents whatever ``docs``, or its
    share of ``docs`` when ``small_docs`` is 0."""
    from curation.demo.synthetic_run import PARAMS, SyntheticSpec, generate

    fixed = {SMALL_DOMAIN: small_docs} if small_docs else {}
    spec = SyntheticSpec(docs, seed=seed, fixed_docs=fixed)
    run = work / f"run-{docs}"
    params = run / PARAMS
    if params.is_file() and json.loads(params.read_text()).get("spec") == _plain(spec):
        summary = json.loads(params.read_text())
        log.info("reusing synthetic run %s", run)
    else:
        if run.exists():
            shutil.rmtree(run)
        summary = generate(run, spec)
        log.info("generated %d documents in %.1f s", docs, summary["seconds"])
    _clear(run)
    return run, summary


def _clear(run: Path) -> None:
    """Remove every stage after the embeddings (built again, never skipped)."""
    for name in DERIVED:
        path = run / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _plain(spec) -> dict:  # noqa: ANN001
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(spec)))


def measure(run: Path, engine: str, dataset: str, driver_memory: str, cores: int) -> dict:
    """Run one stage in a sampled child; wall, peak RSS by process kind, other load."""
    settings = [*SETTINGS, f"spark.master=local[{cores}]", f"spark.driver_memory={driver_memory}"]
    events = run / "_events" / f"{engine}-{dataset}"
    if events.exists():
        shutil.rmtree(events)
    if engine == "spark":
        settings.append(event_log_settings(events))
    cmd = [sys.executable, __file__, "--child", str(run), "--engine", engine, "--dataset", dataset,
           "--settings", json.dumps(settings)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(cores)}
    if engine == "spark":  # every JVM of the child's tree logs its GCs (one file per pid)
        env["JDK_JAVA_OPTIONS"] = f"-Xlog:gc:file={events / 'gc-%p.log'}"
    busy0 = machine_busy_s()
    t0 = time.time()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    sampler = DriverSampler(proc.pid, interval=0.25)
    sampler.start()
    rc = proc.wait()
    wall = time.time() - t0
    sampler.stop.set()
    sampler.join()
    if rc != 0:
        raise SystemExit(f"{dataset} on {engine} failed with status {rc}")
    cpu = sampler.totals()  # per kind, from /proc (the JVM is not always waited for)
    own = sum(cpu.values())
    peak = sampler.rss_peak_mb
    return {
        "wall_s": round(wall, 1),
        "driver_peak_rss_mb": round(peak.get("py_driver", 0) + peak.get("jvm", 0), 1),
        "rss_peak_mb": {k: round(v, 1) for k, v in sorted(peak.items())},
        "cpu_s": {k: round(v, 1) for k, v in sorted(cpu.items())},
        "other_load_cores": round(max(0.0, (machine_busy_s() - busy0 - own) / wall), 2),
    } | ({"driver_result_bytes": driver_result_bytes(events), "jvm_heap_mb": gc_heap_mb(events)}
         if engine == "spark" else {})  # fmt: skip


EVENT_LOG_CONF = {
    "spark.eventLog.enabled": "true",
    "spark.eventLog.compress": "false",
    "spark.ui.showConsoleProgress": "false",
}


def event_log_settings(folder: Path) -> str:
    """A ``spark.conf={...}`` override that writes Spark's event log into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = {**EVENT_LOG_CONF, "spark.eventLog.dir": folder.as_uri()}
    return "spark.conf=" + json.dumps(conf)


GC_LINE = re.compile(r"\bGC\(\d+\) .*? (\d+)M->(\d+)M\((\d+)M\)")


def gc_heap_mb(folder: Path) -> dict[str, int]:
    """From the JVMs' GC logs in ``folder`` (``-Xlog:gc``): the largest heap occupancy right
    after a collection (``after_gc``: what the JVM still held, garbage gone - the driver's and,
    in local mode, the executors' live data) and the largest committed heap (``committed``:
    what the JVM had taken from the OS for its heap), over all collections of all JVMs."""
    after, committed = 0, 0
    for path in sorted(folder.glob("gc-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            m = GC_LINE.search(line)
            if m:
                after = max(after, int(m.group(2)))
                committed = max(committed, int(m.group(3)))
    return {"after_gc": after, "committed": committed}


def driver_result_bytes(folder: Path) -> dict[str, int]:
    """From the event logs in ``folder``: the bytes of task results sent to the driver, per
    stage summed over its tasks (Spark's ``resultSize``): the largest stage and all stages."""
    largest, total = 0, 0
    # one file per application, or (Spark 4's rolling default) a folder eventlog_v2_<app>/ of
    # events_<n>_<app> files
    files = [p for p in sorted(folder.rglob("*"))
             if p.is_file() and "appstatus" not in p.name and not p.name.startswith("gc-")]  # fmt: skip
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if '"SparkListenerStageCompleted"' not in line[:80]:
                    continue
                info = json.loads(line)["Stage Info"]
                if info.get("Failure Reason"):  # an aborted stage sent nothing on
                    continue
                for acc in info.get("Accumulables", []):
                    if acc.get("Name") == "internal.metrics.resultSize":
                        largest = max(largest, int(acc["Value"]))
                        total += int(acc["Value"])
    return {"largest_stage": largest, "all_stages": total}


def found(run: Path, dataset: str, tier: str) -> dict:
    """Removals of ``dataset`` against the planted groups of ``tier``."""
    import pyarrow.compute as pc

    from curation.datasets import read_ledger
    from curation.demo.synthetic_run import read_truth

    ledger = read_ledger(str(run), dataset, ["id"])
    removed = set(ledger.column("id").to_pylist())
    truth = read_truth(run)
    any_group = set(truth.column("id").to_pylist())
    truth = truth.filter(pc.equal(truth.column("tier"), tier))
    groups: dict[int, list[str]] = {}
    for doc, g in zip(truth.column("id").to_pylist(), truth.column("group").to_pylist(),
                      strict=True):  # fmt: skip
        groups.setdefault(g, []).append(doc)
    planted = {d for m in groups.values() for d in m}
    return {
        "removed": len(removed),
        "groups": len(groups),
        "groups_found": sum(len(set(m) & removed) == len(m) - 1 for m in groups.values()),
        "removed_outside_groups": len(removed - planted),  # of this tier
        # of those, members of no planted group at all (the rest: the other tier's groups, e.g.
        # a tight group Dataset-2 left whole because k-means split it)
        "removed_unplanted": len(removed - any_group),
        "removed_digest": hashlib.sha256("\n".join(sorted(removed)).encode()).hexdigest()[:16],
    }


def _key(row: dict) -> tuple:
    """What a result row is a measurement of (rows of older versions: 4g, proportional)."""
    memory = row.get("driver_memory", "4g" if row["engine"] == "spark" else None)
    return row["engine"], row["docs"], row.get("small_docs", 0), memory


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default="250000,500000,1000000")
    ap.add_argument("--engine", default="spark", help="spark, local or spark,local")
    ap.add_argument("--out", default=str(REPO / "bench/results/bench-scale.json"))
    ap.add_argument("--work", default=str(REPO / "runs/bench/scale"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--wait-idle", type=float, default=0.0, help="seconds to wait for quiet")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic runs")
    ap.add_argument("--small-docs", type=int, default=12_000,
                    help="documents of the small domain (Dataset-3's UMAP + HDBSCAN input) "
                    "whatever --docs; 0: its 5%% share of --docs")  # fmt: skip
    ap.add_argument("--datasets", default="dataset-2,dataset-3", help="the stages to measure")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.engine, args.dataset, json.loads(args.settings))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.is_file() else []
    for docs in [int(x) for x in args.docs.split(",")]:
        run, summary = prepare(Path(args.work), docs, args.seed, args.small_docs)
        for engine in args.engine.split(","):
            _clear(run)  # the other engine's stages: built again, not skipped
            load = wait_idle(args.wait_idle) if args.wait_idle else None
            row: dict = {"engine": engine, "docs": docs, "small_docs": args.small_docs,
                         "driver_memory": args.driver_memory if engine == "spark" else None,
                         "stages": {}}  # fmt: skip
            for dataset in args.datasets.split(","):
                log.info("%s on %s, %d documents", dataset, engine, docs)
                row["stages"][dataset] = measure(run, engine, dataset, args.driver_memory,
                                                 args.cores)  # fmt: skip
            tiers = {"dataset-2": "tight", "dataset-3": "loose"}
            for dataset in row["stages"]:
                row["stages"][dataset]["planted"] = found(run, dataset, tiers[dataset])
            stages = row["stages"].values()
            row |= {
                "driver_peak_rss_mb": max(s["driver_peak_rss_mb"] for s in stages),
                "wall_s": round(sum(s["wall_s"] for s in stages), 1),
                "removed": sum(s["planted"]["removed"] for s in stages),
                "expected_removals": summary["expected_removals"],
                "load_before": load,
                "other_load_cores": round(max(s["other_load_cores"] for s in stages), 2),
                "generate_s": summary.get("seconds"),
                "per_domain": summary["per_domain"],
                "settings": SETTINGS,
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            key = (engine, docs, args.small_docs, row["driver_memory"])
            results = [r for r in results if _key(r) != key] + [row]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1) + "\n")
            log.info("%s", json.dumps({k: row[k] for k in ("engine", "docs", "driver_peak_rss_mb",
                                                            "wall_s", "removed")}))  # fmt: skip
        if not args.keep:
            shutil.rmtree(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
