"""Fuzzy dedup on Spark (local[2]) against the in-process references, across partitionings and
reruns; connected components on Spark against union-find."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation import schema as S
from curation.config import FuzzyDedupConfig
from curation.spark.components import LABEL, NODE, connected_components
from curation.spark.fuzzy import near_duplicates
from curation.stages import fuzzy_dedup as FD
from curation.stages import fuzzy_reference as R
from tests.fuzzy_data import corpus


def _run(spark, table: pa.Table, cfg: FuzzyDedupConfig, work, partitions: int = 4) -> pa.Table:
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        df = spark.createDataFrame(table.to_pandas()).repartition(partitions)
        result = near_duplicates(df, cfg, work.as_uri())
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "4")
    got = pq.read_table(work / "removals").sort_by(S.ID)
    assert result.removed == len(got)
    return got


@pytest.fixture(scope="module")
def docs() -> pa.Table:
    return corpus(250, seed=21)


ON_SPARK = {"driver_graph_max_pairs": 0}  # components and survivors with DataFrame operations


@pytest.mark.parametrize(
    "cfg",
    [
        FuzzyDedupConfig(threshold=0.7),
        FuzzyDedupConfig(threshold=0.7, **ON_SPARK),
        FuzzyDedupConfig(shingle="char", ngram=12, scope="global", bands=16, rows=6),
        FuzzyDedupConfig(bands=30, rows=2, verify=False),
        FuzzyDedupConfig(bands=30, rows=2, verify=False, **ON_SPARK),
        FuzzyDedupConfig(bands=30, rows=2, all_pairs_up_to=2),  # stars on buckets of 3+
    ],
    ids=["words", "words-graph-on-spark", "chars-global", "unverified",
         "unverified-graph-on-spark", "stars"],
)  # fmt: skip
def test_spark_equals_the_reference_row_for_row(spark, docs, cfg, tmp_path):
    got = _run(spark, docs, cfg, tmp_path / "work")
    want = R.lsh_reference(docs, cfg)
    assert len(want) >= 30
    assert got.to_pylist() == want.to_pylist()
    # the graph went where the bound says: Spark's components write their rounds under work
    on_spark = (tmp_path / "work" / "components").exists()
    assert on_spark == (cfg.driver_graph_max_pairs == 0)
    if cfg.verify:  # some linked by another member: their Jaccard with the survivor from texts
        assert any(f"linked by {r[S.DUPLICATE_OF]} " not in r[S.DETAIL] for r in got.to_pylist())


def test_spark_equals_brute_force_and_ignores_partitioning(spark, docs, tmp_path):
    cfg = FuzzyDedupConfig(threshold=0.8)
    runs = [_run(spark, docs, cfg, tmp_path / f"w{p}", partitions=p).to_pylist() for p in (1, 7)]
    again = _run(spark, docs, cfg, tmp_path / "again", partitions=7).to_pylist()
    assert runs[0] == runs[1] == again
    cols = [S.ID, S.DUPLICATE_OF, S.SCORE, S.CLUSTER]
    brute = R.brute_force(docs, cfg).select(cols).to_pylist()
    assert [{k: r[k] for k in cols} for r in runs[0]] == brute
    # conservation: every input id is kept or removed once, survivors are kept
    removed = {r[S.ID] for r in runs[0]}
    assert len(removed) == len(runs[0])
    assert not removed & {r[S.DUPLICATE_OF] for r in runs[0]}


def test_connected_components_on_spark_equal_union_find(spark, tmp_path):
    rng = random.Random(8)
    nodes = [f"v{i:04d}" for i in range(2000)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(1200)]
    path = rng.sample(nodes, 300)  # a long path in random id order: many rounds without jumping
    edges += list(zip(path, path[1:], strict=False))
    hub = nodes[1500]
    edges += [(hub, n) for n in rng.sample(nodes, 50)] + [("v9999", "v9999")]
    df = spark.createDataFrame(edges, "a string, b string")
    got = {
        r[NODE]: r[LABEL]
        for r in connected_components(df, "a", "b", (tmp_path / "cc").as_uri()).collect()
    }
    in_edges = {n for e in edges for n in e if e[0] != e[1]}
    want = FD.components(sorted(in_edges), [e for e in edges if e[0] != e[1]])
    assert got == want
    assert (
        len(set(want.values())) < len(want)
        and max(sum(1 for v in want.values() if v == c) for c in set(want.values())) >= 300
    )
