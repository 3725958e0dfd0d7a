"""Medians, ratios, phases, the scaling fit and the agreement check of a benchmark run, and its
Markdown."""

from __future__ import annotations

import statistics
from typing import Any

MB, GB = 1e6, 1e9


def median(values) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares ``t = a + b * gb``."""
    if len(points) < 2:
        return None
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return None
    b = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx
    return my - b * mx, b


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def sides(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per side of one size: median wall and CPU seconds, spread, cores used, others' load."""
    out: dict[str, dict[str, Any]] = {}
    for side in entry["runs"][0]:
        runs = [r[side] for r in entry["runs"] if side in r]
        walls = [r["wall_s"] for r in runs]
        out[side] = {
            "wall_s": median(walls), "spread": (min(walls), max(walls)),
            "cpu_s": median(r.get("cpu_s") for r in runs),
            "others_cores": median(r.get("others_cores") for r in runs), "n": len(runs),
        }  # fmt: skip
        out[side]["cores_used"] = (out[side]["cpu_s"] or 0) / out[side]["wall_s"]
    return out


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"# Dataset-1 benchmark: local[{meta['cores']}] vs a plain loop vs datatrove",
        "",
        f"{meta['date']}; {meta['cpus']} CPUs; load average before/after {meta['load_before']} / "
        f"{meta.get('load_after', '?')}; medians of {meta['repeats']} runs per size. Input: the "
        "shared corpus replicated, every copy with its own marker line (copies are not "
        "duplicates of each other). MB = 1e6 bytes of UTF-8 text. Spark ran with "
        f"{'--driver-memory ' + meta['driver_memory'] if meta.get('driver_memory') else 'Spark default memory (1g)'}.",
        "",
        "## Throughput",
        "",
        "| size | side | wall s (min-max) | docs/s | MB/s | cores used | others' load "
        "(cores) | vs loop | vs datatrove |",
        "|" + "---|" * 9,
    ]
    for e in results["sizes"]:
        inp, s = e["input"], e["sides"]
        loop, dt = s.get("loop", {}).get("wall_s"), s.get("datatrove", {}).get("wall_s")
        for side, v in s.items():
            w = v["wall_s"]
            lines.append(
                f"| {inp['text_bytes'] / GB:.2f} GB | {side} | {_fmt(w)} ({v['spread'][0]:.1f}-"
                f"{v['spread'][1]:.1f}) | {inp['docs'] / w:,.0f} | {inp['text_bytes'] / MB / w:,.1f} "
                f"| {_fmt(v['cores_used'], 2)} | {_fmt(v['others_cores'], 2)} | "
                f"{_fmt(loop / w if loop else None, 2)}x | {_fmt(dt / w if dt else None, 2)}x |"
            )
    fits = results.get("fits", {})
    if fits:
        lines += ["", "## Scaling: least-squares fit wall = a + b x GB", "",
                  "| side | a (s) | b (s per GB) |", "|---|---|---|"]  # fmt: skip
        for side, (a, b) in fits.items():
            lines.append(f"| {side} | {a:.1f} | {b:.1f} |")
    for e in results["sizes"]:
        gb = e["input"]["text_bytes"] / GB
        for side, phases in e.get("spark_phases", {}).items():
            lines += ["", f"## Where the time goes: {side}, {gb:.2f} GB (medians)", "",
                      "| phase | wall s | core-s per GB: JVM | Python driver | Python workers "
                      "| all |", "|---|---|---|---|---|---|"]  # fmt: skip
            for phase, v in phases.items():
                cpu = v["cpu_s"]
                lines.append(
                    f"| {phase} | {_fmt(v['wall_s'])} | {_fmt(cpu.get('jvm', 0) / gb)} | "
                    f"{_fmt(cpu.get('py_driver', 0) / gb)} | {_fmt(cpu.get('py_workers', 0) / gb)} "
                    f"| {_fmt(sum(cpu.values()) / gb)} |"
                )
            loop = e["sides"].get("loop", {}).get("cpu_s")
            if loop:
                lines.append(f"| the plain loop, for comparison | | | | | {_fmt(loop / gb)} |")
            for work in (s for s in e["sides"] if s.startswith(("work-", "pool-"))):
                runs = [r[work] for r in e["runs"] if work in r]
                where = ("in one process" if work.startswith("work-")
                         else f"on {runs[0].get('processes', '?')} pool processes")  # fmt: skip
                for step in ("step1", "step2"):
                    cpu = median(r.get(f"{step}_cpu_s") for r in runs)
                    lines.append(
                        f"| {step}: its task functions {where}, no Spark "
                        f"({work}) | | | | | {_fmt(cpu / gb if cpu else None)} |"
                    )
        for side, m in e.get("spark_metrics", {}).items():
            lines += ["", f"{side}, {gb:.2f} GB: shuffled {m.get('shuffle_mb', 0):.1f} MB, "
                      f"Python<->JVM {m.get('python_mb', 0):.1f} MB, spilled "
                      f"{m.get('spill_mb', 0):.1f} MB, peak RSS JVM {m.get('jvm_rss_mb', 0):.0f} MB, "
                      f"Python workers {m.get('py_rss_mb', 0):.0f} MB (all together)."]  # fmt: skip
    lines += ["", "## Agreement (kept ids, first run of each size)", ""]
    for e in results["sizes"]:
        for name, verdict in e.get("agreement", {}).items():
            lines.append(f"- {e['input']['text_bytes'] / GB:.2f} GB, {name}: {verdict}")
    return "\n".join(lines) + "\n"
