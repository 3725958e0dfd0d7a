"""The token stage end to end on the demo run's Dataset-3: shards, indexes, manifest, mixture."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from xxhash import xxh3_64_intdigest

from curation import tokenizer as TOK
from curation.config import load_config
from curation.datasets import read_kept
from curation.formats import token_shards as TS
from curation.pipeline import tokens
from curation.run_layout import StageConflictError
from tests.tokens_helpers import write_dataset

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
N = 64
SETS = [
    "tokens.dataset=dataset-3",
    "tokens.vocab_size=1000",
    f"tokens.context_length={N}",
    "tokens.shard_sequences=200",
    "tokens.train_sample_bytes=300000",
]


def _cfg(*more: str):
    return load_config("demo", [*SETS, *more])


def _copy_dataset(demo_run: Path, dest: Path) -> Path:
    shutil.copytree(demo_run / "dataset-3", dest / "dataset-3")
    return dest


@pytest.fixture(scope="module")
def pad_run(demo_run, tmp_path_factory) -> Path:
    run = _copy_dataset(demo_run, tmp_path_factory.mktemp("tokens-pad"))
    tokens.run(str(run), _cfg("tokens.workers=2", "tokens.compare=[builtin:all-MiniLM-L6-v2]"))
    return run


@pytest.fixture(scope="module")
def pack_run(demo_run, tmp_path_factory) -> Path:
    run = _copy_dataset(demo_run, tmp_path_factory.mktemp("tokens-pack"))
    tokens.run(str(run), _cfg("tokens.workers=1", "tokens.mode=pack"))
    return run


@pytest.fixture(scope="module")
def megatron():
    with warnings.catch_warnings():  # "Transformer Engine and Apex are not installed"
        warnings.simplefilter("ignore")
        from megatron.core.datasets.indexed_dataset import IndexedDataset
    return IndexedDataset


def _texts(run: Path) -> dict[str, tuple[str, str]]:
    t = read_kept(str(run), "dataset-3", ["id", "domain", "text"]).to_pylist()
    return {r["id"]: (r["domain"], r["text"]) for r in t}


def _tables(run: Path, domain: str):
    folder = TS.domain_dir(run / "tokens", domain)
    return (
        pq.read_table(folder / TS.SEQUENCES).to_pandas(),
        pq.read_table(folder / TS.DOCUMENTS).to_pandas(),
    )


def _manifest(run: Path) -> dict:
    return json.loads((run / "tokens" / "_MANIFEST.json").read_text())


def test_round_trip_through_our_reader_and_megatrons(pad_run, megatron):
    texts = _texts(pad_run)
    tok = TOK.load_tokenizer(str(pad_run / "tokens" / "tokenizer"))
    m = _manifest(pad_run)
    eos, pad = m["tokenizer"]["eos_id"], m["tokenizer"]["pad_id"]
    checked = 0
    for domain in m["per_domain"]:
        seqs, docs = _tables(pad_run, domain)
        ours = TS.DomainReader(pad_run / "tokens", domain)
        folder = TS.domain_dir(pad_run / "tokens", domain)
        theirs = {s: megatron(str(TS.shard_prefix(folder, s))) for s in seqs["shard"].unique()}
        for d in docs.sample(n=min(8, len(docs)), random_state=1).itertuples():
            expected = tok.encode(texts[d.id][1]).ids
            assert d.tokens == len(expected)
            rows = range(d.sequence, d.sequence + d.pieces)
            stream = ours.stream(rows.start, rows.stop)
            assert list(stream[: d.tokens]) == expected  # our reader
            assert stream[d.tokens] == eos and (stream[d.tokens + 1 :] == pad).all()
            mega = np.concatenate(
                [theirs[seqs.shard[i]][int(seqs.row[i])] for i in rows]  # Megatron's reader
            )
            assert np.array_equal(mega, stream)
            assert tok.decode(stream[: d.tokens].tolist()) == texts[d.id][1]
            assert set(seqs.id[list(rows)]) == {d.id}
            checked += 1
        # Megatron's documents are our documents' runs of pieces (a shard start starts one too)
        for s, ds in theirs.items():
            starts = seqs[(seqs.shard == s) & ((seqs.piece == 0) | (seqs.row == 0))].row
            assert list(ds.document_indices) == [*starts, len(ds)]
    assert checked >= 30


def test_pad_mode_every_sequence_n_tokens_padding_only_at_document_ends(pad_run):
    m = _manifest(pad_run)
    pad = m["tokenizer"]["pad_id"]
    texts = _texts(pad_run)
    for domain, dm in m["per_domain"].items():
        seqs, docs = _tables(pad_run, domain)
        reader = TS.DomainReader(pad_run / "tokens", domain)
        assert all((s.index.lengths == N).all() for s in reader.shards)
        data = np.stack([reader[i] for i in range(len(reader))])
        real = np.arange(N)[None, :] < seqs.tokens.to_numpy()[:, None]
        assert (data[~real] == pad).all() and not (data[real] == pad).any()
        # a sequence with padding is its document's last piece
        last = seqs.piece.to_numpy() == docs.set_index("id").pieces[seqs.id].to_numpy() - 1
        assert (seqs.tokens[~last] == N).all()
        assert int((~real).sum()) == dm["padding"]
        assert dm["sequences"] == len(seqs) and dm["documents"] == len(docs)
        assert dm["tokens"] == docs.tokens.sum()
        # every document of the domain once, in the seeded shuffle order
        ids = sorted(i for i, (d, _) in texts.items() if d == domain)
        assert sorted(docs.id) == ids
        keys = [xxh3_64_intdigest(i.encode(), m["config"]["seed"]) for i in docs.id]
        assert keys == sorted(keys)


def test_pack_mode_no_padding_but_at_the_end(pack_run):
    m = _manifest(pack_run)
    pad, eos = m["tokenizer"]["pad_id"], m["tokenizer"]["eos_id"]
    tok = TOK.load_tokenizer(str(pack_run / "tokens" / "tokenizer"))
    texts = _texts(pack_run)
    for domain, dm in m["per_domain"].items():
        seqs, docs = _tables(pack_run, domain)
        reader = TS.DomainReader(pack_run / "tokens", domain)
        stream = reader.stream(0, len(reader))
        assert (seqs.tokens[:-1] == N).all()
        total = dm["tokens"] + dm["documents"]
        assert seqs.tokens.iloc[-1] == total - (len(seqs) - 1) * N
        assert not (stream[:total] == pad).any() and (stream[total:] == pad).all()
        assert dm["padding"] == len(stream) - total < N
        assert (stream == eos).sum() == dm["documents"]
        for d in docs.head(5).itertuples():
            start = d.sequence * N + d.offset
            expected = tok.encode(texts[d.id][1]).ids
            assert list(stream[start : start + d.tokens]) == expected
            assert stream[start + d.tokens] == eos


def test_manifest_mixture_and_efficiency(pad_run):
    m = _manifest(pad_run)
    texts = _texts(pad_run)
    per_domain = {}
    for domain, text in texts.values():
        per_domain.setdefault(domain, []).append(text)
    assert set(m["per_domain"]) == set(per_domain)
    assert m["documents"] == len(texts) and m["format"]["dtype"] == "uint16"
    mixture = json.loads((pad_run / "tokens" / "mixture.json").read_text())
    total = sum(d["tokens"] for d in m["per_domain"].values())
    for domain, dm in m["per_domain"].items():
        assert mixture[domain] == pytest.approx(dm["tokens"] / total)
    eff = json.loads((pad_run / "tokens" / "efficiency.json").read_text())
    chosen, minilm = eff["tokenizers"]
    assert chosen["chosen"] and chosen["vocab_size"] == 1000
    assert minilm["source"] == "builtin:all-MiniLM-L6-v2" and minilm["vocab_size"] == 30522
    for domain, texts_of in per_domain.items():
        cell = chosen["per_domain"][domain]
        chars = sum(len(t) for t in texts_of)
        words = sum(len(t.split()) for t in texts_of)
        assert cell["tokens"] == m["per_domain"][domain]["tokens"]
        assert cell["chars_per_token"] == pytest.approx(chars / cell["tokens"])
        assert cell["tokens_per_word"] == pytest.approx(cell["tokens"] / words)
        assert cell["unknown_share"] == 0.0
        assert minilm["per_domain"][domain]["chars"] == chars
    # byte-fallback pieces: Russian text needs them with a 1000-token vocabulary, code less
    assert chosen["per_domain"]["ru-CC"]["fallback_share"] > 0.0
    md = (pad_run / "tokens" / "efficiency.md").read_text()
    assert "| builtin:all-MiniLM-L6-v2 | 30,522 | ru-CC |" in md
    assert (pad_run / "tokens" / "tokenizer" / "tokenizer.json").is_file()
    assert "ru-CC" in tokens.summary_table(m)


def test_same_seed_same_shards_for_any_worker_count_and_rerun_skipped(demo_run, pad_run, tmp_path):
    other = _copy_dataset(demo_run, tmp_path / "a")
    tokens.run(str(other), _cfg("tokens.workers=1", "tokens.compare=[builtin:all-MiniLM-L6-v2]"))
    files = sorted(p.relative_to(pad_run / "tokens") for p in (pad_run / "tokens").rglob("*.*"))
    files = [f for f in files if f.suffix in (".bin", ".idx", ".json") and f.name[0] != "_"]
    assert len([f for f in files if f.suffix == ".bin"]) > 6  # several shards per domain
    for f in files:
        assert (other / "tokens" / f).read_bytes() == (pad_run / "tokens" / f).read_bytes(), f
    marker = pad_run / "tokens" / "_SUCCESS"
    stamp = marker.stat().st_mtime_ns
    tokens.run(str(pad_run), _cfg("tokens.workers=2", "tokens.compare=[builtin:all-MiniLM-L6-v2]"))
    assert marker.stat().st_mtime_ns == stamp  # finished: skipped
    with pytest.raises(StageConflictError, match="different config"):
        tokens.run(str(pad_run), _cfg("tokens.context_length=32"))
    # another seed: the same documents in another order
    tokens.run(str(other), _cfg("tokens.seed=7", "run.force=true"))
    for domain in _manifest(pad_run)["per_domain"]:
        a, b = _tables(pad_run, domain)[1], _tables(other, domain)[1]
        assert sorted(a.id) == sorted(b.id) and list(a.id) != list(b.id)


def test_configured_mixture(tmp_path):
    run = tmp_path / "r"
    write_dataset(run, {"a": ["alpha beta gamma " * 20] * 6, "b": ["delta epsilon " * 30] * 3})
    sets = ["tokens.dataset=dataset-1", "tokens.vocab_size=300", "tokens.workers=1"]
    m = tokens.run(str(run), load_config("demo", [*sets, "tokens.mixture={a: 1, b: 3}"]))
    assert m["mixture"] == {"a": 0.25, "b": 0.75}
    assert json.loads((run / "tokens" / "mixture.json").read_text()) == m["mixture"]
    with pytest.raises(tokens.TokensInputError, match="gives no weight to domain.*b"):
        tokens.run(str(run), load_config("demo", [*sets, "tokens.mixture={a: 1}"]))
    with pytest.raises(tokens.TokensInputError, match="names domain.*zz.*no documents"):
        tokens.run(str(run), load_config("demo", [*sets, "tokens.mixture={a: 1, b: 1, zz: 1}"]))


BAD = [
    ({"a": [], "b": []}, [], tokens.TokensInputError, "holds no documents: nothing to tokenize"),
    ({"a": ["x y z " * 50] * 3, "b": []}, [], tokens.TokensInputError, "b of .* zero documents"),
    (
        {"a": ["x y z " * 50] * 3},
        ["tokens.tokenizer=/no/such/tokenizer.json"],
        TOK.TokenizerLoadError,
        "tokenizer path /no/such/tokenizer.json does not exist",
    ),
    (
        {"a": ["x y z " * 50] * 3},
        ["tokens.compare=[~/no-such-folder]"],
        TOK.TokenizerLoadError,
        "tokenizer path ~/no-such-folder does not exist",
    ),
    (
        {"a": ["x y z " * 50] * 3},
        ["tokens.vocab_size=5000000000"],
        TS.VocabTooLargeError,
        "5,000,000,000 tokens does not fit the largest token dtype",
    ),
]


@pytest.mark.parametrize(("docs", "sets", "error", "message"), BAD)
def test_bad_input_gives_a_clear_error(tmp_path, docs, sets, error, message):
    write_dataset(tmp_path / "run", docs)
    cfg = load_config("demo", ["tokens.dataset=dataset-1", "tokens.workers=1", *sets])
    with pytest.raises(error, match=message):
        tokens.run(str(tmp_path / "run"), cfg)
    assert not (tmp_path / "run" / "tokens").exists()


def test_job_reports_errors_in_one_line(tmp_path):
    write_dataset(tmp_path / "run", {"a": ["x y z " * 50] * 3})
    cmd = [sys.executable, str(REPO / "jobs" / "tokens.py"), "--run", str(tmp_path / "run")]
    proc = subprocess.run(
        [*cmd, "--config", "demo", "--set", "tokens.dataset=dataset-1",
         "--set", "tokens.tokenizer=./missing/tok.json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "ERROR" in proc.stderr and "tokenizer path ./missing/tok.json does not exist" in (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*cmd, "--config", "demo", "--set", "tokens.dataset=dataset-2"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "dataset-2 is not finished" in proc.stderr
    proc = subprocess.run(
        [*cmd, "--config", "demo", "--set", "tokens.dataset=dataset-1",
         "--set", "tokens.vocab_size=300", "--set", "tokens.workers=2"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "TOTAL" in proc.stdout and (tmp_path / "run" / "tokens" / "_SUCCESS").is_file()
