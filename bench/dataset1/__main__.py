"""Benchmark of the Dataset-1 job (``make bench-dataset1``; see bench/README.md).

    .venv/bin/python -m bench.dataset1                          # 0.25, 0.5, 1.0 GB; 1, 1, 3 runs
    .venv/bin/python -m bench.dataset1 --sizes 0.1 --repeats 1  # a smoke check
    .venv/bin/python -m bench.dataset1 --render runs/bench/results/bench-dataset1.json

For every size and run, in turn: (a) the plain loop, (b) datatrove, (c) the Spark job with each
engine, (d) the Spark job's own task functions in one process without Spark (first engine),
(e) the same on ``--cores`` pool processes (the best a scheduler could do with the job's work) -
each after waiting for a quiet machine. The run fails (exit 1) when the kept ids of the sides
differ, or when the loop's counts differ from the Spark manifest's or from (d)'s and (e)'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.dataset1 import datatrove_peer, inputs, report, spark_job
from bench.machine_load import REPO, CpuSampler, machine_busy_s, shared_data_dir, wait_idle


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _timed(cmd: list[str], env: dict | None = None) -> tuple[dict[str, Any], float, float, float]:
    """Run ``cmd``: its last stdout line as JSON, wall seconds, others' load (cores), its CPU s.

    Its CPU counts the whole process tree, sampled from /proc (a JVM or worker that nobody waits
    for never reaches the rusage of waited children), or that rusage when it is larger (a
    process shorter than the sampling interval)."""
    before = os.times()
    busy0, t0 = machine_busy_s(), time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    sampler = CpuSampler(proc.pid, interval=0.25)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    waited = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    cpu = max(waited, sum(sampler.totals().values()))
    others = max(0.0, machine_busy_s() - busy0 - cpu) / wall
    return json.loads(stdout.strip().splitlines()[-1]), wall, others, cpu


def _diff(a: Path, b: Path) -> str:
    x, y = set(a.read_text().split()), set(b.read_text().split())
    if x == y:
        return f"identical ({len(x):,} ids)"
    return f"MISMATCH: {len(x - y)} only in {a.name}, {len(y - x)} only in {b.name}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--sizes", default="0.25,0.5,1.0", help="GB of text, comma-separated")
    ap.add_argument("--repeats", default="1,1,3", help="runs per size: one number or one per size")
    ap.add_argument("--engines", default="cld2,polyglot", help="Spark job's langid engines")
    ap.add_argument("--sides", default="loop,datatrove,spark,work,pool", help="which sides to run")
    ap.add_argument("--work-dir", default=str(REPO / "runs" / "bench"))
    ap.add_argument("--shared", default=str(shared_data_dir()))
    ap.add_argument("--driver-memory", default=None, help="default: Spark's own (1g)")
    ap.add_argument("--set", action="append", default=[], help="config override of the job")
    ap.add_argument("--conf", action="append", default=[], help="extra spark-submit --conf")
    ap.add_argument("--repo", default=str(REPO), help="repository whose jobs/dedup.py runs")
    ap.add_argument("--keep-run", action="store_true")
    ap.add_argument("--wait-idle", type=float, default=120.0, metavar="S")
    ap.add_argument("--label", default="")
    ap.add_argument("--render", metavar="JSON", help="print the Markdown of a results file")
    args = ap.parse_args(argv)
    if args.render:
        print(report.markdown(json.loads(Path(args.render).read_text())))
        return 0
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    sizes = [float(x) for x in args.sizes.split(",")]
    reps = [int(x) for x in args.repeats.split(",")]
    reps = reps * len(sizes) if len(reps) == 1 else reps
    if len(reps) != len(sizes):
        raise SystemExit("--repeats: one number, or one per size")
    wanted = set(args.sides.split(","))
    engines = [e for e in args.engines.split(",") if e]
    args.engine = None
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    dt_python = datatrove_peer.ensure_venv(work) if "datatrove" in wanted else None
    results: dict[str, Any] = {"meta": {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cores": args.cores,
        "cpus": os.cpu_count(), "repeats": reps, "sizes": sizes, "engines": engines,
        "driver_memory": args.driver_memory, "load_before": _load(), "argv": sys.argv[1:],
    }, "sizes": []}  # fmt: skip
    failed = False
    for size, repeats in zip(sizes, reps, strict=True):
        meta = inputs.build_input(Path(args.shared), work, size, max(1, args.cores))
        folder = Path(meta["path"])
        print(f"input {folder}: {meta['docs']:,} docs, {meta['text_bytes'] / 1e6:,.0f} MB text",
              file=sys.stderr, flush=True)  # fmt: skip
        entry: dict[str, Any] = {"input": meta, "runs": []}
        for rep in range(repeats):
            run: dict[str, Any] = {}
            if "loop" in wanted:
                wait_idle(args.wait_idle)
                ids = work / f"loop-kept-{size:g}.txt"
                out, wall, others, cpu = _timed(
                    [sys.executable, "-m", "bench.dataset1.plain_loop", str(folder), str(ids)], env
                )
                run["loop"] = {**out, "wall_s": wall, "cpu_s": cpu, "others_cores": others,
                               "kept_ids": str(ids)}  # fmt: skip
            if dt_python is not None:
                wait_idle(args.wait_idle)
                out_dir = work / "datatrove-run"
                shutil.rmtree(out_dir, ignore_errors=True)
                out_dir.mkdir(parents=True)
                out, wall, others, cpu = _timed(
                    datatrove_peer.command(dt_python, folder, out_dir, args.cores)
                )
                ids = work / f"datatrove-kept-{size:g}.txt"
                shutil.copy(out_dir / "kept_ids.txt", ids)
                run["datatrove"] = {**out, "wall_s": wall, "cpu_s": cpu, "others_cores": others,
                                    "kept_ids": str(ids)}  # fmt: skip
            if "spark" in wanted:
                for engine in engines:
                    wait_idle(args.wait_idle)
                    args.engine = engine
                    run[f"spark-{engine}"] = spark_job.run(
                        folder, work, f"{size:g}-{rep}-{engine}", args
                    )
            for side, processes in (("work", 1), ("pool", args.cores)):  # (d), (e)
                if side not in wanted:
                    continue
                wait_idle(args.wait_idle)
                engine = engines[0] if engines else "cld2"
                ids = work / f"{side}-kept-{size:g}.txt"
                out, wall, others, cpu = _timed(
                    [sys.executable, "-m", "bench.dataset1.library_work", str(folder), str(ids),
                     engine, str(args.cores), str(processes)], env,
                )  # fmt: skip
                run[f"{side}-{engine}"] = {**out, "wall_s": wall, "cpu_s": cpu,
                                           "others_cores": others, "kept_ids": str(ids)}  # fmt: skip
            for side, r in run.items():
                print(
                    f"[{size:g} GB #{rep}] {side}: {r['wall_s']:.1f} s", file=sys.stderr, flush=True
                )
            entry["runs"].append(run)
        entry["sides"] = report.sides(entry)
        first = entry["runs"][0]
        agreement = {}
        spark_sides = [s for s in first if s.startswith("spark-")]
        for s in spark_sides[1:]:
            agreement[f"{spark_sides[0]} vs {s}"] = _diff(
                Path(first[spark_sides[0]]["kept_ids"]), Path(first[s]["kept_ids"])
            )
        if spark_sides:
            ref = first[spark_sides[0]]
            mine = [s for s in first if s.startswith(("work-", "pool-"))]
            for peer in ("loop", "datatrove", *mine):
                if peer in first:
                    agreement[f"{peer} vs {spark_sides[0]}"] = _diff(
                        Path(first[peer]["kept_ids"]), Path(ref["kept_ids"])
                    )
            if "loop" in first:
                loop = first["loop"]
                same = loop["removed_by_stage"] == {
                    k: ref["removed_by_stage"].get(k, 0) for k in loop["removed_by_stage"]
                }
                agreement["loop vs spark counts"] = ("identical" if same and loop["rows_out"] == ref["rows_out"]
                                                     else f"MISMATCH: loop {loop['removed_by_stage']} vs {ref['removed_by_stage']}")  # fmt: skip
            for side in mine:
                got = first[side]
                same = got["removed_by_stage"] == {
                    k: v for k, v in ref["removed_by_stage"].items() if v
                }
                agreement[f"{side} vs spark counts"] = ("identical" if same and got["rows_out"] == ref["rows_out"]
                                                        else f"MISMATCH: {got['removed_by_stage']} vs {ref['removed_by_stage']}")  # fmt: skip
        entry["agreement"] = agreement
        failed |= any(v.startswith("MISMATCH") for v in agreement.values())
        entry["spark_phases"], entry["spark_metrics"] = {}, {}
        for side in spark_sides:
            runs = [r[side] for r in entry["runs"]]
            entry["spark_phases"][side] = {
                ph: {"wall_s": report.median(r["phases"].get(ph, {}).get("wall_s") for r in runs),
                     "cpu_s": {k: report.median(r["phases"].get(ph, {}).get("cpu_s", {}).get(k, 0.0) for r in runs)
                               for k in ("jvm", "py_driver", "py_workers", "other")}}
                for ph in ("startup", "step1", "step2", "shutdown")
            }  # fmt: skip
            m = runs[0]["metrics"]

            def total(key: str, m: dict = m) -> float:
                return sum(v.get(key, 0.0) for v in m.values()) / 1e6

            entry["spark_metrics"][side] = {
                "shuffle_mb": total("shuffle_bytes"),
                "python_mb": total("to_python_bytes") + total("from_python_bytes"),
                "spill_mb": total("spill_disk_bytes"),
                "jvm_rss_mb": runs[0]["rss_peak_mb"].get("jvm", 0.0),
                "py_rss_mb": runs[0]["rss_peak_mb"].get("py_workers", 0.0),
            }
        results["sizes"].append(entry)
    results["meta"]["load_after"] = _load()
    fits = {}
    for side in results["sizes"][0]["sides"]:
        pts = [
            (e["input"]["text_bytes"] / 1e9, e["sides"][side]["wall_s"])
            for e in results["sizes"]
            if side in e["sides"]
        ]
        f = report.fit_line(pts)
        if f:
            fits[side] = f
    results["fits"] = fits
    out_dir = work / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"bench-dataset1{args.label}"
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2, default=str))
    md = report.markdown(results)
    (out_dir / f"{name}.md").write_text(md)
    print(md)
    if failed:
        print("FAILED: the sides do not agree (see Agreement)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
