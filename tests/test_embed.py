"""The embedding stage on a tiny demo Dataset-1 (CPU, builtin MiniLM, offline).

Checked: shards aligned with the Dataset-1 files, unit vectors, float16 storage close to float32,
the batching by token length equal to a plain ``model.encode``, the prefix, resume (finished
shards kept, a deleted shard recomputed identically, temporary leftovers removed), a finished
stage skipped without rewriting, a changed config refused, clear errors for a missing model and a
missing Dataset-1, and the Spark engine giving the same vectors as the local one.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from curation import cli
from curation.config import load_config
from curation.demo.corpus import generate
from curation.embedders import get_embedder
from curation.formats import embeddings as E
from curation.pipeline import dataset1, embeddings
from curation.run_layout import StageConflictError
from curation.runner import MissingStageError
from curation.stages import embed as stage

SETTINGS = ["embed.model=builtin:all-MiniLM-L6-v2", "embed.prefix=", "embed.max_seq_length=64"]
REPO = Path(__file__).resolve().parents[1]


def _cfg(*more: str):
    return load_config("demo", SETTINGS + list(more))


@pytest.fixture(scope="module")
def ds1_run(spark, tmp_path_factory) -> Path:
    """A finished Dataset-1 of the demo corpus at scale 0.03 (~190 documents, 24 files)."""
    root = tmp_path_factory.mktemp("embed")
    generate(root / "input", scale=0.03)
    dataset1.run(spark, str(root / "input"), str(root / "run"), _cfg())
    return root / "run"


@pytest.fixture(scope="module")
def embedded(ds1_run) -> tuple[Path, dict]:
    return ds1_run, embeddings.run(str(ds1_run), _cfg())


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("domain=*/*.parquet"))


def _copy_run(src: Path, dst: Path, with_embeddings: bool = True) -> Path:
    shutil.copytree(src / "dataset-1", dst / "dataset-1")
    if with_embeddings:
        shutil.copytree(src / "embeddings", dst / "embeddings")
    return dst


def _texts(run: Path, n: int) -> list[str]:
    texts = []
    for f in _files(run / "dataset-1" / "data"):
        texts += pq.read_table(f, columns=["text"]).column("text").to_pylist()
    return texts[:n]


def test_shards_are_aligned_with_dataset1(embedded):
    run, manifest = embedded
    src = _files(run / "dataset-1" / "data")
    dst = _files(run / "embeddings")
    assert len(src) > 4
    assert [p.relative_to(run / "dataset-1" / "data") for p in src] == [
        p.relative_to(run / "embeddings") for p in dst
    ]
    for s, d in zip(src, dst, strict=True):
        a = pq.read_table(s, columns=["id", "domain"])
        b = pq.read_table(d)
        assert b.column("id").to_pylist() == a.column("id").to_pylist()
        assert b.column("domain").to_pylist() == a.column("domain").to_pylist()
        meta = E.shard_meta(b.schema)
        assert meta["dim"] == "384" and meta["dtype"] == "float16"
        ds1_build = json.loads((run / "dataset-1" / "_SUCCESS").read_text())["build"]
        assert meta["fingerprint"] == f"{manifest['fingerprint']}:{ds1_build}"
    rows = sum(pq.read_metadata(p).num_rows for p in src)
    assert manifest["rows"] == rows == manifest["computed_docs"] > 100
    assert manifest["dim"] == 384 and manifest["reused_shards"] == 0
    assert sum(manifest["per_domain"].values()) == rows


def test_vectors_are_unit_length_and_float16_is_close_to_float32(embedded):
    run, _ = embedded
    table = E.read_embeddings(str(run))
    stored = E.vectors_of(table)
    assert np.abs(np.linalg.norm(stored, axis=1) - 1).max() < 2e-3
    # recompute one shard in float32 without storing it
    shard = _files(run / "dataset-1" / "data")[0]
    texts = pq.read_table(shard, columns=["text"]).column("text").to_pylist()
    exact = stage.embed_texts(texts, _cfg().embed, "cpu")
    assert np.abs(np.linalg.norm(exact, axis=1) - 1).max() < 1e-5
    first = E.vectors_of(pq.read_table(run / "embeddings" / shard.relative_to(shard.parents[1])))
    assert np.abs(first - exact).max() < 1e-3
    cos_stored = first @ first.T
    cos_exact = exact @ exact.T
    assert np.abs(cos_stored - cos_exact).max() < 1e-3
    # documents are not all alike: the vectors carry information
    assert (cos_exact[np.triu_indices(len(texts), 1)] < 0.9).mean() > 0.5


def test_batching_by_token_length_equals_plain_encode(ds1_run):
    cfg = _cfg("embed.batch_size=8", "embed.precision=fp32").embed
    texts = _texts(ds1_run, 40) + ["short one", "a bit longer sentence here", "x"]
    ours = stage.embed_texts(texts, cfg, "cpu")
    model = get_embedder(cfg, "cpu").model
    plain = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    assert ours.shape == plain.shape == (len(texts), 384)
    assert np.abs(ours - plain).max() < 1e-5
    # order restored: each text's vector is its own (a permutation would fail this)
    assert np.all(np.einsum("ij,ij->i", ours, plain) > 0.9999)
    assert stage.embed_texts([], cfg, "cpu").shape == (0, 384)


def test_prefix_changes_the_vectors(ds1_run):
    texts = _texts(ds1_run, 6)
    plain = stage.embed_texts(texts, _cfg().embed, "cpu")
    prefixed = stage.embed_texts(texts, _cfg("embed.prefix='passage: '").embed, "cpu")
    cos = np.einsum("ij,ij->i", plain, prefixed)
    assert np.all(cos < 0.9999) and np.all(cos > 0.5)
    by_hand = stage.embed_texts(["passage: " + t for t in texts], _cfg().embed, "cpu")
    assert np.abs(by_hand - prefixed).max() < 1e-5


def test_bf16_is_close_to_fp32(ds1_run):
    texts = _texts(ds1_run, 12)
    fp32 = stage.embed_texts(texts, _cfg().embed, "cpu")
    bf16 = stage.embed_texts(texts, _cfg("embed.precision=bf16").embed, "cpu")
    assert np.abs(np.linalg.norm(bf16, axis=1) - 1).max() < 1e-5
    assert np.einsum("ij,ij->i", fp32, bf16).min() > 0.999


def test_finished_stage_is_skipped_without_rewriting(embedded):
    run, manifest = embedded
    before = {p: p.stat().st_mtime_ns for p in (run / "embeddings").rglob("*") if p.is_file()}
    again = embeddings.run(str(run), _cfg())
    after = {p: p.stat().st_mtime_ns for p in (run / "embeddings").rglob("*") if p.is_file()}
    assert again == manifest
    assert after == before
    # settings that do not shape the vectors do not make it a different stage
    assert embeddings.run(str(run), _cfg("embed.batch_size=4", "embed.threads=1")) == manifest


def test_changed_config_is_a_conflict(embedded):
    run, _ = embedded
    with pytest.raises(StageConflictError, match="--force"):
        embeddings.run(str(run), _cfg("embed.max_seq_length=32"))


def test_resume_recomputes_a_deleted_shard_identically(embedded, tmp_path):
    run = _copy_run(embedded[0], tmp_path / "run")
    shards = _files(run / "embeddings")
    victim = shards[3]
    old = pq.read_table(victim)
    (run / "embeddings" / "_SUCCESS").unlink()  # as if killed before the end
    victim.unlink()
    leftover = victim.parent / f".{victim.name}.0123abcd.tmp"
    leftover.write_bytes(b"half-written")
    stale = run / "embeddings" / "domain=gone" / "part-9.parquet"  # no such Dataset-1 file
    stale.parent.mkdir()
    shutil.copy(shards[0], stale)
    kept = {p: p.stat().st_mtime_ns for p in shards if p != victim}
    manifest = embeddings.run(str(run), _cfg())
    assert manifest["computed_shards"] == 1
    assert manifest["reused_shards"] == len(shards) - 1
    assert manifest["rows"] == embedded[1]["rows"]
    new = pq.read_table(victim)
    assert new.column("id").equals(old.column("id"))
    assert np.abs(E.vectors_of(new) - E.vectors_of(old)).max() < 1e-3
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert not leftover.exists() and not stale.exists()
    assert not list((run / "embeddings").rglob("*.tmp"))


def test_force_recomputes_everything(embedded, tmp_path):
    run = _copy_run(embedded[0], tmp_path / "run")
    manifest = embeddings.run(str(run), _cfg("embed.max_seq_length=32", "run.force=true"))
    assert manifest["computed_shards"] == manifest["shards"] and manifest["max_seq_length"] == 32
    assert manifest["fingerprint"] != embedded[1]["fingerprint"]
    assert {
        E.shard_meta(pq.read_schema(p))["max_seq_length"] for p in _files(run / "embeddings")
    } == {"32"}


def test_missing_model_is_a_clear_error():
    with pytest.raises(stage.ModelLoadError) as err:
        get_embedder(_cfg("embed.model=intfloat/e5-large-v2").embed, "cpu").load()
    message = str(err.value)
    assert "intfloat/e5-large-v2" in message
    assert "huggingface-cli download intfloat/e5-large-v2" in message
    assert "embed.model" in message and "\n" not in message
    with pytest.raises(stage.ModelLoadError, match="/no/such/model does not exist"):
        get_embedder(_cfg("embed.model=/no/such/model").embed, "cpu").load()
    with pytest.raises(stage.ModelLoadError, match="builtin:use-multilingual-v3"):
        get_embedder(_cfg("embed.model=builtin:nope").embed, "cpu").load()


def test_missing_dataset1_is_a_clear_error(tmp_path):
    with pytest.raises(MissingStageError, match="dataset-1"):
        embeddings.run(str(tmp_path / "empty-run"), _cfg())


def test_spark_engine_gives_the_local_vectors(spark, embedded, tmp_path):
    local_run, local = embedded
    run = _copy_run(local_run, tmp_path / "run", with_embeddings=False)
    manifest = embeddings.run(str(run), _cfg(), spark=spark)
    assert manifest["engine"] == "spark" and manifest["computed_shards"] == manifest["shards"]
    assert manifest["rows"] == local["rows"] and manifest["per_domain"] == local["per_domain"]
    assert manifest["fingerprint"] == local["fingerprint"]
    a = E.read_embeddings(str(local_run))
    b = E.read_embeddings(str(run))
    assert b.column("id").equals(a.column("id"))
    # Spark tasks run with one thread: float noise at most, then one float16 rounding step
    assert np.abs(E.vectors_of(a) - E.vectors_of(b)).max() < 1e-3
    # and a Spark rerun skips the finished stage
    assert embeddings.run(str(run), _cfg(), spark=spark) == manifest


def test_spark_engine_reports_a_missing_model_clearly(spark, embedded, tmp_path):
    run = _copy_run(embedded[0], tmp_path / "run", with_embeddings=False)
    with pytest.raises(Exception) as err:  # raised in a Spark task
        embeddings.run(str(run), _cfg("embed.model=intfloat/e5-large-v2"), spark=spark)
    message = cli.explain(err.value)  # the one line the job prints
    assert message is not None and message.startswith("the embedding model 'intfloat/e5-large-v2'")
    assert "huggingface-cli download intfloat/e5-large-v2" in message
    assert "Traceback" not in message and "\n" not in message


def test_job_prints_the_summary(embedded, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("embed_job", REPO / "jobs" / "embed.py")
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    run, manifest = embedded
    argv = ["embed.py", "--run", str(run), "--config", "demo"] + [
        a for s in SETTINGS for a in ("--set", s)
    ]
    monkeypatch.setattr(sys, "argv", argv)
    assert job.main() == 0
    out = capsys.readouterr().out
    for domain, n in manifest["per_domain"].items():
        assert any(line.split() == [domain, str(n)] for line in out.splitlines()), domain
    assert ["TOTAL", str(manifest["rows"])] in [line.split() for line in out.splitlines()]
    assert "docs/s" in out
