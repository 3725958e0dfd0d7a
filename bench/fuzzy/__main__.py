"""Benchmark of fuzzy dedup (``make bench-fuzzy``; see bench/README.md).

    .venv/bin/python -m bench.fuzzy                        # 1x, 2x, 4x of the cc documents
    .venv/bin/python -m bench.fuzzy --factors 1 --base-docs 2000   # a smoke check
    .venv/bin/python -m bench.fuzzy --render bench/results/bench-fuzzy.json

For each input size (:mod:`bench.fuzzy.inputs`), in turn and each after waiting (briefly) for a
quieter machine: (a) our stage on Spark ``local[CORES]`` (:mod:`bench.fuzzy.spark_side`),
(b) datatrove 0.10.1's MinHash steps with ``CORES`` workers (:mod:`bench.fuzzy.datatrove_minhash`),
(c) a one-process loop with rensa (:mod:`bench.fuzzy.library_loop`); same shingles, same bands x
rows. Each side's groups (near-duplicate components of two or more documents) are compared with
ours, and the planted near-duplicate pairs at or above the threshold (true Jaccard computed here,
untimed) are checked: found = both ends in one group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.dataset1 import datatrove_peer
from bench.dataset1.__main__ import _timed
from bench.fuzzy import inputs
from bench.machine_load import REPO, shared_data_dir, wait_idle
from curation.config import FuzzyDedupConfig
from curation.stages import minhash

HERE = Path(__file__).resolve().parent
LIBS = ("rensa==0.5.0",)


def ensure_libs(python: Path) -> None:
    """The MinHash library of the loop, in the datatrove venv (installed on first use)."""
    if subprocess.run([str(python), "-c", "import rensa"], capture_output=True).returncode:
        print(f"installing {' '.join(LIBS)} into {python.parent.parent} ...", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *LIBS], check=True)


def _groups(path: Path) -> set[frozenset[str]]:
    return {frozenset(json.loads(line)) for line in path.read_text().splitlines() if line}


def _planted(meta: dict, cfg: FuzzyDedupConfig) -> list[tuple[str, str, float]]:
    """Planted pairs (copy, original, true Jaccard)."""
    pairs = [json.loads(line) for line in Path(meta["planted"]).read_text().splitlines()]
    text = {}
    for path in sorted(Path(meta["path"]).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            text[rec["id"]] = rec["text"]
    jac = minhash.jaccard_pairs([text[p["id"]] for p in pairs],
                                [text[p["copy_of"]] for p in pairs], cfg)  # fmt: skip
    return [(p["id"], p["copy_of"], float(j)) for p, j in zip(pairs, jac, strict=True)]


def _found(groups: set[frozenset[str]], pairs: list[tuple[str, str, float]], t: float) -> int:
    where = {doc: g for g in groups for doc in g}
    return sum(1 for a, b, j in pairs if j >= t and b in where.get(a, ()))


def compare(ours: set[frozenset[str]], theirs: set[frozenset[str]]) -> dict[str, int]:
    """Groups in both, only ours, only theirs; removals (sum of size - 1) of each."""
    return {"same_groups": len(ours & theirs), "only_ours": len(ours - theirs),
            "only_theirs": len(theirs - ours),
            "removed_ours": sum(len(g) - 1 for g in ours),
            "removed_theirs": sum(len(g) - 1 for g in theirs)}  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    m = results["meta"]
    out = [f"{m['date']}, local[{m['cores']}] on {m['cpus']} CPUs, shingles {m['shingle']} "
           f"{m['ngram']}, {m['bands']} x {m['rows']}, threshold {m['threshold']}; load before "
           f"{m['load_before']}", "",
           "| input | docs | MB | side | wall s | docs/s | ours x | in-side s | stage x | "
           "removed | groups same / only ours / only theirs | planted found | others' load |",
           "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]  # fmt: skip

    def wall(run: dict) -> float:  # less the harness's warm-up jobs, which no real run has
        return run["wall_s"] - run.get("warm_s", 0.0)

    for entry in results["sizes"]:
        inp = entry["input"]
        ours = entry["runs"].get("spark")
        for side, run in entry["runs"].items():
            ratio = f"{wall(run) / wall(ours):.2f}" if ours else "-"
            stage = f"{run['seconds'] / ours['seconds']:.2f}" if ours else "-"
            agree = run.get("vs_ours")
            agree_s = (f"{agree['same_groups']} / {agree['only_ours']} / {agree['only_theirs']}"
                       if agree else "(ours)")  # fmt: skip
            out.append(
                f"| {inp['params']['factor']}x | {inp['docs']:,} | {inp['text_bytes'] / 1e6:.1f} "
                f"| {side} | {wall(run):.1f} | {inp['docs'] / wall(run):,.0f} | {ratio} "
                f"| {run['seconds']:.1f} | {stage} | {run['removed']:,} | {agree_s} "
                f"| {run['planted_found']}/{entry['planted_at_threshold']} "
                f"| {run['others_cores']:.2f} |"
            )
    out.append("")
    out.append(
        "`wall s`: the side's process, start to end (ours: the JVM's start included, the "
        "harness's warm-up jobs not); `ours x` = our docs/s / the side's docs/s, wall times of "
        "this run (above 1: ours is faster); `in-side s` = the side's own timing (Spark: "
        "the stage in a started, warmed-up session, as inside Dataset-1; datatrove: its four "
        "MinHash steps; the loop: its work); `stage x` = the same ratio on `in-side s`."
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--factors", default="1,2,4", help="input sizes, as copies of the base")
    ap.add_argument("--base-docs", type=int, default=4000, help="cc documents copied (0: all)")
    ap.add_argument("--near-rate", type=float, default=0.2, help="share of copies near-duplicates")
    ap.add_argument("--parts", type=int, default=4, help="JSONL files per 1x of input")
    ap.add_argument("--sides", default="spark,datatrove,loop")
    ap.add_argument("--shingle", default="word", choices=("word", "char"))
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--bands", type=int, default=20)
    ap.add_argument("--rows", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--work-dir", default=str(REPO / "runs" / "bench"))
    ap.add_argument("--shared", default=str(shared_data_dir()))
    ap.add_argument("--wait-idle", type=float, default=30.0, metavar="S")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "bench-fuzzy.json"))
    ap.add_argument("--render", metavar="JSON", help="print the Markdown of a results file")
    args = ap.parse_args(argv)
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())))
        return 0
    wanted = args.sides.split(",")
    if args.shingle != "word" and wanted != ["spark"]:
        raise SystemExit("--shingle char: only --sides spark (the peers here hash word n-grams)")
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cfg = FuzzyDedupConfig(enabled=True, shingle=args.shingle, ngram=args.ngram, bands=args.bands,
                           rows=args.rows, threshold=args.threshold)  # fmt: skip
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))  # fmt: skip
    peer = None
    if {"datatrove", "loop"} & set(wanted):
        peer = datatrove_peer.ensure_venv(work)
        ensure_libs(peer)
    knobs = [str(args.ngram), str(args.bands), str(args.rows)]
    results: dict[str, Any] = {"meta": {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cores": args.cores,
        "cpus": os.cpu_count(), "shingle": args.shingle, "ngram": args.ngram, "bands": args.bands,
        "rows": args.rows, "threshold": args.threshold, "near_rate": args.near_rate,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()), "argv": sys.argv[1:],
    }, "sizes": []}  # fmt: skip
    for factor in (int(x) for x in args.factors.split(",")):
        meta = inputs.build(Path(args.shared), work, factor, args.base_docs, args.near_rate,
                            args.parts * factor)  # fmt: skip
        src = Path(meta["path"])
        planted = _planted(meta, cfg)
        at_t = sum(j >= args.threshold for _, _, j in planted)
        print(f"{factor}x: {meta['docs']:,} docs, {meta['text_bytes'] / 1e6:.1f} MB, "
              f"{len(planted)} planted pairs ({at_t} at J >= {args.threshold})",
              file=sys.stderr, flush=True)  # fmt: skip
        commands = {
            "spark": [sys.executable, "-m", "bench.fuzzy.spark_side", str(src), "{out}",
                      str(args.cores), *knobs, str(args.threshold), args.shingle],
            "datatrove": [str(peer), str(HERE / "datatrove_minhash.py"), str(src), "{out}",
                          str(args.cores), *knobs],
            "loop": [str(peer), str(HERE / "library_loop.py"), str(src), "{out}", *knobs,
                     str(args.threshold), str(cfg.seed)],
        }  # fmt: skip
        entry: dict[str, Any] = {"input": meta, "planted_pairs": len(planted),
                                 "planted_at_threshold": at_t, "runs": {}}  # fmt: skip
        groups = {}
        for side in wanted:
            out_dir = work / f"fuzzy-{side}"
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir(parents=True)
            wait_idle(args.wait_idle)
            cmd = [str(out_dir) if c == "{out}" else c for c in commands[side]]
            out, wall, others, cpu = _timed(cmd, env)
            groups[side] = _groups(out_dir / "groups.jsonl")
            run = {**out, "wall_s": wall, "cpu_s": cpu, "others_cores": others,
                   "planted_found": _found(groups[side], planted, args.threshold)}  # fmt: skip
            if side != "spark" and "spark" in groups:
                run["vs_ours"] = compare(groups["spark"], groups[side])
            entry["runs"][side] = run
            print(f"  {side}: {wall:.1f} s wall, {out['removed']} removed, others' load "
                  f"{others:.2f}", file=sys.stderr, flush=True)  # fmt: skip
        results["sizes"].append(entry)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
