"""Connected components of an edge list with Spark DataFrame operations only.

Each node's *label* is the smallest id of its component when the loop ends. Start: every node's
label is the smallest of itself and its neighbours (computed within the first round's job). Each
round (one Spark job over the edges, never over one machine's memory):

1. *propagate*: a node takes the smallest label among itself and its neighbours;
2. *jump*: a node takes its label's label (pointer jumping, so a path of length ``d`` needs about
   ``log2 d`` rounds instead of ``d``);
3. stop when no label changed (counted by an observed aggregate while the round's labels are
   written, so no job of its own).

Labels only ever decrease and always name a node of the same component; at the fixed point
neighbours share one label ``l`` with ``label(l) = l``, and the component's smallest node ``m``
has ``label(m) <= m`` and ``label(m)`` in the component, so ``l = m``: the result is the same
whatever the partitioning or order (the survivor rule of fuzzy dedup). Every round's labels are
written as Parquet under ``work`` (and read back with their known schema, without a schema job)
so the query plan does not grow with the rounds and a lost executor costs one round, not the
whole history.
"""

from __future__ import annotations

import logging

from curation.errors import CurationError
from curation.storage import join

log = logging.getLogger(__name__)

NODE = "node"
LABEL = "label"
_SRC, _DST, _OLD = "_src", "_dst", "_old"


class ComponentsDidNotConvergeError(CurationError, RuntimeError):
    """Connected components needed more rounds than allowed (a bug, or an absurd graph)."""


def connected_components(edges, src: str, dst: str, work: str, max_rounds: int = 64):
    """DataFrame ``(node, label)``: every node of ``edges`` (columns ``src``, ``dst``, both of
    one orderable type) with the smallest node of its connected component. Uses ``work`` (a
    folder URI, created) for the labels of each round. ``edges`` is read again in every round:
    pass a saved DataFrame (read from Parquet), not an expensive plan."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    pairs = edges.select(F.col(src).alias(_SRC), F.col(dst).alias(_DST)).filter(
        F.col(_SRC) != F.col(_DST)
    )
    # both directions; a repeated edge changes no minimum, so no distinct (and no shuffle) here
    sym = pairs.unionByName(pairs.select(F.col(_DST).alias(_SRC), F.col(_SRC).alias(_DST)))
    labels = (
        sym.groupBy(_SRC)
        .agg(F.min(_DST).alias("_min"))
        .select(F.col(_SRC).alias(NODE), F.least(F.col(_SRC), F.col("_min")).alias(LABEL))
    )
    for r in range(1, max_rounds + 1):
        nb = (
            sym.join(labels.withColumnRenamed(NODE, _DST), on=_DST)
            .groupBy(F.col(_SRC).alias(NODE))
            .agg(F.min(LABEL).alias("_nb"))
        )
        propagated = labels.join(nb, on=NODE).select(
            NODE, F.col(LABEL).alias(_OLD), F.least(F.col(LABEL), F.col("_nb")).alias(LABEL)
        )
        hop = propagated.select(F.col(NODE).alias("_via"), F.col(LABEL).alias("_hop"))
        jumped = propagated.join(hop, propagated[LABEL] == hop["_via"]).select(
            NODE, _OLD, F.col("_hop").alias(LABEL)
        )
        # the number of changed labels is counted while the round is written (no extra job)
        changes = Observation()
        counted = jumped.observe(
            changes, F.sum((F.col(LABEL) != F.col(_OLD)).cast("long")).alias("changed")
        ).select(NODE, LABEL)
        labels = _save(counted, join(work, f"round-{r}"), f"fuzzy dedup: connected components {r}")
        changed = changes.get["changed"] or 0
        log.info("connected components: round %d, %d labels changed", r, changed)
        if changed == 0:
            return labels
    raise ComponentsDidNotConvergeError(
        f"connected components did not converge in {max_rounds} rounds"
    )


def _save(df, uri: str, description: str):
    spark = df.sparkSession
    spark.sparkContext.setJobDescription(description)
    df.write.parquet(uri)
    return spark.read.schema(df.schema).parquet(uri)
