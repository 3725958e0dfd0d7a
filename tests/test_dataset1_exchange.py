"""Dataset-1 step 2's exchange (:mod:`curation.pipeline.dataset1_exchange`) run task by task in
this process, no Spark: its facts equal :func:`curation.stages.dataset1.group_facts`, and its
writers' outputs equal the in-memory verdicts, whatever the bucket and task counts."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curation import schema as S
from curation.pipeline import dataset1_exchange as X
from curation.pipeline import dataset1_tasks as tasks
from curation.pipeline.dataset1 import place_chunks
from curation.run_layout import DATA, REMOVED
from curation.stages import dataset1 as decisions
from tests.test_dataset1_spark import _cfg, _random_annotated


def _exchange(
    tmp_path, rows: pa.Table, writers: int, buckets: int, chunk_rows: int, group: int = 97
):
    names, chunks = [], []
    for k, start in enumerate(range(0, rows.num_rows, chunk_rows)):
        names.append(f"part-{k:05d}-0000.parquet")
        part = rows.slice(start, chunk_rows)
        pq.write_table(part, tmp_path / names[-1], row_group_size=group)
        chunks.append({"name": names[-1], S.SRC_DOMAIN: "cc", "rows": part.num_rows,
                       "chars": pc.sum(part.column(S.N_CHARS)).as_py() or 0})  # fmt: skip
    return X.Exchange(
        annotated=str(tmp_path), chunks=names, rows=[c["rows"] for c in chunks],
        task_of_chunk=place_chunks(chunks, writers), writers=writers, buckets=buckets,
        work=str(tmp_path / "_exchange"),
    )  # fmt: skip


def _facts_jobs(ex: X.Exchange, cfg) -> list[dict]:
    for t in range(ex.writers):
        assert list(X.key_rows(t, ex, cfg)) == []
    examples = []
    for b in range(ex.buckets):
        for batch in X.id_facts(b, ex, cfg):
            examples += batch.to_pylist()
    for b in range(ex.buckets):
        assert list(X.survivor_facts(b, ex, cfg)) == []
    return examples


@pytest.mark.parametrize(
    ("overrides", "writers", "buckets", "exchange_rows"),
    [
        (["ingest.on_duplicate_id=quarantine"], 3, 4, 100),
        (["exact_dedup.scope=global", "langid.domains=['*']"], 1, 1, 500_000),
        (["exact_dedup.scope=domain", "length.min_chars=100"], 5, 7, 33),
    ],
)
def test_exchange_facts_equal_the_in_memory_ones(tmp_path, overrides, writers, buckets,
                                                 exchange_rows):  # fmt: skip
    cfg = _cfg(*overrides, f"spark.exchange_rows={exchange_rows}")
    rows = _random_annotated(random.Random(len(overrides) + writers), 3000)
    ex = _exchange(tmp_path, rows, writers, buckets, chunk_rows=700)
    examples = _facts_jobs(ex, cfg)
    assert X.duplicate_ids(examples) == decisions.duplicate_ids(rows)
    assert len(X.duplicate_ids(examples).examples) == 10  # the random rows repeat ids

    expected = decisions.group_facts(rows, cfg)
    first_at, survivor = [None] * rows.num_rows, [None] * rows.num_rows
    for t in range(writers):
        for folder, name, into in ((X.FIRST, S.FIRST_AT, first_at),
                                   (X.SURVIVORS, S.SURVIVOR, survivor)):  # fmt: skip
            got = X.read_exchanged(ex.folder(folder), ex.buckets, t)
            for r in got.to_pylist():
                assert ex.task_of_chunk[r[tasks.CHUNK]] == t  # sent to its writer task
                into[r[tasks.CHUNK] * 700 + r[X.POS]] = r[name]
    assert first_at == expected[S.FIRST_AT].to_pylist()
    assert survivor == expected[S.SURVIVOR].to_pylist()
    assert sum(v is not None for v in first_at) > 0 and sum(v is not None for v in survivor) > 0

    # the writers: every row kept or in the ledger, as decide() over the in-memory facts
    out = tmp_path / "out"
    counts = []
    for t in range(writers):
        for batch in X.write_task(t, ex, str(out), cfg):
            counts += batch.to_pylist()
    verdict = decisions.decide(
        rows.append_column(S.FIRST_AT, expected[S.FIRST_AT]).append_column(
            S.SURVIVOR, expected[S.SURVIVOR]
        ),
        cfg,
    )
    stages = set(verdict.column(S.STAGE).to_pylist())  # the random rows meet every rule
    assert (S.STAGE_EXACT_DEDUP in stages) and (S.STAGE_INVALID in stages)
    assert (S.STAGE_LANGID in stages) == ("cc" in cfg.langid.domains or "*" in cfg.langid.domains)
    assert verdict.column(S.REASON).to_pylist().count("duplicate_id") > 0  # in either mode
    kept, ledger = (
        pa.concat_tables(pq.read_table(f) for f in sorted((out / d).rglob("*.parquet"))).sort_by(
            [(S.SRC_LINE, "ascending")]
        )
        for d in (DATA, REMOVED)
    )
    want_kept = decisions.kept_rows(rows, verdict)
    want_ledger = decisions.ledger_rows(rows, verdict)
    assert kept.select(want_kept.column_names).to_pylist() == want_kept.to_pylist()
    assert ledger.select(want_ledger.column_names).to_pylist() == want_ledger.to_pylist()
    assert sum(c["n"] for c in counts) == rows.num_rows == kept.num_rows + ledger.num_rows
    assert len(list((out / REMOVED).glob("*.parquet"))) == writers  # each writes its part


def test_a_chunk_that_changed_under_the_exchange_fails_naming_it(tmp_path):
    cfg = _cfg()
    rows = _random_annotated(random.Random(1), 300)
    ex = _exchange(tmp_path, rows, 2, 2, chunk_rows=100)
    ex = X.Exchange(**{**ex.__dict__, "rows": [100, 99, 100]})
    with pytest.raises(
        RuntimeError, match="part-00001-0000.parquet holds 100 rows, its manifest 99"
    ):
        for t in range(ex.writers):
            list(X.key_rows(t, ex, cfg))


def test_buckets_are_the_same_in_every_process_and_spread():
    """Every task of the exchange must send an id to the same bucket: no salted hash."""
    ids = pa.array([f"doc-{i}" for i in range(4000)])
    b = X.bucket_of(ids, 8)
    code = ("import pyarrow as pa; from curation.pipeline.dataset1_exchange import bucket_of; "
            "print(bucket_of(pa.array([f'doc-{i}' for i in range(4000)]), 8).tolist())")  # fmt: skip
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"})  # fmt: skip
    assert other.stdout.strip() == str(b.tolist())
    counts = [int((b == k).sum()) for k in range(8)]
    assert min(counts) > 400 and X.bucket_of(pa.array(["doc-0"]), 8)[0] == b[0]


def _records(domain: str, texts: list[str], schema: pa.Schema) -> pa.Table:
    rows = {S.ID: [f"{domain}-{i}" for i in range(len(texts))], S.DOMAIN: [domain] * len(texts),
            S.TEXT: texts, S.N_CHARS: [len(t) for t in texts], S.STAGE: ["length"] * len(texts),
            S.REASON: ["too_short"] * len(texts)}  # fmt: skip
    return S.conform(pa.table({k: v for k, v in rows.items() if k in schema.names}), schema)


def test_the_writers_hold_kept_and_removed_texts_up_to_batch_chars(tmp_path):
    """The writers' buffer counts characters (code points, not bytes: Cyrillic here) of kept and
    removed texts alike, and writes every file's row group once ``ingest.batch_chars`` wait."""
    cfg = _cfg("ingest.batch_chars=1000")
    out = tasks._Outputs(str(tmp_path), 3, cfg)
    none = S.LEDGER_SCHEMA.empty_table()
    out.add(_records("a", ["ж" * 300] * 3, S.RECORD_SCHEMA), none)
    assert out.buffered == 900  # below the limit: nothing written yet
    out.add(_records("b", ["ё" * 50], S.RECORD_SCHEMA), _records("a", ["щ" * 40], S.LEDGER_SCHEMA))
    assert out.buffered == 990
    mixed = pa.concat_tables([_records("a", ["x" * 5], S.RECORD_SCHEMA),
                              _records("b", ["y" * 6], S.RECORD_SCHEMA)])  # fmt: skip
    out.add(mixed, none)  # 1,001 characters wait: every buffer becomes a row group
    assert out.buffered == 0 and out.buffers == {}
    out.add(_records("a", ["z" * 7], S.RECORD_SCHEMA), none)
    out.close()
    names = (f"{DATA}/domain=a/part-00003.parquet", f"{DATA}/domain=b/part-00003.parquet",
             f"{REMOVED}/part-00003.parquet")  # fmt: skip
    assert [pq.ParquetFile(tmp_path / n).metadata.num_row_groups for n in names] == [2, 1, 1]
    assert pq.read_table(tmp_path / DATA / "domain=a").column(S.TEXT).to_pylist() == (
        ["ж" * 300] * 3 + ["x" * 5, "z" * 7]
    )
    assert pq.read_table(tmp_path / DATA / "domain=b").column(S.TEXT).to_pylist() == [
        "ё" * 50, "y" * 6
    ]  # fmt: skip


def test_the_exchange_makes_two_tasks_per_core_unless_its_rows_need_more():
    small = _cfg("spark.shuffle_partitions=8", "spark.exchange_rows=250000")
    assert X.task_count(271_712, small, parallelism=2) == 4  # two waves on local[2]
    assert X.task_count(271_712, small, parallelism=64) == 8  # shuffle_partitions, not 128
    assert X.task_count(0, small, parallelism=1) == 2
    assert X.task_count(10_000_000, small, parallelism=2) == 40  # the memory bound wins
    assert X.task_count(10_000_001, small, parallelism=2) == 41
