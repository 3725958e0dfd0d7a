"""Dataset-1 on Spark with malformed input, duplicate ids, unreadable files, reruns and config
changes; the Spark exact-dedup reduce against the pure one."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

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
    assert exp.good_ids - {"good-1"} <= set(kept.id) | set(ledger[ledger.stage != "invalid"].id)
    assert manifest["removed_by_stage"]["invalid"] == len(exp.invalid)
    assert manifest["inputs"]["skipped_files"] == ["web/README.md"]


def test_unreadable_file_fails_the_job_naming_the_file(spark, tmp_path):
    (tmp_path / "in" / "web").mkdir(parents=True)
    (tmp_path / "in" / "web" / "ok.jsonl").write_text('{"text": "fine"}\n')
    (tmp_path / "in" / "web" / "fake.jsonl.gz").write_bytes(b'{"text": "not gzip"}\n')
    with pytest.raises(Exception) as err:
        dataset1.run(spark, str(tmp_path / "in"), str(tmp_path / "run"), _cfg())
    message = cli.explain(err.value)
    assert message == (
        "cannot read input file web/fake.jsonl.gz: not a valid gzip file "
        "(Error -3 while decompressing data: incorrect header check)"
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


def test_spark_exact_dedup_equals_the_pure_rule(spark):
    from pyspark.sql import functions as F

    rng = random.Random(7)
    n = 3000
    texts = [f"text {rng.randrange(400)}" for _ in range(n)]
    table = pa.table(
        {
            S.ID: [f"{rng.getrandbits(40):010x}" for _ in range(n)],
            S.DOMAIN: [rng.choice(["a", "b"]) for _ in range(n)],
            S.TEXT: texts,
        }
    )
    for scope in ("domain", "global"):
        cfg = ExactDedupConfig(scope=scope, normalize="none")
        keyed = exact_dedup.add_keys(table, cfg)
        expected = dict(
            zip(
                keyed[S.ID].to_pylist(),
                exact_dedup.mark_duplicates(keyed, cfg).to_pylist(),
                strict=True,
            )
        )
        df = spark.createDataFrame(keyed.to_pandas()).repartition(7)
        df = (
            df.withColumn(S.STAGE, F.lit(None).cast("string"))
            .withColumn(S.REASON, F.lit(None).cast("string"))
            .withColumn(S.SCORE, F.lit(None).cast("double"))
            .withColumn(S.DETAIL, F.lit(None).cast("string"))
            .withColumn(S.N_CHARS, F.length(S.TEXT))
            .withColumn(S.TOO_SHORT, F.lit(False))
        )
        full = load_config("reference", [f"exact_dedup.scope={scope}"])
        got = {r[S.ID]: r[S.DUPLICATE_OF] for r in adapters.with_exact_dedup(df, full).collect()}
        assert got == expected
        assert sum(v is not None for v in got.values()) > n // 2


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
    table = pa.table({S.TEXT: [a, b]})
    keys = exact_dedup.add_keys(table, ExactDedupConfig(normalize=mode)).column(S.DEDUP_KEY)
    assert (keys[0].as_py() == keys[1].as_py()) is same
