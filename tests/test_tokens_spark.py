"""The token stage on Spark: the same bytes as the local engine (pad and pack), for any number of
shuffle partitions and order buckets, on a run folder given as a ``file://`` URI with a space and
a '#'; every document once; the tokenizer's training sample found on the executors equals the
in-process one."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from xxhash import xxh3_64_intdigest

from curation import tokenizer as TOK
from curation.config import load_config
from curation.formats import token_shards as TS
from curation.pipeline import tokens
from curation.spark import tokens as spark_tokens
from curation.spark.writers import read_dataset
from curation.storage import normalize_uri
from tests.tokens_helpers import write_dataset

N = 16
SETS = [
    "tokens.dataset=dataset-1",
    "tokens.vocab_size=300",
    f"tokens.context_length={N}",
    "tokens.shard_sequences=40",
    "tokens.train_sample_bytes=6000",
]
WORDS = ["alpha", "beta", "гамма", "дельта", "epsilon", "zeta", "эта", "theta", "über", "1234"]


def _docs() -> dict[str, list[str]]:
    """Three domains of documents from empty to several sequences long (one domain smaller than
    a shard)."""
    rng = random.Random(7)

    def doc() -> str:
        n = rng.choice([0, 1, 2, 5, 14, 15, 16, 40, 120])
        return " ".join(rng.choice(WORDS) + str(rng.randrange(30)) for _ in range(n))

    return {"wiki": [doc() for _ in range(260)], "code": [doc() for _ in range(130)], "math": [doc() for _ in range(9)]}  # fmt: skip


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("tokens-source")
    write_dataset(run, _docs(), files_per_domain=3, row_group_rows=25)
    return run


def _build(source: Path, run: Path, spark, *sets: str, uri: str | None = None) -> Path:  # noqa: ANN001
    shutil.copytree(source / "dataset-1", run / "dataset-1")
    tokens.run(uri or str(run), load_config("demo", [*SETS, *sets]), spark)
    return run


def _digests(run: Path) -> dict[str, str]:
    """Every output file but the manifest and the stamp (which hold times and build ids)."""
    out = run / "tokens"
    return {
        str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(out.rglob("*"))
        if f.is_file() and f.name not in ("_MANIFEST.json", "_SUCCESS")
    }


def _check_content(run: Path, docs: dict[str, list[str]]) -> int:
    """Every document of the dataset once, its tokens (then <eos>) where documents.parquet says,
    in the seeded shuffle order; returns the shards written."""
    m = json.loads((run / "tokens" / "_MANIFEST.json").read_text())
    tok = TOK.load_tokenizer(str(run / "tokens" / "tokenizer"))
    eos = m["tokenizer"]["eos_id"]
    shards = 0
    assert sorted(m["per_domain"]) == sorted(docs)
    for domain, texts in docs.items():
        table = pq.read_table(TS.domain_dir(run / "tokens", domain) / TS.DOCUMENTS).to_pandas()
        assert sorted(table.id) == sorted(f"{domain}-{i}" for i in range(len(texts)))
        assert list(table.position) == list(range(len(table)))
        keys = [xxh3_64_intdigest(i.encode(), m["config"]["seed"]) for i in table.id]
        assert keys == sorted(keys)
        reader = TS.DomainReader(run / "tokens", domain)
        stream = reader.stream(0, len(reader))
        for d in table.itertuples():
            start = d.sequence * N + d.offset
            expected = tok.encode(texts[int(d.id.rsplit("-", 1)[1])]).ids
            assert d.tokens == len(expected)
            assert list(stream[start : start + d.tokens]) == expected
            assert stream[start + d.tokens] == eos
        assert m["per_domain"][domain]["documents"] == len(texts) == len(table)
        shards += m["per_domain"][domain]["shards"]
    return shards


@pytest.mark.parametrize("mode", ["pad", "pack"])
def test_spark_engine_writes_the_local_engines_bytes_for_any_partitioning(
    spark, source, tmp_path, mode
):
    local = _build(source, tmp_path / "local", None, f"tokens.mode={mode}", "tokens.workers=2")
    assert _check_content(local, _docs()) >= 6
    on_spark = _build(source, tmp_path / "spark", spark, f"tokens.mode={mode}")
    assert _digests(on_spark) == _digests(local)
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "7")
    try:
        other = _build(
            source, tmp_path / "spark-7", spark, f"tokens.mode={mode}", "tokens.order_buckets=2"
        )
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
    assert _digests(other) == _digests(local)
    m = json.loads((on_spark / "tokens" / "_MANIFEST.json").read_text())
    assert m["engine"] == "spark" and m["documents"] == sum(len(t) for t in _docs().values())


def test_spark_engine_takes_a_run_folder_uri_with_a_space_and_a_hash(spark, source, tmp_path):
    run = tmp_path / "a run #1"
    uri = f"file://{run}"  # as Hadoop writes it: not percent-encoded
    _build(source, run, spark, "tokens.mode=pack", uri=uri)
    assert _check_content(run, _docs()) >= 6
    assert not (run / "tokens" / "_work").exists()


@pytest.mark.parametrize("budget", [700, 6000, 10**9])
def test_training_sample_on_spark_equals_the_in_process_sample(spark, source, budget):
    files = sorted(str(p) for p in (source / "dataset-1" / "data").rglob("*.parquet"))
    local, n, info = tokens._training_texts(files, budget, seed=3)
    local = list(local)
    docs = read_dataset(spark, normalize_uri(str(source)), "dataset-1")
    for exact in (0, 10_000):  # refined down to one hash (6 passes), or one pass
        texts, got = spark_tokens.training_texts(spark, docs, budget, 3, exact=exact)
        assert got == info
        assert list(texts) == list(local)
    assert 0 < n <= sum(len(t) for t in _docs().values())
    if budget == 10**9:
        assert n == sum(len(t) for t in _docs().values())
