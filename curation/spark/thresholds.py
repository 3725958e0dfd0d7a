"""eps from a distributed M: the same answer as :func:`curation.stages.semdedup.calibrate_eps`,
with nothing per document on the driver.

The in-process calibration looks at every distinct M; it needs only the level where the documents
at or above it first reach the target, and that level's distinct neighbours
(:func:`curation.stages.semdedup.calibrate_eps_window`). :func:`window` finds them exactly with a
few passes over the M column: a histogram of :data:`BINS` bins narrows down the bin holding the
target's rank (each pass divides the width by ``BINS``; after three, a bin is narrower than the
spacing of float32 values near 1, so it holds one or a few distinct M), then the distinct values
of that bin are counted, then the neighbours and the count above. The removal-vs-eps curve is one
aggregation: per domain, how many documents lie above each threshold of the grid.
"""

from __future__ import annotations

import math

from curation import schema as S
from curation.stages import semdedup

BINS = 4096
MAX_PASSES = 6
EXACT_BIN = 20_000
"""A bin with at most this many documents has its distinct values counted exactly."""


def window(df, target: float, column: str = S.M) -> tuple[list[float], list[int], int, int]:  # noqa: ANN001
    """(levels, counts, above, n) for :func:`~curation.stages.semdedup.calibrate_eps_window`
    over the (clamped) ``column`` of ``df``."""
    from pyspark.sql import functions as F

    m = F.greatest(F.lit(-1.0), F.least(F.lit(1.0), F.col(column).cast("double")))
    values = df.select(m.alias("m")).cache()
    try:
        n = values.count()
        if n == 0:
            return [], [], 0, 0
        want = target * n
        rank = max(1, min(n, math.ceil(want))) if want > 0 else 1  # the rank-th largest M
        v = _kth_largest(values, rank)
        row = values.agg(
            F.min(F.when(F.col("m") > v, F.col("m"))).alias("up"),
            F.max(F.when(F.col("m") < v, F.col("m"))).alias("down"),
        ).first()
        levels = [x for x in (row["up"], v, row["down"]) if x is not None]
        counts = [values.filter(F.col("m") == x).count() for x in levels]
        above = values.filter(F.col("m") > levels[0]).count()
        return levels, counts, above, n
    finally:
        values.unpersist()


def _kth_largest(values, rank: int) -> float:  # noqa: ANN001
    """The ``rank``-th largest ``m`` (1-based, with repetitions), by histogram refinement."""
    from pyspark.sql import functions as F

    lo, hi, above = -1.0, 1.0, 0  # documents in [lo, hi]; ``above`` of them lie beyond hi
    inside = (F.col("m") >= lo) & (F.col("m") <= hi)
    for _ in range(MAX_PASSES):
        width = (hi - lo) / BINS
        if width <= 0:
            break
        b = F.least(F.lit(BINS - 1), F.floor((F.col("m") - F.lit(lo)) / F.lit(width)).cast("int"))
        hist = {
            r["b"]: r["count"]
            for r in values.filter(inside).select(b.alias("b")).groupBy("b").count().collect()
        }
        seen = above
        for j in sorted(hist, reverse=True):
            if seen + hist[j] >= rank:
                break
            seen += hist[j]
        inside = inside & (b == j)
        above = seen
        if hist[j] <= EXACT_BIN:
            break
        lo, hi = lo + j * width, lo + (j + 1) * width
    levels = values.filter(inside).groupBy("m").count().orderBy(F.col("m").desc()).collect()
    for r in levels:
        above += r["count"]
        if above >= rank:
            return float(r["m"])
    raise AssertionError("the histogram lost documents")  # counts are exact: cannot happen


def calibrate(df, target: float, column: str = S.M) -> float:  # noqa: ANN001
    """eps for ``target`` over ``df``'s M: equal to the in-process calibration of the same M."""
    levels, counts, above, n = window(df, target, column)
    return semdedup.calibrate_eps_window(levels, counts, above, n, target)[0]


def removal_curve(df, eps_grid: list[float], column: str = S.M) -> dict:  # noqa: ANN001
    """:func:`curation.stages.semdedup.removal_curve` of ``df`` (columns ``column``, ``domain``)."""
    from pyspark.sql import functions as F

    grid = [float(e) for e in eps_grid]
    m = F.col(column).cast("double")
    aggs = [F.count(F.lit(1)).alias("n")] + [
        F.sum(F.when(m > F.lit(1.0 - e), 1).otherwise(0)).alias(f"g{i}") for i, e in enumerate(grid)
    ]
    rows = {r[S.DOMAIN]: r for r in df.groupBy(S.DOMAIN).agg(*aggs).collect()}
    total = {"n": sum(r["n"] for r in rows.values())}
    for i in range(len(grid)):
        total[f"g{i}"] = sum(r[f"g{i}"] for r in rows.values())

    def fractions(r) -> list[float]:  # noqa: ANN001
        return [float(r[f"g{i}"] / r["n"]) if r["n"] else 0.0 for i in range(len(grid))]

    return {
        "eps": grid,
        "overall": fractions(total),
        "per_domain": {d: fractions(rows[d]) for d in sorted(rows)},
        "documents": {"overall": int(total["n"])} | {d: int(rows[d]["n"]) for d in sorted(rows)},
    }
