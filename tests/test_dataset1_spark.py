"""Dataset-1 on Spark with malformed input, duplicate ids, unreadable files, reruns and config
changes (the exchange's group facts against the in-memory ones: test_dataset1_exchange.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from curation import cli
from curation import schema as S
from curation.config import ExactDedupConfig, load_config
from curation.datasets import IncompleteDatasetError, read_kept, read_ledger, read_manifest
from curation.pipeline import dataset1
from curation.run_layout import StageConflictError
from curation.spark import adapters
from curation.stages import exact_dedup
from tests.malformed import write_tree

REPO = Path(__file__).resolve().parents[1]


def _cfg(*overrides: str):
    return load_config("reference", ["langid.engine=cld2", "langid.domains=[]", *overrides])


@pytest.fixture(scope="module")
def malformed_run(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("malformed")
    exp = write_tree(root / "input")
    run = root / "run"
    manifest = dataset1.run(
        spark, str(root / "input"), str(run), _cfg("ingest.on_duplicate_id=quarantine")
    )
    return exp, run, manifest


def test_malformed_rows_land_in_the_ledger(malformed_run):
    exp, run, manifest = malformed_run
    ledger = read_ledger(str(run), "dataset-1").to_pandas()
    invalid = ledger[ledger.stage == "invalid"]
    got = {(r.src_file, r.src_line): r.reason for r in invalid.itertuples()}
    assert got == exp.invalid
    assert len(set(got.values())) >= 12
    for r in invalid.itertuples():
        assert r.detail.startswith(f"{r.src_file}:{r.src_line}: ")
    dup = invalid[invalid.reason == "duplicate_id"].iloc[0]
    assert dup.id == "good-1" and "already used at web/rows.jsonl:1" in dup.detail
    # nothing vanished: every row is kept or in the ledger, and the manifest says so
    kept = read_kept(str(run), "dataset-1").to_pandas()
    assert manifest["rows_in"] == exp.rows == len(kept) + len(ledger)
    per_file = pd.concat([kept.src_file, ledger.src_file]).value_counts().to_dict()
    assert per_file == exp.rows_per_file()  # and per input file
    given = {(r.src_file, r.src_line): r.id for r in invalid.itertuples()}
    assert {k: given[k] for k in exp.invalid_ids} == exp.invalid_ids  # their own ids kept
    assert exp.good_ids - {"good-1"} <= set(kept.id) | set(ledger[ledger.stage != "invalid"].id)
    assert manifest["removed_by_stage"]["invalid"] == len(exp.invalid)
    assert manifest["inputs"]["skipped_files"] == ["web/README.md"]


def _assert_same_dataset(run: Path, other: Path, manifest: dict, got: dict) -> None:
    """``other``'s Dataset-1 has ``run``'s kept documents and ledger (row for row, every column)
    and its row counts."""
    key = ["src_file", "src_line"]
    for read in (read_kept, read_ledger):
        a, b = (read(str(r), "dataset-1").to_pandas() for r in (run, other))
        pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                      b.sort_values(key).reset_index(drop=True))  # fmt: skip
    assert got["rows_in"] == manifest["rows_in"] and got["per_domain"] == manifest["per_domain"]


def test_many_small_buckets_give_the_same_dataset(malformed_run, spark, tmp_path):
    """More buckets and writer tasks than ``spark.shuffle_partitions`` (``spark.exchange_rows``
    tiny): the same kept documents, ledger and counts."""
    exp, run, manifest = malformed_run
    other = tmp_path / "run"
    got = dataset1.run(spark, str(run.parent / "input"), str(other),
                       _cfg("ingest.on_duplicate_id=quarantine", "spark.exchange_rows=3"))  # fmt: skip
    assert len(list((other / "dataset-1" / "removed").glob("part-*.parquet"))) > 8  # > partitions
    _assert_same_dataset(run, other, manifest, got)


def _codecs(run: Path) -> set[str]:
    """The compression codecs of every column chunk of a run's ``_work/annotated`` chunks."""
    import pyarrow.parquet as pq

    codecs = set()
    for path in (run / "_work" / "annotated").rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            codecs |= {group.column(c).compression for c in range(group.num_columns)}
    return codecs


@pytest.mark.parametrize(
    ("keep", "choice", "codec"),
    [(True, "auto", ("zstd", 1)), (False, "auto", ("none", None)), (True, "none", ("none", None)),
     (False, "zstd", ("zstd", 1))],
)  # fmt: skip
def test_annotated_compression_follows_keep_annotated(keep, choice, codec):
    from curation.pipeline.dataset1_tasks import annotated_compression

    cfg = _cfg(f"run.keep_annotated={str(keep).lower()}", f"run.annotated_compression={choice}")
    assert annotated_compression(cfg) == codec


def test_uncompressed_annotated_chunks_give_the_same_dataset(malformed_run, spark, tmp_path):
    """``run.annotated_compression=none``: chunks without compression, the same kept documents,
    ledger and counts; ``keep_annotated=false`` (auto: none as well) leaves no chunks behind."""
    exp, run, manifest = malformed_run
    assert _codecs(run) == {"ZSTD"}
    for name, overrides in [("plain", ["run.annotated_compression=none"]),
                            ("dropped", ["run.keep_annotated=false"])]:  # fmt: skip
        other = tmp_path / name
        got = dataset1.run(spark, str(run.parent / "input"), str(other),
                           _cfg("ingest.on_duplicate_id=quarantine", *overrides))  # fmt: skip
        if name == "plain":
            assert _codecs(other) == {"UNCOMPRESSED"}
        else:
            assert not (other / "_work" / "annotated").exists()
        _assert_same_dataset(run, other, manifest, got)


def test_unreadable_file_fails_the_job_naming_the_file(spark, tmp_path):
    (tmp_path / "in" / "web").mkdir(parents=True)
    (tmp_path / "in" / "web" / "ok.jsonl").write_text('{"text": "fine"}\n')
    (tmp_path / "in" / "web" / "fake.jsonl.gz").write_bytes(b'{"text": "not gzip"}\n')
    with pytest.raises(Exception) as err:
        dataset1.run(spark, str(tmp_path / "in"), str(tmp_path / "run"), _cfg())
    message = cli.explain(err.value)
    assert message == (
        "cannot read input file web/fake.jsonl.gz: not a valid gzip file "
        "(Error -4 Invalid gzip/zlib wrapper found)"
    )
    assert not (tmp_path / "run" / "dataset-1").exists()
    with pytest.raises(IncompleteDatasetError):
        read_kept(str(tmp_path / "run"), "dataset-1")


def test_duplicate_ids_fail_by_default_naming_them(spark, tmp_path):
    for name in ("a", "b"):
        (tmp_path / "in" / "d").mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / "d" / f"{name}.jsonl").write_text(
            '{"id": "other", "text": "x"}\n' * (name == "b") + '{"id": "same", "text": "t"}\n'
        )
    with pytest.raises(dataset1.DuplicateIdError) as err:
        dataset1.run(spark, str(tmp_path / "in"), str(tmp_path / "run"), _cfg())
    assert "'same' at d/a.jsonl:1, d/b.jsonl:2" in str(err.value)
    assert "ingest.on_duplicate_id=quarantine" in str(err.value)
    assert not (tmp_path / "run" / "dataset-1" / "_SUCCESS").exists()


def test_cli_reports_bad_input_without_a_traceback(tmp_path):
    (tmp_path / "in" / "web").mkdir(parents=True)
    (tmp_path / "in" / "web" / "broken.parquet").write_bytes(b"PAR1 not really")
    proc = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "dedup.py"), "--input", str(tmp_path / "in"),
         "--output", str(tmp_path / "run"), "--set", "spark.master=local[1]"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "cannot read input file web/broken.parquet: not a readable Parquet file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_config_errors_are_clear(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "dedup.py"), "--input", str(tmp_path),
         "--output", str(tmp_path / "run"), "--set", "length.min_chars=many"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "length.min_chars must be int, got 'many'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rerun_skips_and_a_changed_config_needs_force(spark, tmp_path):
    (tmp_path / "in" / "d").mkdir(parents=True)
    docs = "".join(f'{{"id": "d{i}", "text": "{"word " * (20 + i)}"}}\n' for i in range(40))
    (tmp_path / "in" / "d" / "x.jsonl").write_text(docs)
    run = str(tmp_path / "run")
    first = dataset1.run(spark, str(tmp_path / "in"), run, _cfg())
    marker = tmp_path / "run" / "dataset-1" / "_SUCCESS"
    stamp = marker.stat().st_mtime_ns
    assert dataset1.run(spark, str(tmp_path / "in"), run, _cfg()) == first
    assert marker.stat().st_mtime_ns == stamp  # skipped, not rewritten
    with pytest.raises(StageConflictError, match="--force"):
        dataset1.run(spark, str(tmp_path / "in"), run, _cfg("length.min_chars=200"))
    forced = dataset1.run(
        spark, str(tmp_path / "in"), run, _cfg("length.min_chars=200", "run.force=true")
    )
    assert forced["removed"]["too_short"] > first["removed"]["too_short"]
    assert read_manifest(run, "dataset-1")["config"]["length"]["min_chars"] == 200
    # the forced rerun re-decided the stored annotations; a fresh run agrees with it
    fresh = str(tmp_path / "fresh")
    dataset1.run(spark, str(tmp_path / "in"), fresh, _cfg("length.min_chars=200"))
    for reader in (read_kept, read_ledger):
        assert reader(run, "dataset-1").sort_by("id").to_pylist() == (
            reader(fresh, "dataset-1").sort_by("id").to_pylist()
        )


def _random_annotated(rng: random.Random, n: int) -> pa.Table:
    """Annotated-like rows: ids reused now and then, invalid rows, three languages, two domains
    (one language-filtered), texts drawn from a small pool (so groups of exact duplicates)."""
    cols: dict[str, list] = {c: [] for c in S.ANNOTATED_SCHEMA.names}
    for i in range(n):
        src = rng.choice(["cc", "wiki"])
        invalid = rng.random() < 0.05
        text = None if invalid else f"text {rng.randrange(300)}" + "x" * rng.randrange(0, 200)
        lang = None if invalid else rng.choice(["ru", "en", "de"])
        values = {
            S.ID: f"{rng.randrange(n):06d}" if rng.random() < 0.9 else "same",
            S.DOMAIN: src, S.TEXT: text, S.SRC_DOMAIN: src,
            S.SRC_FILE: f"{src}/f{i % 7}.jsonl", S.SRC_LINE: i + 1, S.META: None,
            S.INVALID_REASON: "bad_json" if invalid else None,
            S.DETAIL: f"{src}/f{i % 7}.jsonl:{i + 1}: broken" if invalid else None,
            S.LANG: lang, S.LANG_SCORE: None if invalid else rng.choice([0.3, 0.9]),
            S.LANG_RELIABLE: None if invalid else True,
            S.N_CHARS: None if invalid else len(text),
            S.MD5: None if invalid else exact_dedup.md5_hex(text),
            S.DEDUP_KEY: None if invalid else exact_dedup.md5_hex(text.rstrip("x")),
        }  # fmt: skip
        for c, v in values.items():
            cols[c].append(v)
    return pa.Table.from_pydict(cols, schema=S.ANNOTATED_SCHEMA)


def test_writer_task_keys_land_on_their_partition(spark):
    """The Python twin of Spark's hash(bigint) places every chunk on the task it was given."""
    from pyspark.sql import functions as F

    values = [0, 1, -1, 42, 2**31, -(2**40) - 7, 2**63 - 1, -(2**63)]
    got = spark.createDataFrame([(v,) for v in values], "v long").select(F.hash("v")).collect()
    assert [r[0] for r in got] == [adapters.spark_hash_long(v) for v in values]
    for n in (1, 3, 8):
        keys = adapters.task_keys(n)
        frame = spark.createDataFrame([(t, k) for t, k in enumerate(keys)], "t int, k long")
        placed = frame.repartition(n, "k").select("t", F.spark_partition_id().alias("p"))
        assert sorted((r.t, r.p) for r in placed.collect()) == [(t, t) for t in range(n)]


@pytest.mark.parametrize(
    ("mode", "a", "b", "same"),
    [
        ("none", "Hello  world", "Hello world", False),
        ("whitespace", "Hello  world\n", " Hello world", True),
        ("whitespace", "Hello world", "hello world", False),
        ("nfkc_casefold", "ＨＥＬＬＯ  World", "hello world", True),
    ],
)
def test_normalised_dedup_keys(mode, a, b, same):
    md5s, keys = exact_dedup.keys_for([a, b], ExactDedupConfig(normalize=mode))
    assert (keys[0].as_py() == keys[1].as_py()) is same
    assert md5s[0].as_py() == exact_dedup.md5_hex(a)
